// The progress view (progress.ts): a backend's events (progress-events.ts) drawn as plain lines, the way heal and ping
// emit them. The truth rules hold whatever the events' timing: a failed step is ✖ with its line once and never ✔, on
// stdout; a nested step's plain line names its instance; text is made printable; --json (silent) draws nothing.
import {afterEach, describe, expect, it, vi} from 'vitest'
import type {ProgressEvent} from '../../src/progress-events.js'
import {progressView, type RendererName} from '../../src/progress.js'

afterEach(() => vi.restoreAllMocks())

const tick = () => new Promise((r) => setTimeout(r, 1))

/** The events, fed with a pause between each (as a backend's awaits would), through a view with this renderer. */
async function draw(renderer: RendererName, events: ProgressEvent[], syncFirst = 0): Promise<{out: string; err: string}> {
  let out = ''
  let err = ''
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true))
  const view = progressView(renderer, {NO_COLOR: '1'})
  events.forEach((e, i) => i < syncFirst && view.sink(e))
  for (const e of events.slice(syncFirst)) {
    await tick()
    view.sink(e)
  }
  await view.end()
  vi.restoreAllMocks()
  return {out, err}
}

const heal: ProgressEvent[] = [
  {type: 'queued', id: 'h/1', title: 'oc1 (c1)'},
  {type: 'queued', id: 'h/2', title: 'oc2 (c2)'},
  {type: 'started', id: 'h/1', title: 'oc1 (c1)'},
  {type: 'started', id: 'h/2', title: 'oc2 (c2)'},
  {type: 'started', id: 'h/1/0', parent: 'h/1', instance: 'oc1', title: 'act'},
  {type: 'started', id: 'h/2/0', parent: 'h/2', instance: 'oc2', title: 'ping'},
  {type: 'finished', id: 'h/1/0', outcome: 'ok', title: 'act: 1 lock(s) removed (1ms)'},
  {type: 'finished', id: 'h/2/0', outcome: 'failed', title: 'ping: FAIL wrong-reply \u001b[2J (2ms)'},
  {type: 'started', id: 'h/1/1', parent: 'h/1', instance: 'oc1', title: 'ping'},
  {type: 'started', id: 'h/2/1', parent: 'h/2', instance: 'oc2', title: 'result'},
  {type: 'finished', id: 'h/2/1', outcome: 'failed', title: 'result: not healed: wrong-reply (0ms)'},
  {type: 'finished', id: 'h/2', outcome: 'failed', title: 'oc2 (c2)'},
  {type: 'finished', id: 'h/1/1', outcome: 'ok', title: 'ping: SPEED_OK (3ms)'},
  {type: 'started', id: 'h/1/2', parent: 'h/1', instance: 'oc1', title: 're-check'},
  {type: 'finished', id: 'h/1/2', outcome: 'skipped', title: 're-check: not started (interrupted by SIGINT)'},
  {type: 'finished', id: 'h/1', outcome: 'ok', title: 'oc1 (c1)'},
]

describe('the progress view, plain lines', () => {
  it.each(['simple', 'verbose'] as const)('%s: nested steps name their instance; a failure is ✖ once, never ✔; all on stdout', async (renderer) => {
    const {out, err} = await draw(renderer, heal, 2)
    expect(err).toBe('')
    expect(out).not.toContain('\x1b')
    const lines = out.split('\n')
    expect(lines).toContain('✔ oc1: act: 1 lock(s) removed (1ms)')
    expect(lines).toContain('✖ oc2: ping: FAIL wrong-reply \\x1b[2J (2ms)')
    expect(lines).toContain('✖ oc2: result: not healed: wrong-reply (0ms)')
    expect(lines).toContain('✔ oc1: ping: SPEED_OK (3ms)')
    expect(lines.filter((l) => l.startsWith('✔') && /FAIL|not healed/.test(l))).toEqual([])
    expect(out.match(/FAIL wrong-reply/g)).toHaveLength(1)
    expect(out).not.toContain('[FAILED')
  })

  it('simple: the lines come as the steps do; a skipped step says why once; the healed instance is ✔, the failed one has no ✔', async () => {
    const {out} = await draw('simple', heal, 2)
    const lines = out.split('\n').filter(Boolean)
    expect(lines).toContain('↓ oc1: re-check: not started (interrupted by SIGINT)')
    expect(lines).toContain('✔ oc1 (c1)')
    expect(lines.filter((l) => l.includes('oc2 (c2)'))).toEqual(['❯ oc2 (c2)'])
    expect(lines.indexOf('❯ oc1: act')).toBeLessThan(lines.indexOf('✔ oc1: act: 1 lock(s) removed (1ms)'))
    expect(lines.indexOf('✖ oc2: result: not healed: wrong-reply (0ms)')).toBeLessThan(lines.indexOf('✔ oc1: ping: SPEED_OK (3ms)'))
  })

  it('top-level steps (ping): ✔ or ✖ with their final line', async () => {
    const {out} = await draw(
      'simple',
      [
        {type: 'queued', id: 'p/1', title: 'oc1'},
        {type: 'queued', id: 'p/2', title: 'oc2'},
        {type: 'started', id: 'p/1', title: 'oc1'},
        {type: 'started', id: 'p/2', title: 'oc2'},
        {type: 'finished', id: 'p/2', outcome: 'failed', title: 'oc2: FAIL auth'},
        {type: 'finished', id: 'p/1', outcome: 'ok', title: 'oc1: SPEED_OK'},
      ],
      2,
    )
    expect(out.split('\n').filter(Boolean)).toEqual(['❯ oc1', '❯ oc2', '✖ oc2: FAIL auth', '✔ oc1: SPEED_OK'])
  })

  it('a step that never finished is drawn failed when the view ends; the silent view draws nothing', async () => {
    const {out} = await draw('simple', [{type: 'started', id: 'x', title: 'x'}])
    expect(out).toContain('✖ x: did not finish')
    const silent = await draw('silent', heal, 2)
    expect(silent.out + silent.err).toBe('')
  })
})

describe('output and the room of listr2', () => {
  it('verbose: a running step says what it is doing (output), on stdout', async () => {
    const {out} = await draw(
      'verbose',
      [
        {type: 'started', id: 'r', title: 'oc1 (c1)'},
        {type: 'started', id: 'r/0', parent: 'r', instance: 'oc1', title: 'restart'},
        {type: 'output', id: 'r/0', text: 'waiting for /readyz'},
        {type: 'finished', id: 'r/0', outcome: 'ok', title: 'restart: done (1s)'},
        {type: 'finished', id: 'r', outcome: 'ok', title: 'oc1 (c1)'},
      ],
      1,
    )
    expect(out).toContain('waiting for /readyz')
    expect(out).toContain('✔ oc1: restart: done (1s)')
  })

  it('no file in src but progress.ts imports listr2: backends report events', async () => {
    const {readdirSync, readFileSync} = await import('node:fs')
    const path = await import('node:path')
    const files = (readdirSync('src', {recursive: true}) as string[]).filter((f) => f.endsWith('.ts')).map((f) => path.join('src', f))
    const importers = files.filter((f) => /from 'listr2'/.test(readFileSync(f, 'utf8')))
    expect(importers).toEqual([path.join('src', 'progress.ts')])
  })
})

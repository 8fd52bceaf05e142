import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {emptyView, eventLine, frame, reduceView, WatchView, type WatchViewState} from '../../src/report/watch-view.js'
import {chooseWatchView} from '../../src/progress.js'
import {scanPing, type PingResult} from '../../src/ping/ping.js'
import type {WatchEvent} from '../../src/watch/events.js'

const ESC = '\u001b'
const T = '2026-12-04T12:00:00.000Z'
const start: WatchEvent = {
  ts: T,
  event: 'watch-start',
  instances: ['oc7', 'oc8'],
  intervalMs: 30_000,
  reportOnly: false,
  autoRestart: true,
  config: '/f.yml',
  metricsUrl: null,
  incidentDir: '/i',
}
const scan = (ts: string, instances: Record<string, unknown>[], reason = 'interval'): WatchEvent => ({
  ts,
  event: 'scan',
  reason,
  durationMs: 800,
  nextScanAt: '2026-12-04T12:00:30.000Z',
  instances,
})
const oc7 = {
  instance: 'oc7',
  state: 'running',
  life: 'ready',
  worst: null,
  locks: 0,
  ping: {ok: true, class: 'ok', durationMs: 412, reply: 'SPEED_OK'},
  work: {active: 2},
}
const oc8 = {instance: 'oc8', state: 'exited', life: 'stopped', worst: 'stale', locks: 1}
const cleared: WatchEvent = {ts: '2026-12-04T12:00:05.000Z', event: 'lock-cleared', instance: 'oc8', path: '/s/a.jsonl.lock', verdict: 'stale'}

const run = (events: WatchEvent[]): WatchViewState => events.reduce(reduceView, emptyView())

describe('fleet watch view: what a person sees', () => {
  it('the live frame: one row per instance with state, worst verdict, locks, gateway work, ping, last action; the next scan', () => {
    const v = run([start, scan(T, [oc7, oc8]), cleared])
    const lines = frame(v, Date.parse('2026-12-04T12:00:10.000Z'), {color: false, width: 200})
    expect(lines[0]).toMatch(/^fleet watch: 2 instance\(s\) \(oc7, oc8\) every 30s, auto-restart/)
    expect(lines[1].split(/\s{2,}/)).toEqual(['INSTANCE', 'STATE', 'WORST', 'LOCKS', 'WORK', 'PING', 'LAST ACTION'])
    expect(lines[2].split(/\s{2,}/)).toEqual(['oc7', 'ready', '-', '0', '2 active', 'SPEED_OK 412ms', '-'])
    expect(lines[3].split(/\s{2,}/)).toEqual(['oc8', 'exited', 'stale', '1', '-', '-', '12:00:05 lock-cleared: /s/a.jsonl.lock'])
    expect(lines.join('\n')).toContain('1 interval scan(s); last scan 12:00:00 (interval, 800ms); next scan in 20s')
    expect(lines.at(-1)).toBe('12:00:05 oc8 lock-cleared: /s/a.jsonl.lock')
  })

  it('a ping is kept from the last scan that ran one; a failed one shows its class', () => {
    const failed = {...oc7, ping: {ok: false, class: 'lock-timeout', durationMs: 10_000, failure: 'FAIL lock-timeout pid=26 /s/a.jsonl.lock in 10s'}}
    const v = run([start, scan(T, [failed]), scan('2026-12-04T12:00:01.000Z', [{...oc7, ping: undefined}], 'event')])
    expect(frame(v, 0, {color: false, width: 200})[2]).toContain('FAIL lock-timeout 10s')
    expect(eventLine(scan(T, [failed]))).toBe(
      '12:00:00 scan interval 800ms: oc7 ready, no locks, ping FAIL lock-timeout pid=26 /s/a.jsonl.lock in 10s, gateway work 2 active',
    )
  })

  it('plain lines: one per event and one per scan, no cursor codes, no colour', () => {
    const out: string[] = []
    const view = new WatchView('lines', (t) => out.push(t), {color: false, width: () => 80})
    for (const e of [start, scan(T, [oc7, oc8]), cleared, {ts: T, event: 'watch-stop', scans: 1}]) view.onEvent(e)
    view.close()
    expect(out).toHaveLength(4)
    for (const l of out) expect(l).toMatch(/^[^\n]*\n$/)
    expect(out.join('')).not.toContain(ESC)
    expect(out[1]).toBe('12:00:00 scan interval 800ms: oc7 ready, no locks, ping SPEED_OK 412ms, gateway work 2 active; oc8 exited, worst stale (1 lock)\n')
    expect(out[3]).toBe('12:00:00 watch-stop: after 1 scan(s)\n')
  })

  it('live: each frame is drawn over the last one (cursor up by its line count); colour only when asked', () => {
    const out: string[] = []
    const view = new WatchView('live', (t) => out.push(t), {color: true, width: () => 120, now: () => Date.parse(T)})
    view.onEvent(start)
    view.onEvent(scan(T, [oc7, oc8]))
    view.close()
    const first = out[0].split('\n').length - 1
    expect(out[1].startsWith(`${ESC}[${first}A\r${ESC}[0J`)).toBe(true)
    expect(out[1]).toContain(`${ESC}[32mready${ESC}[39m`)
    expect(out[1]).toContain(`${ESC}[31mstale${ESC}[39m`)
    const plain: string[] = []
    const off = new WatchView('live', (t) => plain.push(t), {color: false, width: () => 120})
    off.onEvent(start)
    off.onEvent(scan(T, [oc7, oc8]))
    off.close()
    // Only the cursor movement, never a colour.
    expect(plain.join('').replace(/\u001b\[\d+A\r\u001b\[0J/g, '')).not.toContain(ESC)
  })

  it('what a container names is escaped: a lock path cannot move the cursor or forge a row', () => {
    const evil: WatchEvent = {...cleared, path: `/s/x\n${ESC}[2Joc9 ready.jsonl.lock`}
    const v = run([start, scan(T, [oc7, oc8]), evil])
    const text = frame(v, 0, {color: false, width: 300}).join('\n')
    expect(text).not.toContain(ESC)
    expect(text).toContain('\\x1b[2J')
    expect(eventLine(evil)).not.toMatch(/[\n\u001b]/)
  })

  it('property: no frame line is wider than the terminal (a wrapped line would break the redraw)', () => {
    fc.assert(
      fc.property(fc.integer({min: 20, max: 200}), fc.string({maxLength: 300}), fc.boolean(), (width, detail, color) => {
        const v = run([start, scan(T, [oc7, oc8]), {...cleared, path: detail}, {ts: T, event: 'alert', instance: 'oc7', state: 'open', reason: 'hung', detail}])
        for (const l of frame(v, 0, {color, width})) expect(l.replace(/\u001b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(width)
      }),
      {numRuns: 300},
    )
  })

  it.each([
    ['--json', {json: true, isTTY: true, env: {}}, 'json'],
    ['a TTY', {isTTY: true, env: {}}, 'live'],
    ['piped', {isTTY: false, env: {}}, 'lines'],
    ['CI=true on a TTY', {isTTY: true, env: {CI: 'true'}}, 'lines'],
    ['TERM=dumb', {isTTY: true, env: {TERM: 'dumb'}}, 'lines'],
  ] as const)('the view is chosen in one place: %s -> %s', (_name, opts, want) => {
    expect(chooseWatchView(opts)).toBe(want)
  })

  it('a scan carries the ping: its class, duration, and the reply or the failure line', () => {
    const base = {
      id: 7,
      name: 'oc7',
      container: 'c',
      warnings: [] as string[],
      lockPid: null,
      lockPath: null,
      p50Ms: null,
      p95Ms: null,
      attempts: [] as PingResult['attempts'],
      path: 'gateway',
    } as const
    expect(scanPing({...base, ok: true, failure: null, reply: 'SPEED_OK', detail: null, latencyMs: 812} as PingResult)).toEqual({
      ok: true,
      class: 'ok',
      durationMs: 812,
      reply: 'SPEED_OK',
    })
    expect(
      scanPing({
        ...base,
        ok: false,
        failure: 'lock-timeout',
        reply: null,
        detail: null,
        latencyMs: 10_000,
        lockPid: 26,
        lockPath: '/s/a.jsonl.lock',
      } as PingResult),
    ).toEqual({
      ok: false,
      class: 'lock-timeout',
      durationMs: 10_000,
      failure: 'FAIL lock-timeout pid=26 /s/a.jsonl.lock in 10s',
    })
  })
})

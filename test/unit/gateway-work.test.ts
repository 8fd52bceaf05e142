import fc from 'fast-check'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import type {DockerHandle} from '../../src/docker/client.js'
import {gatewayRunsTurns, parseGatewayWork, parsePreflight, readGatewayWork} from '../../src/openclaw/gateway-work.js'
import {workCells} from '../../src/report/status.js'

const fixture = (name: string) => readFileSync(path.join(__dirname, '..', 'fixtures', 'gateway-work', name), 'utf8')
const ok = (stdout: string) => ({exitCode: 0, stdout, stderr: ''})

describe('gateway work from the restart preflight (real 2026.9.6 outputs)', () => {
  it('idle: known, 0 active, no items', () => {
    const w = parseGatewayWork(ok(fixture('preflight-idle-2026.9.6.json')))
    expect(w).toMatchObject({known: true, active: 0, items: [], tasks: [], summary: 'safe to restart now', source: 'gateway.restart.preflight'})
  })

  it('one turn in a slow model: its counts, its blockers and the turn as a task', () => {
    const w = parseGatewayWork(ok(fixture('preflight-one-turn-2026.9.6.json')))
    expect(w.known).toBe(true)
    if (!w.known) return
    expect(w.active).toBe(5)
    expect(w.counts).toMatchObject({queueSize: 2, embeddedRuns: 1, rootRequests: 1, activeTasks: 1, totalActive: 5})
    expect(w.items.map((i) => i.kind)).toEqual(['queue', 'embedded-run', 'root-request', 'task'])
    expect(w.items.find((i) => i.kind === 'root-request')?.message).toContain('ws:agent')
    expect(w.tasks).toEqual([
      {
        taskId: 'da9835da-6b13-4155-8584-1a610983b12f',
        runId: 'ebad91d8-176d-46f7-a08d-60d7395cedd0',
        status: 'running',
        runtime: 'cli',
        title: 'Reply exactly SLOW_OK',
      },
    ])
    expect(w.summary).toMatch(/^restart deferred: /)
  })

  it('log lines before the JSON are skipped', () => {
    const w = parseGatewayWork(ok(`[plugins] loaded\n${fixture('preflight-one-turn-2026.9.6.json')}`))
    expect(w).toMatchObject({known: true, active: 5})
  })

  it('other JSON the CLI prints (status) is not the preflight: unknown, never 0', () => {
    for (const name of ['status-idle-2026.9.6.json', 'status-one-turn-2026.9.6.json', 'tasks-list-one-turn-2026.9.6.json']) {
      const w = parseGatewayWork(ok(fixture(name)))
      expect(w, name).toMatchObject({known: false, active: null})
    }
  })
})

describe('gateway work: missing evidence is unknown', () => {
  const idle = JSON.parse(fixture('preflight-idle-2026.9.6.json'))
  const busy = JSON.parse(fixture('preflight-one-turn-2026.9.6.json'))

  it.each([
    ['no answer in time', {exitCode: null, stdout: '', stderr: '', timedOut: true}, /in time/],
    [
      'gateway not reachable (real 2026.9.6, while it starts)',
      {exitCode: 1, stdout: fixture('preflight-unreachable-2026.9.6.json'), stderr: ''},
      /exit 1\): Gateway not reachable at ws:\/\/127\.0\.0\.1:18789 \(ECONNREFUSED\)/,
    ],
    ['a failure on stderr', {exitCode: 1, stdout: '', stderr: 'Error: gateway closed (1006 abnormal closure (no close frame))\n'}, /exit 1.*gateway closed/],
    ['unknown method', {exitCode: 1, stdout: '', stderr: 'Error: unknown method: gateway.restart.preflight'}, /unknown method/],
    ['exit 0 without output', {exitCode: 0, stdout: '', stderr: ''}, /no JSON/],
    ['exit 0 with text', {exitCode: 0, stdout: 'Gateway call failed', stderr: ''}, /no JSON.*Gateway call failed/],
    ['truncated JSON', {exitCode: 0, stdout: fixture('preflight-one-turn-2026.9.6.json').slice(0, 120), stderr: ''}, /no JSON/],
    ['a non-zero exit with the idle JSON', {exitCode: 2, stdout: fixture('preflight-idle-2026.9.6.json'), stderr: ''}, /exit 2/],
  ])('%s', (_name, run, reason) => {
    const w = parseGatewayWork(run)
    expect(w.known).toBe(false)
    expect(w.active).toBeNull()
    if (!w.known) expect(w.reason).toMatch(reason)
  })

  it.each([
    ['null', null],
    ['an array', [idle]],
    ['no counts', {safe: true, blockers: []}],
    ['counts without totalActive', {safe: true, counts: {queueSize: 0}}],
    ['a negative count', {...idle, counts: {...idle.counts, queueSize: -1}}],
    ['a fractional count', {...idle, counts: {...idle.counts, totalActive: 0.5}}],
    ['a string count', {...idle, counts: {...idle.counts, totalActive: '0'}}],
    ['safe with work', {...busy, safe: true}],
    ['not safe without work', {...idle, safe: false}],
    ['work in the parts under a zero total', {...idle, counts: {...idle.counts, embeddedRuns: 1}}],
    ['a part above the total', {...busy, counts: {...busy.counts, totalActive: 1}}],
    ['blockers not a list', {...busy, blockers: 'x'}],
    ['a blocker without a kind', {...busy, blockers: [{count: 1, message: 'x'}]}],
    ['work counted, no blocker named', {...busy, blockers: []}],
  ])('%s', (_name, doc) => {
    const w = parsePreflight(doc)
    expect(w).toMatchObject({known: false, active: null, items: []})
  })

  it('property: any object without a whole non-negative totalActive is unknown', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const total = (v as {counts?: {totalActive?: unknown}})?.counts?.totalActive
        fc.pre(!(typeof total === 'number' && Number.isSafeInteger(total) && total >= 0))
        expect(parsePreflight(v).active).toBeNull()
      }),
    )
  })

  it('property: a known answer is never below any of its parts, and 0 only when every part is 0', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('queueSize', 'embeddedRuns', 'rootRequests', 'activeTasks', 'cronRuns'), fc.nat(5)), (parts) => {
        const totalActive = Object.values(parts).reduce((a, b) => a + b, 0)
        const blockers = Object.entries(parts)
          .filter(([, c]) => c > 0)
          .map(([kind, count]) => ({kind, count, message: `${count} ${kind}`}))
        const w = parsePreflight({safe: totalActive === 0, counts: {...parts, totalActive}, blockers, summary: ''})
        expect(w).toMatchObject({known: true, active: totalActive})
        expect(w.items).toHaveLength(blockers.length)
      }),
    )
  })
})

describe('which gateways are asked', () => {
  it('2026.8 and later, and unknown versions; not before 2026.8', () => {
    expect(gatewayRunsTurns('2026.9.6')).toBe(true)
    expect(gatewayRunsTurns('2026.8.0')).toBe(true)
    expect(gatewayRunsTurns('2027.1.0')).toBe(true)
    expect(gatewayRunsTurns(null)).toBe(true)
    expect(gatewayRunsTurns('2026.7.9')).toBe(false)
    expect(gatewayRunsTurns('2026.4.29')).toBe(false)
  })
})

describe('readGatewayWork (I/O, with a fake engine)', () => {
  const engine = (exec: () => Promise<never>) => ({docker: {getContainer: () => ({exec})}, label: 'fake', timeoutMs: 1000}) as unknown as DockerHandle

  it('before 2026.8: null, and the engine is never asked', async () => {
    let asked = 0
    const h = engine(async () => {
      asked++
      throw new Error('no')
    })
    expect(await readGatewayWork(h, 'c', 1000, '2026.4.29')).toBeNull()
    expect(asked).toBe(0)
  })

  it('an exec that cannot run (container gone, engine down): unknown, never thrown', async () => {
    const h = engine(async () => {
      throw Object.assign(new Error('no such container'), {statusCode: 404})
    })
    const w = await readGatewayWork(h, 'c', 1000, '2026.9.6')
    expect(w).toMatchObject({known: false, active: null})
    if (w && !w.known) expect(w.reason).toMatch(/could not run in c: container c not found/)
  })
})

describe('gateway work in status --locks (workCells)', () => {
  const reading = (name: string) => ({...parseGatewayWork(ok(fixture(name))), durationMs: 2600})
  it('a turn in flight: its count and the turn by its title, then the non-zero counts', () => {
    const [active, what] = workCells(reading('preflight-one-turn-2026.9.6.json'))
    expect(active).toBe('5 active')
    expect(what).toContain('task running cli "Reply exactly SLOW_OK"')
    expect(what).toContain('embeddedRuns=1')
    expect(what).not.toContain('totalActive')
  })
  it('idle: none, and how long the gateway took to say so', () => {
    expect(workCells(reading('preflight-idle-2026.9.6.json'))).toEqual(['none', 'idle (asked in 2.6s)'])
  })
  it('no answer is unknown with its reason, never none', () => {
    const w = {...parseGatewayWork({exitCode: 1, stdout: '', stderr: 'connect ECONNREFUSED 127.0.0.1:18789'}), durationMs: 900}
    const [active, what] = workCells(w)
    expect(active).toBe('unknown')
    expect(what).toContain('ECONNREFUSED')
  })
})

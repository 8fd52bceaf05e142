import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {decide, DEFAULT_ALERT_RECOVERY_MS, DEFAULT_RECOVER_AFTER_MS, freshMemory, type InstanceMemory, type WatchPolicy} from '../../src/decide/watch.js'
import {parseDuration} from '../../src/config/duration.js'
import type {InstanceStatus, LockReport} from '../../src/observe/observe.js'
import type {Verdict} from '../../src/locks/types.js'
import {instanceStatus} from '../helpers/status.js'
import {Metrics} from '../../src/watch/metrics.js'

const lock = (verdict: Verdict, raw = '{"pid": 26}', p = '/s/a.jsonl.lock'): LockReport => ({
  path: p,
  containerPath: '/c',
  kind: 'session',
  agent: 'main',
  session: 'a',
  size: 10,
  mtime: '2026-01-01T00:00:00.000Z',
  suspicious: null,
  raw,
  readError: null,
  pid: 26,
  createdAt: null,
  starttime: 1,
  payloadProblems: [],
  verdict,
  reasons: [],
  ageMs: 1000,
  evidence: {
    container: 'c',
    containerRunning: true,
    containerStartedAt: null,
    mountedBy: ['c'],
    process: {pid: 26, exists: true},
    probeError: null,
    processSource: null,
    clockSkewMs: null,
  },
})
const status = (locks: LockReport[], state = 'running'): InstanceStatus =>
  instanceStatus(locks, {
    id: 1,
    name: 'oc1',
    group: null,
    state,
    ok: state === 'running' && !locks.some((l) => ['stale', 'hung', 'orphan', 'conflict'].includes(l.verdict)),
  })
const policy: WatchPolicy = {reportOnly: false, autoRestart: true, maxAttempts: 2, cooldownMs: 1000, recoverAfterMs: 600_000}

describe('watch decisions', () => {
  it('acts on a stale lock only when seen twice with the same content', () => {
    const first = decide(status([lock('stale')]), null, freshMemory(), policy, 0)
    expect(first.actions.map((a) => a.type)).toEqual(['pending'])
    const second = decide(status([lock('stale')]), null, first.next, policy, 1000)
    expect(second.actions.map((a) => a.type)).toEqual(['clear'])
    const changed = decide(status([lock('stale', '{"pid": 27}')]), null, first.next, policy, 1000)
    expect(changed.actions.map((a) => a.type)).toEqual(['pending'])
    expect(
      decide(status([lock('orphan')]), null, decide(status([lock('orphan')]), null, freshMemory(), policy, 0).next, policy, 1).actions.map((a) => a.type),
    ).toEqual(['end-holder'])
  })

  it('report-only never acts; hung alerts and restarts only with autoRestart', () => {
    const ro = {...policy, reportOnly: true}
    const m = decide(status([lock('stale'), lock('hung', 'x', '/s/b.jsonl.lock')]), null, freshMemory(), ro, 0).next
    // The hung alert opened on the first scan: while it persists, nothing more (one alert per episode).
    expect(decide(status([lock('stale'), lock('hung', 'x', '/s/b.jsonl.lock')]), null, m, ro, 1).actions.map((a) => a.type)).toEqual(['pending'])
    expect(decide(status([lock('hung')]), null, freshMemory(), {...policy, autoRestart: false}, 0).actions.map((a) => a.type)).toEqual(['alert'])
    expect(decide(status([lock('hung')]), null, freshMemory(), policy, 0).actions.map((a) => a.type)).toEqual(['alert', 'restart'])
    expect(decide(status([lock('conflict')]), null, freshMemory(), policy, 0).actions.map((a) => a.type)).toEqual(['alert'])
  })

  it('a container not running is restarted only once seen so on two consecutive scans (the README rule)', () => {
    // Seen before: restarted on the first scan that found it exited.
    const first = decide(status([], 'exited'), null, freshMemory(), policy, 0)
    expect(first.actions.map((a) => a.type)).toEqual(['alert'])
    const second = decide(status([], 'exited'), null, first.next, policy, 30_000)
    expect(second.actions).toEqual([{type: 'restart', reason: 'container exited'}])
    // Running in between starts the count over.
    const back = decide(status([]), true, first.next, policy, 30_000)
    expect(decide(status([], 'exited'), null, back.next, policy, 60_000).actions.map((a) => a.type)).not.toContain('restart')
    // A hung holder is its own proof (held past locks.maxHold): restarted when first seen, as before.
    expect(decide(status([lock('hung')]), null, freshMemory(), policy, 0).actions.map((a) => a.type)).toContain('restart')
  })

  it('2026.8+: a ping failing on two scans while the gateway reports active work is not restarted (as in heal)', () => {
    const busy = {
      ...status([]),
      work: {known: true, active: 2, counts: {totalActive: 2}, items: [], tasks: [], summary: null, source: 'gateway.restart.preflight', durationMs: 5},
    } as InstanceStatus
    const once = decide(busy, false, freshMemory(), policy, 0, 'timeout')
    const twice = decide(busy, false, once.next, policy, 30_000, 'timeout')
    expect(twice.actions.map((a) => a.type)).not.toContain('restart')
    expect(decide(status([]), false, once.next, policy, 30_000, 'timeout').actions.map((a) => a.type)).toContain('restart')
  })

  it('property: a never-healing instance is restarted at most maxAttempts times, with cool-downs between', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 5}),
        fc.integer({min: 0, max: 5000}),
        fc.array(fc.integer({min: 1, max: 4000}), {minLength: 5, maxLength: 80}),
        (maxAttempts, cooldownMs, gaps) => {
          const p = {...policy, maxAttempts, cooldownMs}
          let mem = freshMemory()
          let now = 0
          const restarts: number[] = []
          for (const gap of gaps) {
            now += gap
            const r = decide(status([]), false, mem, p, now)
            mem = r.next
            if (r.actions.some((a) => a.type === 'restart')) restarts.push(now)
          }
          expect(restarts.length).toBeLessThanOrEqual(maxAttempts)
          for (let i = 1; i < restarts.length; i++) expect(restarts[i] - restarts[i - 1]).toBeGreaterThanOrEqual(cooldownMs * 2 ** (i - 1))
        },
      ),
      {numRuns: 2000},
    )
  })

  it('a recovered instance gets its attempts back once healthy on every scan for recoverAfterMs', () => {
    let mem = freshMemory()
    for (let t = 0; t < 10; t++) mem = decide(status([]), false, mem, policy, t * 10_000).next
    expect(mem.gaveUp).toBe(true)
    const first = decide(status([]), true, mem, policy, 200_000)
    // The ping-failed episode stays open until the instance has been healthy for the alert recovery period (2 min).
    expect(first.actions).toEqual([])
    expect(first.next).toMatchObject({gaveUp: true, healthySince: 200_000})
    const resolved = decide(status([]), true, first.next, policy, 200_000 + DEFAULT_ALERT_RECOVERY_MS)
    expect(resolved.actions).toEqual([expect.objectContaining({type: 'alert', state: 'resolved', reason: 'ping-failed', durationMs: 200_000 - 10_000})])
    const still = decide(status([]), true, resolved.next, policy, 200_000 + 599_999)
    expect(still.actions.map((a) => a.type)).toEqual([])
    const r = decide(status([]), true, still.next, policy, 200_000 + 600_000)
    expect(r.actions.map((a) => a.type)).toEqual(['recovered'])
    expect(r.next).toMatchObject({attempts: 0, gaveUp: false})
    // Recovered once: later healthy scans say nothing.
    expect(decide(status([]), true, r.next, policy, 900_000).actions).toEqual([])
  })

  it('the default is 10 minutes, as Kubernetes resets its crash-loop back-off', () => {
    expect(DEFAULT_RECOVER_AFTER_MS).toBe(parseDuration('10m'))
  })

  /** One scan of a table: h = healthy (running, ok, ping passes), f = ping fails, x = container exited, u = hung lock. */
  const scanOf = (c: string) =>
    c === 'h'
      ? ([status([]), true] as const)
      : c === 'f'
        ? ([status([]), false] as const)
        : c === 'x'
          ? ([status([], 'exited'), null] as const)
          : ([status([lock('hung')]), true] as const)
  /** Runs scans `every` ms apart; returns the action types of each scan and the memory at the end. */
  function run(scans: string, p: WatchPolicy, every = 60_000): {types: string[][]; mem: InstanceMemory} {
    let mem = freshMemory()
    const types: string[][] = []
    ;[...scans].forEach((c, i) => {
      const [st, ping] = scanOf(c)
      const r = decide(st, ping, mem, p, (i + 1) * every)
      mem = r.next
      types.push(r.actions.map((a) => a.type).filter((t) => t !== 'alert'))
    })
    return {types, mem}
  }
  const count = (types: string[][], t: string) => types.flat().filter((x) => x === t).length
  const crash = {...policy, maxAttempts: 3, cooldownMs: 0, recoverAfterMs: 600_000}

  it.each([
    // scans 1 min apart; a container not running is restarted once seen so on two scans in a row.
    [
      'exited on one scan only (Docker’s restart policy brought it back): never restarted',
      'xhxhxhxhxhxhxhxh',
      crash,
      {restarts: 0, recovered: 0, gaveUp: false},
    ],
    ['crash loop, healthy for one scan after each restart', 'xxhxxhxxhxxhxxhxxh', crash, {restarts: 3, recovered: 0, gaveUp: true}],
    ['crash loop, healthy for 9 scans (9 min) each time', 'xx' + 'hhhhhhhhhxx'.repeat(5), crash, {restarts: 3, recovered: 0, gaveUp: true}],
    [
      'healthy for 10 scans after a give-up: the 11th (10 min after the first) recovers, restarts start again',
      'x'.repeat(8) + 'h'.repeat(11) + 'xxxx',
      crash,
      {restarts: 5, recovered: 1, gaveUp: false},
    ],
    ['ping failing on and off never counts as healthy for long', 'ffhffhffhffhffhffh', crash, {restarts: 3, recovered: 0, gaveUp: true}],
    ['a hung lock between healthy scans ends the stretch', 'x' + 'hhhhhu'.repeat(6), crash, {restarts: 3, recovered: 0, gaveUp: true}],
    [
      'recoverAfterMs 0 recovers on the first healthy scan (the old rule)',
      'xxhxxhxxh',
      {...crash, recoverAfterMs: 0},
      {restarts: 3, recovered: 3, gaveUp: false},
    ],
  ] as const)('%s', (_name, scans, p, want) => {
    const {types, mem} = run(scans, p)
    expect(count(types, 'restart')).toBe(want.restarts)
    expect(count(types, 'recovered')).toBe(want.recovered)
    expect(mem.gaveUp).toBe(want.gaveUp)
  })

  it('a scan that is not healthy ends the stretch; the next healthy one starts a new one', () => {
    let mem = {...freshMemory(), attempts: 1}
    mem = decide(status([]), true, mem, policy, 1000).next
    expect(mem.healthySince).toBe(1000)
    mem = decide(status([]), true, mem, policy, 2000).next
    expect(mem.healthySince).toBe(1000)
    mem = decide(status([], 'exited'), null, mem, {...policy, autoRestart: false}, 3000).next
    expect(mem.healthySince).toBeNull()
    mem = decide(status([]), true, mem, policy, 4000).next
    expect(mem.healthySince).toBe(4000)
    expect(
      decide(status([]), true, mem, policy, 4000 + 600_000)
        .actions.map((a) => a.type)
        .filter((t) => t !== 'alert'),
    ).toEqual(['recovered'])
  })

  it('property: when no healthy stretch reaches recoverAfterMs, restarts never exceed maxAttempts and nothing recovers', () => {
    const kind = fc.constantFrom('h', 'h', 'h', 'f', 'x', 'u')
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 5}),
        fc.integer({min: 0, max: 5000}),
        fc.integer({min: 1, max: 50_000}),
        fc.array(fc.tuple(fc.integer({min: 1, max: 20_000}), kind), {minLength: 1, maxLength: 120}),
        (maxAttempts, cooldownMs, recoverAfterMs, scans) => {
          const p = {...policy, maxAttempts, cooldownMs, recoverAfterMs}
          let mem = freshMemory()
          let now = 0
          let stretch: number | null = null
          let restarts = 0
          for (const [gap, k] of scans) {
            now += gap
            // A healthy scan that would complete a stretch of recoverAfterMs is made unhealthy instead.
            let c: string = k
            if (c === 'h' && stretch !== null && now - stretch >= recoverAfterMs) c = 'f'
            stretch = c === 'h' ? (stretch ?? now) : null
            const [st, ping] = scanOf(c)
            const r = decide(st, ping, mem, p, now)
            mem = r.next
            if (r.actions.some((a) => a.type === 'restart')) {
              restarts++
              stretch = null
            }
            expect(r.actions.some((a) => a.type === 'recovered')).toBe(false)
          }
          expect(restarts).toBeLessThanOrEqual(maxAttempts)
        },
      ),
      {numRuns: 3000},
    )
  })

  it('property: a stretch that does reach recoverAfterMs recovers exactly at its first scan past it', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 100_000}), fc.array(fc.integer({min: 1, max: 30_000}), {minLength: 1, maxLength: 60}), (recoverAfterMs, gaps) => {
        const p = {...policy, recoverAfterMs}
        let mem: InstanceMemory = {...freshMemory(), attempts: 2, gaveUp: true}
        let now = 0
        let start: number | null = null
        for (const gap of gaps) {
          now += gap
          start ??= now
          const r = decide(status([]), true, mem, p, now)
          const recovered = r.actions.some((a) => a.type === 'recovered')
          expect(recovered).toBe(mem.gaveUp && now - start >= recoverAfterMs)
          mem = r.next
        }
      }),
      {numRuns: 1000},
    )
  })
})

describe('Prometheus text', () => {
  it('renders gauges and counters with escaped labels', () => {
    const m = new Metrics()
    m.set('g', 'A gauge.', {instance: 'oc"7'}, 2)
    m.inc('c', 'A counter.', {instance: 'oc7'})
    m.inc('c', 'A counter.', {instance: 'oc7'})
    expect(m.render()).toBe('# HELP g A gauge.\n# TYPE g gauge\ng{instance="oc\\"7"} 2\n# HELP c A counter.\n# TYPE c counter\nc{instance="oc7"} 2\n')
  })
})

describe('watch and the disk', () => {
  const FULL = {kind: 'storage-full' as const, why: 'state dir /d is on tmpfs (t at /d): full, 0 B free of 256 MiB', hint: 'free space'}
  it('a storage fault opens a storage alert at once and never restarts, even failing its ping on every scan with a curable class', () => {
    const st = instanceStatus([], {ok: false, storage: FULL})
    let mem = freshMemory()
    const types: string[] = []
    for (let scan = 0; scan < 6; scan++) {
      const d = decide(st, false, mem, policy, scan * 10_000, scan % 2 ? 'timeout' : 'storage-full')
      types.push(...d.actions.map((a) => (a.type === 'alert' ? `${a.state}:${a.reason}` : a.type)))
      mem = d.next
    }
    expect(types).toEqual(['open:storage', 'open:ping-failed'])
    expect(types).not.toContain('restart')
  })

  it('a storage-full ping without a storage fault read (a remote engine) alerts with the hint and does not restart', () => {
    const st = instanceStatus([], {ok: false})
    const first = decide(st, false, freshMemory(), policy, 0, 'storage-full')
    const second = decide(st, false, first.next, policy, 10_000, 'storage-full')
    expect(second.actions).toEqual([
      expect.objectContaining({type: 'alert', state: 'open', reason: 'ping-failed', detail: expect.stringMatching(/storage-full.*free space on it/)}),
    ])
  })
})

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {decide, freshMemory, type WatchPolicy} from '../../src/runbook/watch-decide.js'
import type {InstanceStatus, LockReport} from '../../src/runbook/observe.js'
import type {Verdict} from '../../src/locks/types.js'
import {Metrics} from '../../src/report/metrics.js'

const lock = (verdict: Verdict, raw = '{"pid": 26}', p = '/s/a.jsonl.lock'): LockReport => ({
  path: p, containerPath: '/c', kind: 'session', agent: 'main', session: 'a', size: 10, mtime: '2026-01-01T00:00:00.000Z', suspicious: null, raw, readError: null,
  pid: 26, createdAt: null, starttime: 1, payloadProblems: [], verdict, reasons: [], ageMs: 1000,
  evidence: {container: 'c', containerRunning: true, containerStartedAt: null, mountedBy: ['c'], process: {pid: 26, exists: true}, probeError: null},
})
const status = (locks: LockReport[], state = 'running'): InstanceStatus => ({
  id: 1, name: 'oc1', group: null, container: 'c', service: 's', state, health: 'healthy', startedAt: null, uptimeMs: 1, restartCount: 0, image: 'i', compose: null, foundBy: 'name',
  locks, counts: {live: 0, stale: 0, hung: 0, orphan: 0, conflict: 0, unknown: 0}, worst: null, sharedWith: [], logSignature: null, errors: [],
  ok: state === 'running' && !locks.some((l) => ['stale', 'hung', 'orphan', 'conflict'].includes(l.verdict)),
})
const policy: WatchPolicy = {reportOnly: false, autoRestart: true, maxAttempts: 2, cooldownMs: 1000}

describe('watch decisions', () => {
  it('acts on a stale lock only when seen twice with the same content', () => {
    const first = decide(status([lock('stale')]), null, freshMemory(), policy, 0)
    expect(first.actions.map((a) => a.type)).toEqual(['pending'])
    const second = decide(status([lock('stale')]), null, first.next, policy, 1000)
    expect(second.actions.map((a) => a.type)).toEqual(['clear'])
    const changed = decide(status([lock('stale', '{"pid": 27}')]), null, first.next, policy, 1000)
    expect(changed.actions.map((a) => a.type)).toEqual(['pending'])
    expect(decide(status([lock('orphan')]), null, decide(status([lock('orphan')]), null, freshMemory(), policy, 0).next, policy, 1).actions.map((a) => a.type)).toEqual(['end-holder'])
  })

  it('report-only never acts; hung alerts and restarts only with autoRestart', () => {
    const ro = {...policy, reportOnly: true}
    const m = decide(status([lock('stale'), lock('hung', 'x', '/s/b.jsonl.lock')]), null, freshMemory(), ro, 0).next
    expect(decide(status([lock('stale'), lock('hung', 'x', '/s/b.jsonl.lock')]), null, m, ro, 1).actions.map((a) => a.type)).toEqual(['pending', 'alert'])
    expect(decide(status([lock('hung')]), null, freshMemory(), {...policy, autoRestart: false}, 0).actions.map((a) => a.type)).toEqual(['alert'])
    expect(decide(status([lock('hung')]), null, freshMemory(), policy, 0).actions.map((a) => a.type)).toEqual(['alert', 'restart'])
    expect(decide(status([lock('conflict')]), null, freshMemory(), policy, 0).actions.map((a) => a.type)).toEqual(['alert'])
  })

  it('property: a never-healing instance is restarted at most maxAttempts times, with cool-downs between', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 5}), fc.integer({min: 0, max: 5000}), fc.array(fc.integer({min: 1, max: 4000}), {minLength: 5, maxLength: 80}), (maxAttempts, cooldownMs, gaps) => {
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
      }),
      {numRuns: 2000},
    )
  })

  it('a recovered instance gets its attempts back', () => {
    let mem = freshMemory()
    for (let t = 0; t < 10; t++) mem = decide(status([]), false, mem, policy, t * 10_000).next
    expect(mem.gaveUp).toBe(true)
    const r = decide(status([]), true, mem, policy, 200_000)
    expect(r.actions.map((a) => a.type)).toEqual(['recovered'])
    expect(r.next).toMatchObject({attempts: 0, gaveUp: false})
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

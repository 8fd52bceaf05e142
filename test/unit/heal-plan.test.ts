import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {healOrder, planInstance} from '../../src/decide/heal-plan.js'
import type {LockReport} from '../../src/observe/observe.js'
import type {Verdict} from '../../src/locks/types.js'
import {instanceStatus, lockReport} from '../helpers/status.js'

/** A lock report with a path of its own (the plan keys locks by path). */
let seq = 0
const lock = (verdict: Verdict, extra: Partial<LockReport> = {}): LockReport => lockReport(verdict, seq++, extra)

const status = instanceStatus

describe('heal plan', () => {
  it('deletes stale, ends orphans, restarts for hung, leaves live, unknown and conflict alone', () => {
    const p = planInstance(status([lock('stale'), lock('orphan'), lock('live'), lock('unknown'), lock('conflict'), lock('hung')]), {
      force: false,
      restart: 'needed',
    })
    expect(p.deletes.map((l) => l.verdict)).toEqual(['stale'])
    expect(p.signals.map((s) => [s.pid, s.starttime])).toEqual([[26, 5]])
    expect(p.untouched.map((u) => u.lock.verdict).sort()).toEqual(['conflict', 'hung', 'live', 'unknown'])
    expect(p.restart).toBe('hung lock holder')
    expect(p.acted).toBe(true)
  })

  it('--force deletes live and unknown but never suspicious or conflict locks', () => {
    const p = planInstance(status([lock('live'), lock('unknown'), lock('unknown', {suspicious: 'symlink'}), lock('conflict')]), {
      force: true,
      restart: 'needed',
    })
    expect(p.deletes.map((l) => l.verdict).sort()).toEqual(['live', 'unknown'])
  })

  it('a stopped container is restarted; --no-restart never restarts', () => {
    expect(planInstance(status([lock('stale')], {state: 'exited'}), {force: false, restart: 'needed'}).restart).toBe('container exited')
    expect(planInstance(status([lock('hung')], {state: 'exited'}), {force: false, restart: 'never'}).restart).toBeNull()
  })

  it('property: without --force a live lock is never planned for deletion, whatever else the instance has', () => {
    const verdicts: Verdict[] = ['live', 'stale', 'hung', 'orphan', 'conflict', 'unknown']
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...verdicts), {maxLength: 12}), fc.constantFrom('needed', 'group', 'always', 'never' as const), (vs, restart) => {
        const p = planInstance(status(vs.map((v) => lock(v))), {force: false, restart})
        expect(p.deletes.every((l) => l.verdict === 'stale')).toBe(true)
        expect(p.deletes.length + p.signals.length + p.untouched.length).toBe(vs.length)
        if (restart === 'never') expect(p.restart).toBeNull()
      }),
      {numRuns: 2000},
    )
  })
})

describe('the dry-run plan says what heal will do', () => {
  it('promises a ping-dependent restart only where heal pings after acting', async () => {
    const {summarisePlan} = await import('../../src/heal/heal.js')
    const healthy = status([])
    const p = planInstance(healthy, {force: false, restart: 'needed'})
    expect(summarisePlan(p, 'needed', false, 'running').restartIfPingFails).toBe(false) // not affected: only a final ping
    expect(summarisePlan(p, 'needed', true, 'running').restartIfPingFails).toBe(true)
    expect(summarisePlan(p, 'never', true, 'running').restartIfPingFails).toBe(false)
    expect(summarisePlan(p, 'needed', true, 'paused').restartIfPingFails).toBe(false)
  })

  it('a paused container: no restart planned, nothing deleted even with --force', () => {
    const p = planInstance(status([lock('unknown')], {state: 'paused', ok: false}), {force: true, restart: 'always'})
    expect(p.restart).toBeNull()
    expect(p.deletes).toEqual([])
  })
})

describe('heal order', () => {
  type St = {id: number; state: string; health: 'healthy' | 'unhealthy' | 'starting' | 'none' | 'unknown'; ok: boolean}
  const st = (id: number, over: Partial<St> = {}): St => ({id, state: 'running', health: 'healthy', ok: true, ...over})
  const pl = (id: number, restart: string | null = null, acted = false) => ({id, restart, acted})

  it.each([
    ['all alike: by id', [st(1), st(2), st(3)], [pl(1), pl(2), pl(3)], [1, 2, 3]],
    ['a certain restart first', [st(1), st(2), st(3)], [pl(1, null, true), pl(2), pl(3, 'hung lock holder')], [3, 1, 2]],
    [
      'a frozen gateway (unhealthy, no certain restart) before stale-lock-only ones',
      [st(600), st(601), st(605, {health: 'unhealthy', ok: false})],
      [pl(600, null, true), pl(601, null, true), pl(605)],
      [605, 600, 601],
    ],
    ['not running before acted-on', [st(1), st(2, {state: 'exited', ok: false})], [pl(1, null, true), pl(2)], [2, 1]],
    ['acted-on before untouched', [st(1), st(2)], [pl(1), pl(2, null, true)], [2, 1]],
  ])('%s', (_, statuses, plans, order) => expect(healOrder(statuses as never, plans)).toEqual(order))

  it('is a permutation that keeps id order within a rank', () => {
    fc.assert(
      fc.property(fc.array(fc.record({restart: fc.boolean(), down: fc.boolean(), acted: fc.boolean()}), {maxLength: 30}), (xs) => {
        const statuses = xs.map((x, i) => st(i + 1, x.down ? {health: 'unhealthy', ok: false} : {}))
        const plans = xs.map((x, i) => pl(i + 1, x.restart ? 'hung' : null, x.acted))
        const order = healOrder(statuses as never, plans)
        expect([...order].sort((a, b) => a - b)).toEqual(statuses.map((s) => s.id))
        const rank = (id: number) => (xs[id - 1].restart ? 0 : xs[id - 1].down ? 1 : xs[id - 1].acted ? 2 : 3)
        for (let k = 1; k < order.length; k++) {
          const [a, b] = [order[k - 1], order[k]]
          expect(rank(a) < rank(b) || (rank(a) === rank(b) && a < b)).toBe(true)
        }
      }),
    )
  })
})

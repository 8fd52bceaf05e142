import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
// @ts-expect-error plain ESM bench module without types
import {analyseTurns, provableInTime, STORM_KINDS, stormPlan, turnClass} from '../../bench/storm-plan.mjs'

type Turn = {index: number; sentAt: number; ms: number; cls: string}
type Fault = {index: number; kind: string; startAt: number; endAt: number; error: null}

describe('storm plan', () => {
  it('is the same storm for the same seed, another for another seed', () => {
    const a = stormPlan({instances: 20, durationMs: 600_000, turnEveryMs: 4000, seed: 7})
    expect(stormPlan({instances: 20, durationMs: 600_000, turnEveryMs: 4000, seed: 7})).toEqual(a)
    expect(stormPlan({instances: 20, durationMs: 600_000, turnEveryMs: 4000, seed: 8})).not.toEqual(a)
  })

  it('gives every instance one fault inside the window, the kinds evenly, and a steady load', () => {
    fc.assert(
      fc.property(
        fc.integer({min: 1, max: 20}),
        fc.integer({min: 200_000, max: 900_000}),
        fc.integer({min: 1000, max: 10_000}),
        fc.integer(),
        (instances, durationMs, turnEveryMs, seed) => {
          const p = stormPlan({instances, durationMs, turnEveryMs, seed})
          expect(p.faults.map((f: {index: number}) => f.index).sort((x: number, y: number) => x - y)).toEqual(Array.from({length: instances}, (_, i) => i))
          for (const f of p.faults) expect(f.at >= 30_000 && f.at <= durationMs - 120_000).toBe(true)
          const perKind = STORM_KINDS.map((k: string) => p.faults.filter((f: {kind: string}) => f.kind === k).length)
          expect(Math.max(...perKind) - Math.min(...perKind)).toBeLessThanOrEqual(1)
          for (let i = 0; i < instances; i++) {
            const mine = p.turns.filter((t: {index: number}) => t.index === i).map((t: {at: number}) => t.at)
            // gaps between 0.75x and 1.25x the period (rounded to ms)
            for (let k = 1; k < mine.length; k++) expect(mine[k] - mine[k - 1]).toBeGreaterThanOrEqual(Math.floor(turnEveryMs * 0.75) - 1)
            expect(mine.length).toBeGreaterThanOrEqual(Math.floor(durationMs / (turnEveryMs * 1.25)) - 1)
          }
        },
      ),
      {numRuns: 50},
    )
  })

  it('refuses a window with no room for faults', () => {
    expect(() => stormPlan({instances: 5, durationMs: 100_000, turnEveryMs: 4000})).toThrow(/durationMs/)
  })
})

describe('turn classes', () => {
  it.each([
    [{status: 200, body: {result: {payloads: [{text: 'SPEED_OK'}]}}}, 'ok'],
    [{status: 500, body: {error: 'SessionWriteLockTimeoutError: session file locked (timeout 10000ms): pid=7 /x.jsonl.lock'}}, 'locked'],
    [{status: 500, body: {error: 'FailoverError: No API key'}}, 'other'],
    [{error: 'timeout after 30000 ms'}, 'timeout'],
    [{error: 'ECONNREFUSED connect ECONNREFUSED /s.sock'}, 'unreachable'],
    [{error: 'ENOENT connect ENOENT /s.sock'}, 'unreachable'],
    [{status: 200, body: {result: {payloads: []}}}, 'other'],
  ])('%j is %s', (r, cls) => expect(turnClass(r)).toBe(cls))
})

describe('what the turns saw', () => {
  const faults: Fault[] = [
    {index: 0, kind: 'orphan-exec', startAt: 1000, endAt: 2000, error: null},
    {index: 1, kind: 'frozen-gateway', startAt: 1000, endAt: 1500, error: null},
    {index: 2, kind: 'previous-incarnation', startAt: 3000, endAt: 6000, error: null},
  ]
  const turns: Turn[] = [
    {index: 0, sentAt: 500, ms: 5, cls: 'locked'}, // before its fault: no-fault
    {index: 0, sentAt: 1500, ms: 10_000, cls: 'locked'}, // during the injection
    {index: 0, sentAt: 2500, ms: 10_000, cls: 'locked'}, // the orphan's
    {index: 0, sentAt: 9000, ms: 4, cls: 'ok'},
    {index: 1, sentAt: 1600, ms: 30_000, cls: 'timeout'},
    {index: 1, sentAt: 40_000, ms: 6, cls: 'ok'},
    {index: 2, sentAt: 4000, ms: 1, cls: 'unreachable'}, // the restart the fault needs: injection
    {index: 2, sentAt: 7000, ms: 10_000, cls: 'locked'},
    {index: 3, sentAt: 7000, ms: 3, cls: 'ok'},
  ]
  const a = analyseTurns(turns, faults)

  it('blames each failure on the injection, the fault, or nothing', () => {
    expect(a.failed).toBe(6)
    expect(a.failedByCause).toEqual({'no-fault': 1, injection: 2, 'orphan-exec': 1, 'frozen-gateway': 1, 'previous-incarnation': 1})
    expect(a.failedFromFaults).toBe(3)
    // orphan (5 s) and previous incarnation (at once) are provable within OpenClaw's 10 s wait; a frozen gateway is not
    expect(a.failedFromProvableInTime).toBe(2)
    expect(a.failedByClass).toEqual({locked: 4, timeout: 1, unreachable: 1})
  })

  it('gives latency percentiles of the answered turns and each fault its time to the next answer', () => {
    expect(a.latencyOkMs).toEqual({p50: 4, p95: 6, max: 6, n: 3})
    expect(a.recoveries).toEqual([
      {index: 0, kind: 'orphan-exec', answeredAfterMs: 7004, failedTurns: 1},
      {index: 1, kind: 'frozen-gateway', answeredAfterMs: 38_506, failedTurns: 1},
      {index: 2, kind: 'previous-incarnation', answeredAfterMs: null, failedTurns: 1},
    ])
  })

  it('counts only frozen gateways as not provable in time', () => {
    expect(STORM_KINDS.filter((k: string) => !provableInTime(k))).toEqual(['frozen-gateway'])
  })
})

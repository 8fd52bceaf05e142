import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {msUntilAnyHung, msUntilAnyVerdictMayChange, msUntilHung, msUntilVerdictMayChange, THRESHOLD_SLACK_MS} from '../../src/locks/verdict-timing.js'
import type {LockPolicy, ProcessEvidence, Verdict} from '../../src/locks/types.js'

const policy: LockPolicy = {maxHoldMs: 20_000, orphanAfterMs: 5000, deadlineMarginMs: 4000, clockSkewMs: 2000, malformedGraceMs: 5000}
const NOW = Date.parse('2026-12-02T05:00:00.000Z')
const agent = (p: Partial<ProcessEvidence> = {}, timeoutSec: number | null = 1): ProcessEvidence => ({
  pid: 40,
  exists: true,
  state: 'S',
  isAgent: true,
  isMain: false,
  turn: {execRoot: {pid: 39, cmdline: ['openclaw', 'agent']}, timeoutSec, fleet: null, clients: null},
  ...p,
})
const lock = (verdict: Verdict, ageMs: number, process: ProcessEvidence | null, extra: {reasons?: string[]; mtime?: string} = {}) => ({
  verdict,
  ageMs,
  reasons: (extra.reasons ?? []) as never[],
  mtime: extra.mtime ?? new Date(NOW - ageMs).toISOString(),
  evidence: {process},
})

// [case, lock, policy override, expected ms (null: nothing timed)]
const TABLE: [string, ReturnType<typeof lock>, Partial<LockPolicy>, number | null][] = [
  ['exec turn with --timeout 1, 2 s old: orphan at 1 s + 4 s margin', lock('live', 2000, agent()), {}, 3000 + THRESHOLD_SLACK_MS],
  ['exec turn without --timeout: OpenClaw default 600 s + margin', lock('live', 10_000, agent({}, null)), {}, 600_000 + 4000 - 10_000 + THRESHOLD_SLACK_MS],
  ['exec turn with --timeout 0: no deadline, not stopped', lock('live', 2000, agent({}, 0)), {}, null],
  ['stopped exec turn: orphanAfter (sooner than its deadline)', lock('live', 1000, agent({state: 'T'}, 600)), {}, 4000 + THRESHOLD_SLACK_MS],
  [
    'this-host, no exec client left: orphanAfter',
    lock('live', 1000, agent({turn: {execRoot: {pid: 39, cmdline: ['openclaw']}, timeoutSec: 600, fleet: null, clients: []}})),
    {execClients: 'this-host'},
    4000 + THRESHOLD_SLACK_MS,
  ],
  [
    'anywhere, no exec client seen: proves nothing, deadline only',
    lock('live', 1000, agent({turn: {execRoot: {pid: 39, cmdline: ['openclaw']}, timeoutSec: 600, fleet: null, clients: []}})),
    {},
    600_000 + 4000 - 1000 + THRESHOLD_SLACK_MS,
  ],
  ["the gateway's own turn: hung at maxHold is a restart, never timed", lock('live', 1000, agent({isMain: true, isAgent: false})), {}, null],
  ['already past its deadline and still live (other evidence): not timed again', lock('live', 9000, agent()), {}, null],
  [
    'malformed lock being written, mtime 2 s old: stale at the 5 s grace',
    lock('unknown', 2000, null, {reasons: ['being-written', 'missing-pid']}),
    {},
    3000 + THRESHOLD_SLACK_MS,
  ],
  ['malformed lock with an unreadable mtime', lock('unknown', 2000, null, {reasons: ['being-written'], mtime: 'never'}), {}, null],
  ['unknown for missing evidence: time changes nothing', lock('unknown', 2000, agent(), {reasons: ['probe-failed']}), {}, null],
  ['stale already', lock('stale', 2000, agent()), {}, null],
  ['orphan already', lock('orphan', 8000, agent()), {}, null],
]

describe('when a verdict can change by age alone', () => {
  it.each(TABLE)('%s', (_, l, p, ms) => expect(msUntilVerdictMayChange(l, {...policy, ...p}, NOW)).toBe(ms))

  it('takes the soonest over an instance, null when none', () => {
    expect(msUntilAnyVerdictMayChange([lock('live', 2000, agent()), lock('live', 1000, agent({state: 'T'}, 600))], policy, NOW)).toBe(3000 + THRESHOLD_SLACK_MS)
    expect(msUntilAnyVerdictMayChange([lock('stale', 1, null)], policy, NOW)).toBeNull()
    expect(msUntilAnyVerdictMayChange([], policy, NOW)).toBeNull()
  })

  it('is never negative, and never later than the threshold it waits for', () => {
    fc.assert(
      fc.property(fc.integer({min: 0, max: 700_000}), fc.option(fc.integer({min: 0, max: 900}), {nil: null}), fc.boolean(), (ageMs, timeoutSec, stopped) => {
        const ms = msUntilVerdictMayChange(lock('live', ageMs, agent({state: stopped ? 'T' : 'S'}, timeoutSec)), policy, NOW)
        if (ms === null) return
        expect(ms).toBeGreaterThanOrEqual(THRESHOLD_SLACK_MS)
        const deadline = timeoutSec === null ? 600_000 : timeoutSec * 1000
        const thresholds = [...(timeoutSec === 0 ? [] : [deadline + 4000]), ...(stopped ? [5000] : [])]
        expect(thresholds.some((t) => ageMs + ms - THRESHOLD_SLACK_MS === t)).toBe(true)
      }),
    )
  })
})

describe('when a lock turns hung', () => {
  const gateway = agent({pid: 7, isMain: true, isAgent: false, turn: undefined})
  it.each([
    ["the gateway's own turn, 5 s old: hung at maxHold 20 s", {...lock('live', 5000, gateway), kind: 'session' as const}, 15_000 + THRESHOLD_SLACK_MS],
    ['a stopped gateway mid-turn: the same', {...lock('live', 5000, {...gateway, state: 'T'}), kind: 'session' as const}, 15_000 + THRESHOLD_SLACK_MS],
    ["an exec'd turn: never hung, an orphan or live", {...lock('live', 5000, agent()), kind: 'session' as const}, null],
    ['a 2026.8+ gateway lock: held for life', {...lock('live', 5000, gateway), kind: 'gateway' as const}, null],
    ['a SQLite writer: judged by its own rules', {...lock('live', 5000, gateway), kind: 'sqlite-writer' as const}, null],
    ['no process evidence', {...lock('live', 5000, null), kind: 'session' as const}, null],
    ['already past maxHold', {...lock('live', 25_000, gateway), kind: 'session' as const}, null],
    ['not live', {...lock('stale', 5000, gateway), kind: 'session' as const}, null],
  ])('%s', (_, l, ms) => expect(msUntilHung(l, policy)).toBe(ms))

  it('takes the soonest over an instance', () => {
    expect(
      msUntilAnyHung(
        [
          {...lock('live', 5000, gateway), kind: 'session'},
          {...lock('live', 15_000, gateway), kind: 'session'},
        ],
        policy,
      ),
    ).toBe(5000 + THRESHOLD_SLACK_MS)
    expect(msUntilAnyHung([], policy)).toBeNull()
  })
})

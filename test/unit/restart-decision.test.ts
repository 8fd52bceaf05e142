import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {CURABLE_BY_RESTART, decideRestart, type RestartFacts, type RestartPolicy} from '../../src/runbook/restart-decision.js'
import type {PingFailure} from '../../src/runbook/ping-classify.js'

const facts = (f: Partial<RestartFacts>): RestartFacts => ({state: 'running', hung: false, pingFailure: null, acted: false, versionKnown: true, liveTurns: [], ...f})

// [case, facts, policy, restart?, why contains]
const TABLE: [string, Partial<RestartFacts>, RestartPolicy, boolean, string][] = [
  ['healthy, nothing done', {}, 'needed', false, 'nothing a restart would cure'],
  ['answers after acting', {acted: true}, 'needed', false, 'answers after its locks were cleared'],
  ['hung holder', {hung: true}, 'needed', true, 'hung lock holder'],
  ['container exited', {state: 'exited'}, 'needed', true, 'container exited'],
  ['container created, never started', {state: 'created'}, 'group', true, 'container created'],
  ['paused container, hung lock', {state: 'paused', hung: true}, 'needed', false, 'paused'],
  ['paused with --restart always', {state: 'paused', acted: true}, 'always', false, 'paused'],
  ['missing container', {state: 'missing'}, 'needed', false, 'no container'],
  ['unreachable host', {state: 'unreachable', hung: true}, 'always', false, 'unreachable'],
  ['lock timeout after acting', {acted: true, pingFailure: 'lock-timeout'}, 'needed', true, 'lock-timeout'],
  ['no reply', {pingFailure: 'no-reply'}, 'needed', true, 'no-reply'],
  ['ping timeout', {pingFailure: 'timeout'}, 'group', true, 'timeout'],
  ['model error: never', {pingFailure: 'model-error'}, 'needed', false, 'model-error'],
  ['model error with --restart always: never', {pingFailure: 'model-error', acted: true}, 'always', false, 'model-error'],
  ['wrong reply: never', {pingFailure: 'wrong-reply'}, 'needed', false, 'wrong-reply'],
  ['fallback reuses the locked session: never (the holder is the live gateway turn)', {pingFailure: 'fallback-reuses-locked-session'}, 'always', false, 'fallback-reuses-locked-session'],
  ['fallback reuses the locked session after acting: never', {pingFailure: 'fallback-reuses-locked-session', acted: true}, 'needed', false, 'does not cure'],
  ['session takeover race: never', {pingFailure: 'session-takeover-race'}, 'needed', false, 'session-takeover-race'],
  ['CLI cannot start (exec-failed): never', {pingFailure: 'exec-failed'}, 'needed', false, 'exec-failed'],
  ['--restart always after acting', {acted: true}, 'always', true, '--restart always'],
  ['--restart always, nothing done', {}, 'always', false, 'nothing'],
  ['--no-restart, hung', {hung: true}, 'never', false, '--no-restart'],
  ['--no-restart, exited', {state: 'exited'}, 'never', false, '--no-restart'],
  ['unknown version, hung: report only', {versionKnown: false, hung: true}, 'always', false, 'version is unknown'],
  ['unknown version, exited: report only', {versionKnown: false, state: 'exited'}, 'needed', false, 'version is unknown'],
  ['storage locked, a live turn holds the db: never', {pingFailure: 'storage-locked', liveTurns: [412]}, 'needed', false, 'pid 412'],
  ['lock timeout, a live turn holds a lock: never', {pingFailure: 'lock-timeout', liveTurns: [88]}, 'always', false, 'would end them'],
  ['storage locked, no live turn (the gateway is the writer)', {pingFailure: 'storage-locked'}, 'needed', true, 'storage-locked'],
  ['state contention, no live turn', {pingFailure: 'state-contention'}, 'needed', true, 'state-contention'],
  ['hung holder beside a live turn: restart (hung is judged past maxHold)', {hung: true, liveTurns: [5]}, 'needed', true, 'hung'],
  ['exited with a live turn recorded: restart (nothing runs)', {state: 'exited', liveTurns: [5]}, 'needed', true, 'exited'],
]

describe('decideRestart: the one restart rule for heal and watch', () => {
  it('the known upstream signatures are on the non-curable side, each with its fix as the hint', () => {
    for (const f of ['fallback-reuses-locked-session', 'session-takeover-race'] as const) {
      expect(CURABLE_BY_RESTART.has(f)).toBe(false)
      expect(decideRestart(facts({pingFailure: f}), 'needed').hint).toMatch(/lock|session/)
    }
  })

  it.each(TABLE)('%s', (_n, f, policy, restart, why) => {
    const d = decideRestart(facts(f), policy)
    expect(d.restart).toBe(restart)
    expect(d.why).toContain(why)
  })

  it('a non-curable ping failure comes with a hint', () => {
    for (const failure of ['model-error', 'wrong-reply', 'exec-failed'] as PingFailure[]) expect(decideRestart(facts({pingFailure: failure}), 'needed').hint).toBeTruthy()
  })

  it('property: a running, not hung instance is restarted for a ping failure only when it is curable, whatever the policy', () => {
    const failures: PingFailure[] = [
      'lock-timeout',
      'fallback-reuses-locked-session',
      'session-takeover-race',
      'wrong-reply',
      'no-reply',
      'model-error',
      'timeout',
      'exec-failed',
      'container-not-running',
      'host-unreachable',
    ]
    fc.assert(
      fc.property(fc.constantFrom(...failures), fc.constantFrom<RestartPolicy>('needed', 'group', 'always'), fc.boolean(), (failure, policy, acted) => {
        const d = decideRestart(facts({pingFailure: failure, acted}), policy)
        return d.restart === CURABLE_BY_RESTART.has(failure)
      }),
    )
  })

  it('property: never with --no-restart, a paused container or an unreachable host', () => {
    fc.assert(
      fc.property(
        fc.record({
          state: fc.constantFrom('running', 'exited', 'paused', 'unreachable', 'missing'),
          hung: fc.boolean(),
          acted: fc.boolean(),
          pingFailure: fc.constantFrom<PingFailure | null>(null, 'lock-timeout', 'timeout'),
        }),
        fc.constantFrom<RestartPolicy>('needed', 'group', 'always', 'never'),
        (f, policy) => {
          const d = decideRestart(f, policy)
          return !(d.restart && (policy === 'never' || f.state === 'paused' || f.state === 'unreachable'))
        },
      ),
    )
  })
})

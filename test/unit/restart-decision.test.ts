import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {CURABLE_BY_RESTART, decideRestart, type RestartFacts, type RestartPolicy} from '../../src/decide/restart.js'
import type {PingFailure} from '../../src/decide/ping-class.js'
import type {Life} from '../../src/openclaw/gateway-life.js'
import {startRefusal} from '../../src/openclaw/start-refusals.js'
import {STORAGE_HINTS} from '../../src/locks/signatures.js'

const READY = {state: 'ready', why: 'ready line since this start', refusal: null} as const
const life = (state: Life['state'], refusal: Life['refusal'] = null): RestartFacts['life'] => ({state, why: `${state} (why)`, refusal})
const facts = (f: Partial<RestartFacts>): RestartFacts => ({
  state: 'running',
  hung: false,
  pingFailure: null,
  acted: false,
  versionKnown: true,
  liveTurns: [],
  life: READY,
  mountOk: true,
  ...f,
})
const MIGRATIONS = startRefusal('Gateway failed to start: OpenClaw startup migrations did not complete cleanly; run openclaw doctor --fix')
const LEASE = startRefusal('Gateway failed to start: state lease heartbeat did not become ready')
const FULL = {kind: 'storage-full', why: 'state dir /d is on tmpfs (t at /d): full, 0 B free of 64 MiB', hint: STORAGE_HINTS['storage-full']} as const

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
  [
    'fallback reuses the locked session: never (the holder is the live gateway turn)',
    {pingFailure: 'fallback-reuses-locked-session'},
    'always',
    false,
    'fallback-reuses-locked-session',
  ],
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
  [
    'starting, nothing listens yet (gateway-unavailable): never',
    {life: life('starting'), pingFailure: 'gateway-unavailable'},
    'always',
    false,
    'start in progress',
  ],
  ['starting, ping timed out: never', {life: life('starting'), pingFailure: 'timeout', acted: true}, 'needed', false, 'starting'],
  [
    'crash loop, gateway-unavailable: never (the policy restarts it already)',
    {life: life('crash-loop', MIGRATIONS), pingFailure: 'gateway-unavailable'},
    'always',
    false,
    'crash-loop',
  ],
  [
    'crash loop, exec-failed 126 from its running window: names the crash loop',
    {life: life('crash-loop'), pingFailure: 'exec-failed'},
    'needed',
    false,
    'crash-loop',
  ],
  ['restarted by its policy a minute ago: never', {life: life('restarting'), pingFailure: 'timeout'}, 'needed', false, 'restarting'],
  ['a start refusal doctor --fix cures: never', {life: life('failing', MIGRATIONS), pingFailure: 'gateway-unavailable'}, 'always', false, 'refuses to start'],
  [
    'past its start budget, no refusal known: a restart may cure a stuck start',
    {life: life('failing'), pingFailure: 'gateway-unavailable'},
    'needed',
    true,
    'gateway-unavailable',
  ],
  [
    'past its start budget after a lease heartbeat refusal (clears by waiting): restart allowed',
    {life: life('failing', LEASE), pingFailure: 'gateway-unavailable'},
    'needed',
    true,
    'gateway-unavailable',
  ],
  ['hung holder in a container that mounts another dir: never', {hung: true, mountOk: false}, 'always', false, 'configured dataDir'],
  ['exited, mounts another dir: never', {state: 'exited', mountOk: false}, 'needed', false, 'configured dataDir'],
  ['hung holder while starting: restart (hung is proof)', {hung: true, life: life('starting')}, 'needed', true, 'hung'],
  ['2026.9 ping timeout while the gateway reports active work: never (a slow turn)', {pingFailure: 'timeout', activeWork: 2}, 'always', false, 'active work'],
  ['2026.9 ping timeout, the gateway idle by its preflight: restart', {pingFailure: 'timeout', activeWork: 0}, 'needed', true, 'timeout'],
  ['2026.9 ping timeout, work unknown (a frozen gateway cannot answer): restart', {pingFailure: 'timeout', activeWork: null}, 'needed', true, 'timeout'],
  ['2026.9 model error with active work: never, for the model error', {pingFailure: 'model-error', activeWork: 1}, 'needed', false, 'model-error'],
  ['2026.9 storage-full ping (the real `database or disk is full`): never', {pingFailure: 'storage-full'}, 'always', false, 'storage-full'],
  ['storage-readonly ping: never', {pingFailure: 'storage-readonly', acted: true}, 'needed', false, 'storage-readonly'],
  ['storage-io ping: never', {pingFailure: 'storage-io'}, 'group', false, 'storage-io'],
  ['state fs full, ping timed out: never (the disk, not a wedge)', {pingFailure: 'timeout', storage: FULL}, 'always', false, 'does not cure the disk'],
  ['state fs full, container exited: never (a start on a full disk fails)', {state: 'exited', storage: FULL}, 'needed', false, 'storage-full'],
  ['state fs full, hung holder: never (a full disk freezes holders)', {hung: true, storage: FULL}, 'needed', false, 'storage-full'],
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
    for (const failure of ['model-error', 'wrong-reply', 'exec-failed'] as PingFailure[])
      expect(decideRestart(facts({pingFailure: failure}), 'needed').hint).toBeTruthy()
  })

  it('the storage classes are never curable, and their hint says to fix the disk', () => {
    for (const failure of ['storage-full', 'storage-readonly', 'storage-io'] as const) {
      expect(CURABLE_BY_RESTART.has(failure)).toBe(false)
      expect(decideRestart(facts({pingFailure: failure}), 'always').hint).toBe(STORAGE_HINTS[failure])
    }
  })

  it('property: a storage fault never restarts, whatever the ping, the container state, a hung holder or the policy', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<PingFailure | null>(
          null,
          'lock-timeout',
          'timeout',
          'gateway-unavailable',
          'no-reply',
          'storage-locked',
          'storage-full',
          'storage-readonly',
          'storage-io',
        ),
        fc.constantFrom('running', 'exited', 'created', 'dead'),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom<RestartPolicy>('needed', 'group', 'always', 'never'),
        fc.constantFrom('storage-full', 'storage-readonly', 'storage-io'),
        (pingFailure, state, hung, acted, policy, kind) => {
          const d = decideRestart(facts({pingFailure, state, hung, acted, storage: {kind, why: 'w', hint: STORAGE_HINTS[kind]}}), policy)
          expect(d.restart).toBe(false)
        },
      ),
    )
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
          const d = decideRestart(facts(f), policy)
          return !(d.restart && (policy === 'never' || f.state === 'paused' || f.state === 'unreachable'))
        },
      ),
    )
  })

  it('property: a gateway that is starting, restarting or crash-looping, or keeps its state elsewhere, is restarted only for a hung holder (and never then for the last two)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Life['state']>('starting', 'restarting', 'crash-loop'),
        fc.boolean(),
        fc.constantFrom<PingFailure | null>(null, 'lock-timeout', 'timeout', 'gateway-unavailable', 'no-reply', 'storage-locked', 'exec-failed'),
        fc.constantFrom<RestartPolicy>('needed', 'group', 'always'),
        fc.boolean(),
        fc.boolean(),
        (state, hung, pingFailure, policy, acted, mountOk) => {
          const d = decideRestart(facts({life: life(state), hung, pingFailure, acted, mountOk}), policy)
          if (!mountOk || state !== 'starting') expect(d.restart).toBe(false)
          else expect(d.restart).toBe(hung)
        },
      ),
    )
  })
})

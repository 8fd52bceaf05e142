import {isDeepStrictEqual} from 'node:util'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {PROOF_OF_NO_OWNER, judge, worstVerdict} from '../../src/locks/judge.js'
import {parseLockPayload} from '../../src/locks/parse.js'
import {VERDICT_SEVERITY} from '../../src/locks/types.js'
import type {
  ContainerEvidence,
  Judgement,
  LockEvidence,
  LockFile,
  LockPayload,
  LockPolicy,
  ProcessEvidence,
  Reason,
  SuspiciousKind,
  TurnEvidence,
  Verdict,
} from '../../src/locks/types.js'
import {DEFAULT_DEADLINE_MARGIN_MS, DEFAULT_TURN_TIMEOUT_MS} from '../../src/locks/turn.js'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const S = 1000
const MIN = 60 * S
const POLICY: LockPolicy = {maxHoldMs: 10 * MIN, orphanAfterMs: 5 * MIN, clockSkewMs: 2 * S, malformedGraceMs: 5 * S}

interface Case {
  lock: LockFile
  payload: LockPayload | null
  evidence: LockEvidence
  policy: LockPolicy
  now: number
}

const run = (c: Case): Judgement => judge(c.lock, c.payload, c.evidence, c.policy, c.now)

/** A healthy lock: pid 42 created 10 s ago, alive with the same starttime, in container 'oc-a' started an hour ago. */
function healthy(): Case {
  const created = NOW - 10 * S
  return {
    lock: {
      path: '/srv/oc-a/agents/main/sessions/s1.jsonl.lock',
      containerPath: '/home/node/.openclaw/agents/main/sessions/s1.jsonl.lock',
      kind: 'session',
      agent: 'main',
      session: 's1',
      size: 83,
      mtimeMs: created,
      raw: '{}',
    },
    payload: {pid: 42, createdAt: new Date(created).toISOString(), createdAtMs: created, starttime: 1000, shape: 'v2026.3-4', problems: []},
    evidence: {
      container: {name: 'oc-a', running: true, startedAtMs: NOW - 60 * MIN},
      mountedBy: ['oc-a'],
      process: {pid: 42, exists: true, state: 'S', starttime: 1000, isMain: true, isAgent: false},
    },
    policy: POLICY,
    now: NOW,
  }
}

/** An `openclaw-agent` holder that is not the gateway, started by docker exec (pid 30, PPID 0). */
const AGENT: Partial<ProcessEvidence> = {isAgent: true, isMain: false, cmdline: ['openclaw-agent']}
const turn = (t: Partial<TurnEvidence>): TurnEvidence => ({
  execRoot: {pid: 30, cmdline: ['openclaw', 'agent']},
  timeoutSec: null,
  fleet: null,
  clients: null,
  ...t,
})

type Patch = {
  policy?: Partial<LockPolicy>
  lock?: Partial<LockFile>
  payload?: Partial<LockPayload> | null
  evidence?: Partial<LockEvidence>
  container?: Partial<ContainerEvidence> | null
  process?: Partial<ProcessEvidence> | null
}

/** A healthy case with some fields changed. */
function withPatch(p: Patch): Case {
  const c = healthy()
  const container = p.container === null ? null : {...c.evidence.container!, ...p.container}
  const process = p.process === null ? null : {...c.evidence.process!, ...p.process}
  return {
    ...c,
    policy: {...c.policy, ...p.policy},
    lock: {...c.lock, ...p.lock},
    payload: p.payload === null ? null : {...c.payload!, ...p.payload},
    evidence: {...c.evidence, container, process, ...p.evidence},
  }
}

const EXAMPLES: [string, Verdict, Reason[], Patch][] = [
  ['healthy owner', 'live', [], {}],
  ['suspicious entry', 'unknown', ['suspicious'], {lock: {suspicious: 'symlink', raw: undefined}, payload: null}],
  ['suspicious wins over everything', 'unknown', ['suspicious'], {lock: {suspicious: 'too-large'}, evidence: {mountedBy: ['oc-a', 'oc-b']}}],
  ['two containers mount the dir', 'conflict', ['shared-sessions-dir'], {evidence: {mountedBy: ['oc-a', 'oc-b']}}],
  ['lock predates the container start', 'stale', ['predates-container-start', 'dead-pid'], {container: {startedAtMs: NOW - 5 * S}, process: {exists: false}}],
  [
    'predates start, pid reused by a new process',
    'stale',
    ['predates-container-start', 'recycled-pid'],
    {container: {startedAtMs: NOW - 5 * S}, process: {starttime: 7}},
  ],
  [
    'predates start, no process evidence needed',
    'stale',
    ['predates-container-start'],
    {container: {startedAtMs: NOW - 5 * S}, evidence: {process: undefined}},
  ],
  [
    'predates start of a stopped container',
    'stale',
    ['predates-container-start', 'container-not-running'],
    {container: {running: false, startedAtMs: NOW - 5 * S}, evidence: {mountedBy: [], process: undefined}},
  ],
  ['within clock skew of the start', 'live', [], {container: {startedAtMs: NOW - 10 * S + 1500}}],
  ['a later mtime counts as birth', 'live', [], {lock: {mtimeMs: NOW - S}, container: {startedAtMs: NOW - 5 * S}}],
  [
    'container stopped, nothing mounts the dir',
    'stale',
    ['container-not-running'],
    {container: {running: false}, evidence: {mountedBy: [], process: undefined}},
  ],
  ['container missing, nothing mounts the dir', 'stale', ['container-not-running'], {container: null, evidence: {mountedBy: [], process: undefined}}],
  ['running container does not mount the dir', 'unknown', ['mount-mismatch'], {evidence: {mountedBy: [], process: undefined}}],
  ['another single container mounts the dir (owner may live there)', 'unknown', ['mount-mismatch'], {evidence: {mountedBy: ['oc-b']}}],
  [
    'own container stopped, another mounts the dir',
    'unknown',
    ['mount-mismatch'],
    {container: {running: false}, evidence: {mountedBy: ['oc-b'], process: undefined}},
  ],
  ['missing pid, old', 'stale', ['missing-pid'], {lock: {mtimeMs: NOW - 6 * S}, payload: {pid: null, problems: ['missing-pid']}}],
  ['missing pid, being written', 'unknown', ['being-written', 'missing-pid'], {lock: {mtimeMs: NOW - 4 * S}, payload: {pid: null, problems: ['missing-pid']}}],
  // A pid given as a string, 0, -1 or a fraction: OpenClaw reads no pid (its `missing-pid`) and reclaims the lock once its mtime is over 5 s old.
  ['invalid pid, old', 'stale', ['invalid-pid'], {lock: {mtimeMs: NOW - 6 * S}, payload: {pid: null, problems: ['invalid-pid']}}],
  ['invalid pid, being written', 'unknown', ['being-written', 'invalid-pid'], {lock: {mtimeMs: NOW - 4 * S}, payload: {pid: null, problems: ['invalid-pid']}}],
  ['empty file, old', 'stale', ['unreadable'], {lock: {mtimeMs: NOW - 6 * S, raw: ''}, payload: {pid: null, createdAtMs: null, problems: ['empty']}}],
  [
    'truncated file, being written',
    'unknown',
    ['being-written', 'unreadable'],
    {lock: {mtimeMs: NOW - S}, payload: {pid: null, createdAtMs: null, problems: ['invalid-json']}},
  ],
  [
    'read error, old (the container may read it: never stale)',
    'unknown',
    ['unreadable'],
    {lock: {mtimeMs: NOW - 6 * S, raw: undefined, readError: 'EACCES'}, payload: null},
  ],
  ['probe failed', 'unknown', ['probe-failed'], {process: null}],
  ['not probed although the container runs', 'unknown', ['probe-failed'], {evidence: {process: undefined}}],
  ['evidence about another pid', 'unknown', ['probe-failed'], {process: {pid: 43, exists: false}}],
  ['dead owner', 'stale', ['dead-pid'], {process: {exists: false}}],
  ['zombie owner', 'stale', ['zombie'], {process: {state: 'Z'}}],
  ['recycled pid', 'stale', ['recycled-pid'], {process: {starttime: 5000}}],
  ['2026.2.x payload, alive', 'live', ['no-starttime'], {payload: {starttime: null, shape: 'v2026.2'}}],
  ['no starttime seen in /proc', 'live', [], {process: {starttime: undefined}}],
  [
    'invalid createdAt: age by mtime',
    'hung',
    ['hold-exceeded', 'invalid-createdAt'],
    {lock: {mtimeMs: NOW - 11 * MIN}, payload: {createdAt: null, createdAtMs: null, problems: ['invalid-createdAt']}},
  ],
  ['stopped owner', 'live', ['stopped'], {process: {state: 'T'}}],
  ['traced owner', 'live', ['stopped'], {process: {state: 't'}}],
  ['owner in uninterruptible sleep', 'live', ['uninterruptible'], {process: {state: 'D'}}],
  ['held too long', 'hung', ['hold-exceeded'], {payload: {createdAtMs: NOW - 11 * MIN}}],
  ['held too long while stopped', 'hung', ['hold-exceeded', 'stopped'], {payload: {createdAtMs: NOW - 11 * MIN}, process: {state: 'T'}}],
  ['main process held past orphanAfter', 'live', [], {payload: {createdAtMs: NOW - 6 * MIN}, process: {isAgent: true, isMain: true}}],
  // A turn (an `openclaw agent` holder that is not the gateway) is ended only on positive evidence.
  ['young agent turn', 'live', [], {payload: {createdAtMs: NOW - 4 * MIN}, process: AGENT}],
  ['agent turn past orphanAfter: its client may be attached', 'live', ['long-hold'], {payload: {createdAtMs: NOW - 6 * MIN}, process: AGENT}],
  [
    'agent turn past maxHold but within its deadline: not hung',
    'live',
    ['long-hold'],
    {payload: {createdAtMs: NOW - 11 * MIN}, process: {...AGENT, turn: turn({timeoutSec: 900})}},
  ],
  [
    'agent turn past its default deadline (600 s) + margin',
    'orphan',
    ['agent-process', 'past-deadline'],
    {payload: {createdAtMs: NOW - 12 * MIN - S}, process: AGENT},
  ],
  ['agent turn at its default deadline + margin exactly', 'live', ['long-hold'], {payload: {createdAtMs: NOW - 12 * MIN}, process: AGENT}],
  [
    'agent turn past its --timeout 60 + margin',
    'orphan',
    ['agent-process', 'past-deadline'],
    {payload: {createdAtMs: NOW - 181 * S}, process: {...AGENT, turn: turn({timeoutSec: 60})}},
  ],
  ['agent turn within its --timeout 60 + margin', 'live', [], {payload: {createdAtMs: NOW - 179 * S}, process: {...AGENT, turn: turn({timeoutSec: 60})}}],
  [
    'agent turn with --timeout 0 has no deadline',
    'live',
    ['long-hold'],
    {payload: {createdAtMs: NOW - 60 * MIN}, process: {...AGENT, turn: turn({timeoutSec: 0})}},
  ],
  [
    'deadline margin from the policy',
    'orphan',
    ['agent-process', 'past-deadline'],
    {payload: {createdAtMs: NOW - 71 * S}, process: {...AGENT, turn: turn({timeoutSec: 60})}, policy: {deadlineMarginMs: 10 * S}},
  ],
  [
    "fleet's own turn from a live fleet run: never an orphan",
    'live',
    ['fleet-exec'],
    {payload: {createdAtMs: NOW - 60 * MIN}, process: {...AGENT, turn: turn({fleet: {execId: 'x', owner: 'h:1:2', ownerAlive: true}})}},
  ],
  [
    "fleet's own turn whose fleet run is gone",
    'orphan',
    ['agent-process', 'client-gone'],
    {payload: {createdAtMs: NOW - 10 * S}, process: {...AGENT, turn: turn({fleet: {execId: 'x', owner: 'h:1:2', ownerAlive: false}})}},
  ],
  [
    "fleet's turn started on another host (owner unknown)",
    'live',
    ['long-hold'],
    {payload: {createdAtMs: NOW - 6 * MIN}, process: {...AGENT, turn: turn({fleet: {execId: 'x', owner: 'other:1:2', ownerAlive: null}})}},
  ],
  [
    'anywhere: no exec client on this host proves nothing',
    'live',
    ['long-hold'],
    {payload: {createdAtMs: NOW - 6 * MIN}, process: {...AGENT, turn: turn({clients: []})}},
  ],
  [
    'this-host: no exec client left, past orphanAfter',
    'orphan',
    ['agent-process', 'client-gone'],
    {payload: {createdAtMs: NOW - 6 * MIN}, process: {...AGENT, turn: turn({clients: []})}, policy: {execClients: 'this-host'}},
  ],
  [
    'this-host: no exec client, young turn',
    'live',
    [],
    {payload: {createdAtMs: NOW - 4 * MIN}, process: {...AGENT, turn: turn({clients: []})}, policy: {execClients: 'this-host'}},
  ],
  [
    'this-host: an exec client is attached',
    'live',
    ['long-hold'],
    {payload: {createdAtMs: NOW - 6 * MIN}, process: {...AGENT, turn: turn({clients: [4242]})}, policy: {execClients: 'this-host'}},
  ],
  [
    "this-host: this host's processes not seen",
    'live',
    ['long-hold'],
    {payload: {createdAtMs: NOW - 6 * MIN}, process: {...AGENT, turn: turn({clients: null})}, policy: {execClients: 'this-host'}},
  ],
  [
    'this-host: a turn the gateway started has no exec client to lose',
    'live',
    ['long-hold'],
    {payload: {createdAtMs: NOW - 6 * MIN}, process: {...AGENT, turn: turn({execRoot: null, clients: []})}, policy: {execClients: 'this-host'}},
  ],
  ['stopped agent turn past orphanAfter', 'orphan', ['agent-process', 'stopped'], {payload: {createdAtMs: NOW - 6 * MIN}, process: {...AGENT, state: 'T'}}],
  ['stopped agent turn, young', 'live', ['stopped'], {payload: {createdAtMs: NOW - 4 * MIN}, process: {...AGENT, state: 'T'}}],
  // createdAt from a clock running ahead: the hold is timed from the file's mtime, so a long hold is not hidden.
  [
    'createdAt an hour ahead, held 11 min by mtime',
    'hung',
    ['hold-exceeded', 'future-createdAt'],
    {lock: {mtimeMs: NOW - 11 * MIN}, payload: {createdAtMs: NOW + 60 * MIN}},
  ],
  ['createdAt an hour ahead, held 10 s by mtime', 'live', ['future-createdAt'], {payload: {createdAtMs: NOW + 60 * MIN}}],
  [
    'createdAt 5 min ahead of its mtime (both past): by mtime',
    'hung',
    ['hold-exceeded', 'future-createdAt'],
    {lock: {mtimeMs: NOW - 11 * MIN}, payload: {createdAtMs: NOW - 6 * MIN}},
  ],
  ['createdAt ahead of its mtime within clockSkew: not flagged', 'live', [], {lock: {mtimeMs: NOW - 10 * S - 1500}}],
  [
    'createdAt ahead, dead owner: stale, skew reported',
    'stale',
    ['dead-pid', 'future-createdAt'],
    {payload: {createdAtMs: NOW + 60 * MIN}, process: {exists: false}},
  ],
  ['createdAt ahead, probe failed', 'unknown', ['probe-failed', 'future-createdAt'], {payload: {createdAtMs: NOW + 60 * MIN}, process: null}],
  [
    'createdAt ahead, agent turn past its deadline by mtime',
    'orphan',
    ['agent-process', 'past-deadline', 'future-createdAt'],
    {lock: {mtimeMs: NOW - 13 * MIN}, payload: {createdAtMs: NOW + 60 * MIN}, process: AGENT},
  ],
  // createdAt and mtime both ahead of this clock: the hold cannot be timed here.
  [
    'createdAt and mtime ahead, the gateway holds: hung or live, cannot tell',
    'unknown',
    ['future-createdAt', 'future-mtime'],
    {lock: {mtimeMs: NOW + 30 * MIN}, payload: {createdAtMs: NOW + 30 * MIN}, container: {startedAtMs: NOW - 60 * MIN}},
  ],
  [
    'mtime ahead, no createdAt: cannot tell',
    'unknown',
    ['invalid-createdAt', 'future-mtime'],
    {lock: {mtimeMs: NOW + 30 * MIN}, payload: {createdAtMs: null, problems: ['invalid-createdAt']}},
  ],
  [
    'both ahead, fleet turn of a live run: live at any age',
    'live',
    ['fleet-exec', 'future-createdAt', 'future-mtime'],
    {
      lock: {mtimeMs: NOW + 30 * MIN},
      payload: {createdAtMs: NOW + 30 * MIN},
      process: {...AGENT, turn: turn({fleet: {execId: 'm', owner: 'h:1:1', ownerAlive: true}})},
    },
  ],
  ['paused container: evidence missing', 'unknown', ['container-paused'], {container: {running: false, paused: true}, evidence: {process: undefined}}],
  [
    'paused container, lock predates its start: still unknown',
    'unknown',
    ['container-paused'],
    {container: {running: false, paused: true, startedAtMs: NOW - 5 * S}, evidence: {process: undefined}},
  ],
]

/** Compile-time list of every Reason / Verdict, so the coverage check below cannot miss one. */
const ALL_REASONS = Object.keys({
  'dead-pid': 1,
  zombie: 1,
  'recycled-pid': 1,
  'predates-container-start': 1,
  'container-not-running': 1,
  'missing-pid': 1,
  'invalid-pid': 1,
  'invalid-createdAt': 1,
  'future-createdAt': 1,
  'future-mtime': 1,
  unreadable: 1,
  'hold-exceeded': 1,
  'shared-sessions-dir': 1,
  suspicious: 1,
  'probe-failed': 1,
  'mount-mismatch': 1,
  'agent-process': 1,
  stopped: 1,
  uninterruptible: 1,
  'being-written': 1,
  'no-starttime': 1,
  'container-paused': 1,
  'client-gone': 1,
  'past-deadline': 1,
  'fleet-exec': 1,
  'long-hold': 1,
  // Not judge's: `legacy-ignored` is judgeFile's (locks-ignored.test.ts), `foreign-holder` judgeWriter's (SQLite writers).
} satisfies Record<Exclude<Reason, 'legacy-ignored' | 'foreign-holder'>, 1>)
// `judge`'s verdicts; `ignored` is judgeFile's (a legacy lock file on 2026.8+), tested in locks-ignored.test.ts.
const ALL_VERDICTS = Object.keys({live: 1, stale: 1, hung: 1, orphan: 1, conflict: 1, unknown: 1} satisfies Record<Exclude<Verdict, 'ignored'>, 1>)

describe('judge: examples', () => {
  it.each(EXAMPLES)('%s -> %s %j', (_name, verdict, reasons, patch) => {
    expect(run(withPatch(patch))).toMatchObject({verdict, reasons})
  })

  it('the examples cover every verdict and every reason', () => {
    expect(new Set(EXAMPLES.map((e) => e[1]))).toEqual(new Set(ALL_VERDICTS))
    expect(new Set(EXAMPLES.flatMap((e) => e[2]))).toEqual(new Set(ALL_REASONS))
  })

  it('ageMs is by createdAt, else by mtime, by the mtime when createdAt is later, never negative', () => {
    expect(run(withPatch({payload: {createdAtMs: NOW - 7 * S}, lock: {mtimeMs: NOW - 3 * S}})).ageMs).toBe(7 * S)
    expect(run(withPatch({payload: {createdAtMs: null}, lock: {mtimeMs: NOW - 3 * S}})).ageMs).toBe(3 * S)
    expect(run(withPatch({payload: {createdAtMs: NOW + MIN}})).ageMs).toBe(10 * S)
    expect(run(withPatch({payload: {createdAtMs: NOW + MIN}, lock: {mtimeMs: NOW + MIN}})).ageMs).toBe(0)
    expect(run(withPatch({lock: {suspicious: 'directory', mtimeMs: NOW - 9 * S}, payload: null})).ageMs).toBe(9 * S)
  })

  it('reports the clock skew of a createdAt that is ahead (of its mtime, or of now)', () => {
    expect(run(withPatch({payload: {createdAtMs: NOW + 60 * MIN}})).clockSkewMs).toBe(60 * MIN + 10 * S) // ahead of its mtime (10 s ago)
    expect(run(withPatch({payload: {createdAtMs: NOW - 6 * MIN}, lock: {mtimeMs: NOW - 11 * MIN}})).clockSkewMs).toBe(5 * MIN)
    expect(run(withPatch({payload: {createdAtMs: NOW + 30 * MIN}, lock: {mtimeMs: NOW + 40 * MIN}})).clockSkewMs).toBe(30 * MIN)
    expect(run(withPatch({})).clockSkewMs).toBeUndefined()
    expect(run(withPatch({lock: {mtimeMs: NOW - 10 * S - 1500}})).clockSkewMs).toBeUndefined()
  })

  // What OpenClaw (2026.4.29, 2026.5.5: isValidLockNumber(pid) && pid > 0) reads as no pid, reclaimed once the mtime is over 5 s old.
  it.each(['"7"', '0', '-1', '1.5', '"abc"'])('a lock file with pid %s is invalid-pid: stale past malformedGrace, being-written before', (pid) => {
    const payload = parseLockPayload(`{\n  "pid": ${pid},\n  "createdAt": "${new Date(NOW - 6 * S).toISOString()}"\n}`)
    const c = withPatch({payload, lock: {mtimeMs: NOW - 6 * S}, evidence: {process: undefined}})
    expect(run(c)).toMatchObject({verdict: 'stale', reasons: ['invalid-pid']})
    expect(run({...c, lock: {...c.lock, mtimeMs: NOW - 4 * S}})).toMatchObject({verdict: 'unknown', reasons: ['being-written', 'invalid-pid']})
  })

  it('every stale example carries a proof of no owner', () => {
    for (const [, , , patch] of EXAMPLES) expect(hasProofWhenStale(run(withPatch(patch)))).toBe(true)
  })
})

describe('worstVerdict', () => {
  it('picks the most severe verdict', () => {
    expect(worstVerdict([])).toBeNull()
    expect(worstVerdict(['live'])).toBe('live')
    expect(worstVerdict(['live', 'unknown', 'stale'])).toBe('stale')
    expect(worstVerdict(['orphan', 'hung', 'live'])).toBe('hung')
    expect(worstVerdict(['conflict', 'hung'])).toBe('conflict')
  })
})

const hasProofWhenStale = (j: Judgement): boolean => j.verdict !== 'stale' || j.reasons.some((r) => PROOF_OF_NO_OWNER.has(r))

// ---------------------------------------------------------------------------------------------------------------------
// Property-based tests. Times are offsets from NOW so that interesting orderings (before/after start, grace, hold) occur.

const NAMES = ['oc-a', 'oc-b', 'oc-c']
const offset = fc.integer({min: -2 * 60 * MIN, max: 2 * 60 * MIN})
const duration = fc.integer({min: 0, max: 60 * MIN})
const smallPid = fc.integer({min: 1, max: 4})
const smallStarttime = fc.integer({min: 0, max: 3})

const policyArb: fc.Arbitrary<LockPolicy> = fc.record({
  maxHoldMs: duration,
  orphanAfterMs: duration,
  deadlineMarginMs: duration,
  execClients: fc.constantFrom('anywhere' as const, 'this-host' as const),
  clockSkewMs: fc.integer({min: 0, max: 10 * S}),
  malformedGraceMs: fc.integer({min: 0, max: 30 * S}),
})

/** Mostly undefined: the interesting paths need a plain, readable lock. */
const rarely = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.oneof({arbitrary: fc.constant(undefined), weight: 4}, {arbitrary: arb, weight: 1})

const lockArb: fc.Arbitrary<LockFile> = fc.record({
  path: fc.constant('/srv/sessions/s.jsonl.lock'),
  containerPath: fc.constant('/home/node/.openclaw/agents/main/sessions/s.jsonl.lock'),
  kind: fc.constantFrom('session' as const, 'store' as const),
  agent: fc.constant('main'),
  session: fc.constant('s'),
  size: fc.nat({max: 70_000}),
  mtimeMs: offset.map((o) => NOW + o),
  suspicious: rarely(fc.constantFrom<SuspiciousKind>('symlink', 'directory', 'too-large', 'not-a-regular-file')),
  raw: fc.option(fc.string({maxLength: 8}), {nil: undefined}),
  readError: rarely(fc.constant('EACCES: permission denied')),
})

const payloadArb: fc.Arbitrary<LockPayload> = fc.record({
  pid: fc.option(smallPid, {nil: null}),
  createdAt: fc.constant(null),
  createdAtMs: fc.option(
    offset.map((o) => NOW + o),
    {nil: null},
  ),
  starttime: fc.option(smallStarttime, {nil: null}),
  shape: fc.constantFrom('v2026.2' as const, 'v2026.3-4' as const, 'v2026.5+' as const, 'unknown' as const),
  problems: fc.subarray([
    'empty',
    'invalid-json',
    'not-an-object',
    'missing-pid',
    'invalid-pid',
    'missing-createdAt',
    'invalid-createdAt',
    'invalid-starttime',
  ] as const),
})

const processArb: fc.Arbitrary<ProcessEvidence> = fc.record(
  {
    pid: smallPid,
    exists: fc.boolean(),
    state: fc.constantFrom('R', 'S', 'D', 'Z', 'T', 't', 'X', 'I'),
    ppid: fc.nat({max: 10}),
    starttime: smallStarttime,
    cmdline: fc.constant(['openclaw-agent']),
    isMain: fc.boolean(),
    isAgent: fc.boolean(),
    turn: fc.record({
      execRoot: fc.option(fc.record({pid: smallPid, cmdline: fc.constant(['openclaw', 'agent'])}), {nil: null}),
      timeoutSec: fc.option(fc.constantFrom(0, 1, 60, 600, 3600), {nil: null}),
      fleet: fc.option(fc.record({execId: fc.constant('m'), owner: fc.constant('h:1:1'), ownerAlive: fc.constantFrom(true, false, null)}), {nil: null}),
      clients: fc.option(fc.constantFrom([], [7]), {nil: null}),
    }),
  },
  {requiredKeys: ['pid', 'exists']},
)

const containerArb: fc.Arbitrary<ContainerEvidence> = fc.record({
  name: fc.constantFrom(...NAMES),
  running: fc.boolean(),
  startedAtMs: fc.option(
    offset.map((o) => NOW + o),
    {nil: null},
  ),
})

const birthOf = (c: Case): number => Math.max(c.payload?.createdAtMs ?? -Infinity, c.lock.mtimeMs)

const anyMounts = fc.uniqueArray(fc.constantFrom(...NAMES), {maxLength: 3})

const evidenceArb = (mounts: fc.Arbitrary<string[]>): fc.Arbitrary<LockEvidence> =>
  fc.record(
    {
      container: fc.option(containerArb, {nil: null}),
      mountedBy: mounts,
      process: fc.option(processArb, {nil: null}),
      probeError: fc.constant('exec timeout'),
    },
    {requiredKeys: ['container', 'mountedBy']},
  )

/**
 * Arbitrary cases. Without explicit `mounts`, half of them are steered towards the interesting path
 * (the dir mounted by its own container only, started before the lock, the probed pid being the payload's
 * and alive with its starttime) so every verdict occurs often.
 */
const caseArb = (mounts?: fc.Arbitrary<string[]>): fc.Arbitrary<Case> =>
  fc
    .record({
      lock: lockArb,
      payload: fc.option(payloadArb, {nil: null}),
      evidence: evidenceArb(mounts ?? anyMounts),
      policy: policyArb,
      now: fc.constant(NOW),
      steer: mounts ? fc.constant(false) : fc.boolean(),
    })
    .map(({steer, ...c}) => {
      const {container, process} = c.evidence
      if (!steer) return c
      const pid = c.payload?.pid
      const birth = birthOf(c)
      return {
        ...c,
        evidence: {
          ...c.evidence,
          container: container && {...container, startedAtMs: Math.min(container.startedAtMs ?? birth, birth)},
          mountedBy: container ? [container.name] : c.evidence.mountedBy,
          process: process && pid != null ? {...process, pid, exists: true, starttime: c.payload?.starttime ?? process.starttime} : process,
        },
      }
    })

describe('judge: properties', () => {
  it('(1) a young lock of a live owner with matching starttime in its running container is live', () => {
    const arb = fc
      .record({
        policy: policyArb,
        age: fc.nat({max: 60 * MIN}),
        startedBefore: duration,
        mtimeOffset: offset,
        createdAt: fc.constantFrom('valid', 'missing', 'invalid'),
        pid: smallPid,
        starttime: fc.option(smallStarttime, {nil: null}),
        state: fc.constantFrom<string | undefined>('R', 'S', 'D', 'T', 't', 'I', undefined),
        isMain: fc.boolean(),
        isAgent: fc.boolean(),
      })
      .map((g) => {
        const age = Math.min(
          g.age,
          g.policy.maxHoldMs,
          g.policy.orphanAfterMs,
          DEFAULT_TURN_TIMEOUT_MS + (g.policy.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS),
        )
        const byCreatedAt = g.createdAt === 'valid'
        const birth = NOW - age
        const c: Case = {
          // Written after its createdAt was read (the mtime later than createdAt, up to now).
          lock: {...healthy().lock, mtimeMs: byCreatedAt ? Math.max(birth, Math.min(NOW, NOW + g.mtimeOffset)) : birth},
          payload: {
            pid: g.pid,
            createdAt: null,
            createdAtMs: byCreatedAt ? birth : null,
            starttime: g.starttime,
            shape: 'v2026.3-4',
            problems: g.createdAt === 'valid' ? [] : [g.createdAt === 'missing' ? 'missing-createdAt' : 'invalid-createdAt'],
          },
          evidence: {
            container: {name: 'oc-a', running: true, startedAtMs: birth - g.startedBefore},
            mountedBy: ['oc-a'],
            process: {pid: g.pid, exists: true, state: g.state, starttime: g.starttime ?? undefined, isMain: g.isMain, isAgent: g.isAgent},
          },
          policy: g.policy,
          now: NOW,
        }
        return {c, age}
      })
    fc.assert(
      fc.property(arb, ({c, age}) => {
        const j = run(c)
        return j.verdict === 'live' && j.ageMs === age
      }),
      {numRuns: 2000},
    )
  })

  it('(2) stale always carries a proof of no owner', () => {
    const seen = new Map<Verdict, number>()
    fc.assert(
      fc.property(caseArb(), (c) => {
        const j = run(c)
        seen.set(j.verdict, (seen.get(j.verdict) ?? 0) + 1)
        return hasProofWhenStale(j)
      }),
      {numRuns: 3000},
    )
    // The generator reaches every verdict, and 'stale' often.
    expect([...seen.keys()].sort()).toEqual([...ALL_VERDICTS].sort())
    expect(seen.get('stale')).toBeGreaterThan(300)
  })

  it('(3) a failed probe never makes a lock stale when the container runs with one mount and the pid is usable', () => {
    const arb = fc
      .record({c: caseArb(fc.constantFrom(...NAMES).map((n) => [n])), container: containerArb, startedBefore: fc.option(duration, {nil: null}), pid: smallPid})
      .map(({c, container, startedBefore, pid}) => {
        const lock = {...c.lock, suspicious: undefined, readError: undefined}
        const payload = {...(c.payload ?? healthy().payload!), pid}
        const birth = birthOf({...c, lock, payload})
        const startedAtMs = startedBefore === null ? null : birth - startedBefore
        return {...c, lock, payload, evidence: {...c.evidence, container: {...container, running: true, startedAtMs}, process: null}}
      })
    fc.assert(
      fc.property(arb, (c) => run(c).verdict !== 'stale'),
      {numRuns: 2000},
    )
  })

  it('(4) more than one container mounting the dir is always a conflict (unless the entry is suspicious)', () => {
    const arb = caseArb(fc.uniqueArray(fc.constantFrom(...NAMES), {minLength: 2, maxLength: 3})).map((c) => ({
      ...c,
      lock: {...c.lock, suspicious: undefined},
    }))
    fc.assert(
      fc.property(arb, (c) => {
        const j = run(c)
        return j.verdict === 'conflict' && j.reasons.join() === 'shared-sessions-dir'
      }),
      {numRuns: 1000},
    )
  })

  it('(5) a suspicious entry is always unknown', () => {
    const arb = fc.record({c: caseArb(), kind: fc.constantFrom<SuspiciousKind>('symlink', 'directory', 'too-large', 'not-a-regular-file')})
    fc.assert(
      fc.property(arb, ({c, kind}) => {
        const j = run({...c, lock: {...c.lock, suspicious: kind}})
        return j.verdict === 'unknown' && j.reasons.join() === 'suspicious'
      }),
      {numRuns: 1000},
    )
  })

  it('(6) judge is deterministic, pure and total, even for garbage numbers', () => {
    const wild = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(Number.NaN, Infinity, -Infinity, 0, -0))
    const arb = fc
      .record({
        c: caseArb(),
        mtimeMs: wild,
        createdAtMs: wild,
        startedAtMs: wild,
        now: wild,
        policy: fc.record({maxHoldMs: wild, orphanAfterMs: wild, clockSkewMs: wild, malformedGraceMs: wild}),
        garbage: fc.boolean(),
      })
      .map((g) =>
        g.garbage
          ? {
              ...g.c,
              lock: {...g.c.lock, mtimeMs: g.mtimeMs},
              payload: g.c.payload && {...g.c.payload, createdAtMs: g.createdAtMs},
              evidence: {...g.c.evidence, container: g.c.evidence.container && {...g.c.evidence.container, startedAtMs: g.startedAtMs}},
              policy: g.policy,
              now: g.now,
            }
          : g.c,
      )
    fc.assert(
      fc.property(arb, (c) => {
        const before = structuredClone(c)
        const first = run(c)
        return (
          isDeepStrictEqual(run(structuredClone(c)), first) &&
          isDeepStrictEqual(structuredClone(c), before) && // inputs are not mutated
          ALL_VERDICTS.includes(first.verdict) &&
          first.ageMs >= 0 &&
          hasProofWhenStale(first)
        )
      }),
      {numRuns: 3000},
    )
  })

  it('(7) a turn is an orphan only with a signal that it cannot finish or that nothing waits for it', () => {
    const SIGNALS: Reason[] = ['client-gone', 'past-deadline', 'stopped']
    let orphans = 0
    fc.assert(
      fc.property(caseArb(), (c) => {
        const j = run(c)
        if (j.verdict !== 'orphan') return true
        orphans++
        return j.reasons.includes('agent-process') && j.reasons.some((r) => SIGNALS.includes(r))
      }),
      {numRuns: 3000},
    )
    expect(orphans).toBeGreaterThan(10)
  })

  it("(8) fleet's own turn from a live fleet run is never ended (orphan) nor restarted (hung)", () => {
    const arb = caseArb().map((c) => ({
      ...c,
      evidence: {
        ...c.evidence,
        process: c.evidence.process && {
          ...c.evidence.process,
          isAgent: true,
          isMain: false,
          turn: {execRoot: null, timeoutSec: null, clients: null, fleet: {execId: 'm', owner: 'h:1:1', ownerAlive: true}},
        },
      },
    }))
    fc.assert(
      fc.property(arb, (c) => !['orphan', 'hung'].includes(run(c).verdict)),
      {numRuns: 2000},
    )
  })

  it('(9) an agent turn within its deadline + margin, with a client that may be attached and not stopped, stays live', () => {
    const arb = fc
      .record({
        policy: policyArb,
        timeoutSec: fc.integer({min: 1, max: 3600}),
        frac: fc.double({min: 0, max: 1, noNaN: true}),
        state: fc.constantFrom('R', 'S', 'D'),
      })
      .map((g) => {
        const limit = g.timeoutSec * 1000 + (g.policy.deadlineMarginMs ?? 0)
        const age = Math.floor(limit * g.frac)
        const c = withPatch({
          policy: {...g.policy, execClients: 'anywhere'},
          payload: {createdAtMs: NOW - age},
          lock: {mtimeMs: NOW - age},
          container: {startedAtMs: NOW - 10 * 60 * MIN},
          process: {...AGENT, state: g.state, turn: turn({timeoutSec: g.timeoutSec, clients: []})},
        })
        return c
      })
    fc.assert(
      fc.property(arb, (c) => run(c).verdict === 'live'),
      {numRuns: 2000},
    )
  })

  // A lock file written at W (its mtime; the kernel's clock), its createdAt read just before from the writer's clock,
  // which may run ahead or behind by any amount. The hold is at least now - W.
  const skewedArb = fc
    .record({
      policy: policyArb,
      heldMs: fc.integer({min: 0, max: 3 * 60 * MIN}),
      readToWriteMs: fc.integer({min: 0, max: 50}),
      skewMs: fc.integer({min: -3 * 60 * MIN, max: 3 * 60 * MIN}),
      holder: fc.constantFrom('gateway', 'turn', 'fleet-turn'),
      timeoutSec: fc.option(fc.constantFrom(0, 1, 60, 600), {nil: null}),
      state: fc.constantFrom('R', 'S', 'D', 'T'),
    })
    .map((g) => {
      const written = NOW - g.heldMs
      const proc: Partial<ProcessEvidence> =
        g.holder === 'gateway'
          ? {isMain: true, isAgent: false, state: g.state}
          : {
              ...AGENT,
              state: g.state,
              turn: turn({timeoutSec: g.timeoutSec, fleet: g.holder === 'fleet-turn' ? {execId: 'm', owner: 'h:1:1', ownerAlive: true} : null}),
            }
      const c = withPatch({
        policy: g.policy,
        lock: {mtimeMs: written},
        payload: {createdAtMs: written - g.readToWriteMs + g.skewMs},
        container: {startedAtMs: written - g.policy.clockSkewMs - 10 * MIN},
        process: proc,
      })
      return {c, g, written}
    })

  it('(10) for any createdAt skew, a holder is never judged younger than its lock file, and one held past maxHold is never live', () => {
    fc.assert(
      fc.property(skewedArb, ({c, g}) => {
        const j = run(c)
        const same = run({...c, payload: {...c.payload!, createdAtMs: NOW - g.heldMs}}) // the same lock, createdAt on time
        const ahead = g.skewMs - g.readToWriteMs > c.policy.clockSkewMs
        return (
          j.ageMs >= g.heldMs &&
          // a gateway holding past maxHold is hung, however far ahead createdAt is
          (g.holder !== 'gateway' || g.heldMs <= c.policy.maxHoldMs || j.verdict === 'hung') &&
          // a createdAt ahead never makes the verdict milder than the same lock with createdAt on time
          (!ahead || VERDICT_SEVERITY[j.verdict] >= VERDICT_SEVERITY[same.verdict]) &&
          j.reasons.includes('future-createdAt') === ahead &&
          (j.clockSkewMs === undefined) === !ahead
        )
      }),
      {numRuns: 3000},
    )
  })

  it('(11) when createdAt and mtime are both ahead of this clock, an action that depends on the age is never taken, and the gateway is never called live', () => {
    const arb = skewedArb.map(({c, g}) => {
      const aheadMs = c.policy.clockSkewMs + 51 + (g.heldMs % (2 * 60 * MIN)) // beyond clockSkew even after the 50 ms from read to write
      return {
        c: {...c, lock: {...c.lock, mtimeMs: NOW + aheadMs}, payload: {...c.payload!, createdAtMs: NOW + aheadMs - g.readToWriteMs + Math.abs(g.skewMs)}},
        g,
      }
    })
    fc.assert(
      fc.property(arb, ({c, g}) => {
        const j = run(c)
        const young = run({...c, lock: {...c.lock, mtimeMs: NOW}, payload: {...c.payload!, createdAtMs: NOW}})
        return (
          j.reasons.includes('future-mtime') &&
          (j.verdict === young.verdict || j.verdict === 'unknown') &&
          j.verdict !== 'hung' &&
          (g.holder !== 'gateway' || j.verdict === 'unknown')
        )
      }),
      {numRuns: 2000},
    )
  })
})

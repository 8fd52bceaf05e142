/**
 * The pure verdict function: lock + payload + evidence + policy + now -> Judgement. No I/O, no clock.
 * Safety rule: 'stale' (deletable) only with a reason from PROOF_OF_NO_OWNER; missing evidence is 'unknown'.
 */
import {DEFAULT_DEADLINE_MARGIN_MS, turnDeadlineMs} from './turn.js'
import {VERDICT_SEVERITY} from './types.js'
import type {Judgement, LockEvidence, LockFile, LockKind, LockPayload, LockPolicy, ProcessEvidence, Reason, TurnEvidence, Verdict} from './types.js'

/** Reasons that prove no process can own the lock. Every 'stale' carries at least one. */
export const PROOF_OF_NO_OWNER: ReadonlySet<Reason> = new Set<Reason>([
  'dead-pid',
  'zombie',
  'recycled-pid',
  'predates-container-start',
  'container-not-running',
  'missing-pid',
  'invalid-pid',
  'unreadable',
])

/** Payload problems meaning nothing usable could be read at all. */
const UNREADABLE_PROBLEMS = new Set(['empty', 'invalid-json', 'not-an-object'])

/** Most severe verdict (VERDICT_SEVERITY), null for an empty list. */
export function worstVerdict(verdicts: Verdict[]): Verdict | null {
  let worst: Verdict | null = null
  for (const v of verdicts) if (worst === null || VERDICT_SEVERITY[v] > VERDICT_SEVERITY[worst]) worst = v
  return worst
}

/** How an instance stores its sessions, by its OpenClaw version: JSONL (+ `.jsonl.lock`) to 2026.7, SQLite from 2026.8; null when unknown. */
export type SessionStorage = 'jsonl' | 'sqlite' | null

/** A lock file's judgement on its instance's storage: with the verdict it would have had, when OpenClaw ignores the file. */
export interface FileJudgement extends Judgement {
  /** For `ignored` legacy locks: judge's verdict, as on a JSONL version (heal --tidy removes only `stale` ones). */
  legacyVerdict?: Verdict
}

/**
 * The verdict of a lock file on its instance's storage. On SQLite (2026.8+) a session or store `.jsonl.lock` is
 * `ignored` (`legacy-ignored`): OpenClaw never reads it, it is litter that blocks nothing; judge's verdict is kept as
 * `legacyVerdict`. Otherwise judge's verdict.
 */
export function judgeFile(
  lock: LockFile,
  payload: LockPayload | null,
  evidence: LockEvidence,
  policy: LockPolicy,
  nowMs: number,
  storage: SessionStorage,
): FileJudgement {
  const j = judge(lock, payload, evidence, policy, nowMs)
  const legacy = storage === 'sqlite' && (lock.kind === 'session' || lock.kind === 'store')
  return legacy ? {...j, verdict: 'ignored', reasons: ['legacy-ignored', ...j.reasons], legacyVerdict: j.verdict} : j
}

/** Reasons the process evidence gives for "this pid is not the lock's owner". */
function noOwnerReasons(payload: LockPayload | null, proc: ProcessEvidence | null | undefined): Reason[] {
  if (!proc || payload?.pid == null || proc.pid !== payload.pid) return []
  if (!proc.exists) return ['dead-pid']
  const reasons: Reason[] = []
  if (proc.state === 'Z') reasons.push('zombie')
  const seen = proc.starttime ?? null
  if (payload.starttime !== null && seen !== null && payload.starttime !== seen) reasons.push('recycled-pid')
  return reasons
}

/** Extra, verdict-neutral reasons describing a live owner. */
function ownerExtras(payload: LockPayload, proc: ProcessEvidence): Reason[] {
  const extras: Reason[] = []
  if (payload.problems.includes('invalid-createdAt')) extras.push('invalid-createdAt')
  if (payload.starttime === null) extras.push('no-starttime')
  return [...extras, ...stateExtras(proc)]
}

/** The one stopped rule: a process in state T or t (SIGSTOPped, or traced) runs no code until it is continued. */
export function isStopped(proc: Pick<ProcessEvidence, 'state'>): boolean {
  return proc.state === 'T' || proc.state === 't'
}

/** `stopped` (state T/t: SIGSTOPped or traced) and `uninterruptible` (D: blocked in the kernel, e.g. on I/O). */
export function stateExtras(proc: ProcessEvidence): Reason[] {
  if (isStopped(proc)) return ['stopped']
  return proc.state === 'D' ? ['uninterruptible'] : []
}

/** Negative and NaN ages (clock skew, garbage input) become 0. */
const clampAge = (ms: number): number => (ms > 0 ? ms : 0)

/** When the hold began, as far as the lock's own times tell, and what they say about the clocks that wrote them. */
export interface HoldStart {
  /** The start of the hold: the earlier of createdAt and the file's mtime (the mtime alone when createdAt is unusable), epoch ms. */
  sinceMs: number
  /** How far createdAt is ahead of the earliest clock reading that must come after it (the file's mtime, or now), ms; null when createdAt is unusable. */
  skewMs: number | null
  /** `future-createdAt` when createdAt is ahead by more than clockSkew; `future-mtime` when the start itself lies past now + clockSkew (the age cannot be measured on this clock). */
  clock: Reason[]
}

/**
 * OpenClaw reads createdAt from its clock, then creates and writes the file, so on one clock a lock's mtime is never
 * before its createdAt, and neither is after now. A createdAt later than the file's mtime or than now came from a
 * clock running ahead (beyond clockSkew it is flagged `future-createdAt`): a writer's clock hours ahead would make a
 * lock held for hours look seconds old. So the hold is timed from the earlier of createdAt and the mtime, which the
 * kernel set when the file was written: the age is never younger than the file, whatever createdAt says. When even
 * that start lies past now (beyond clockSkew: `future-mtime`), no clock here times the hold. Pure.
 */
export function holdStart(lock: Pick<LockFile, 'mtimeMs'>, createdAtMs: number | null, policy: Pick<LockPolicy, 'clockSkewMs'>, nowMs: number): HoldStart {
  const skewMs = createdAtMs === null ? null : createdAtMs - Math.min(nowMs, lock.mtimeMs)
  const ahead = skewMs !== null && skewMs > policy.clockSkewMs
  const sinceMs = createdAtMs === null ? lock.mtimeMs : Math.min(createdAtMs, lock.mtimeMs)
  const clock: Reason[] = ahead ? ['future-createdAt'] : []
  if (sinceMs - nowMs > policy.clockSkewMs) clock.push('future-mtime')
  return {sinceMs, skewMs, clock}
}

export function judge(lock: LockFile, payload: LockPayload | null, evidence: LockEvidence, policy: LockPolicy, nowMs: number): Judgement {
  const createdAtMs = payload?.createdAtMs ?? null
  const held = holdStart(lock, createdAtMs, policy, nowMs)
  const ageMs = clampAge(nowMs - held.sinceMs)
  const skew = held.clock.length > 0 && held.skewMs !== null ? {clockSkewMs: held.skewMs} : {}
  const result = (verdict: Verdict, reasons: Reason[]): Judgement => ({verdict, reasons, ageMs, ...skew})

  // a. Not a plain lock file: never touched automatically.
  if (lock.suspicious) return result('unknown', ['suspicious'])

  // b. Several pid namespaces could hold it: pids cannot be judged.
  const {container, mountedBy} = evidence
  if (mountedBy.length > 1) return result('conflict', ['shared-sessions-dir'])

  const running = container !== null && container.running
  const unmounted = mountedBy.length === 0
  const foreign = mountedBy.length === 1 && mountedBy[0] !== container?.name
  const mismatch: Reason[] = foreign ? ['mount-mismatch'] : []

  // c0. A paused container's processes exist but are frozen and cannot be probed: evidence missing, never stale.
  if (container?.paused) return result('unknown', ['container-paused'])

  // Only another container mounts the dir, or the instance's container keeps its state elsewhere: its owner may live
  // where we have no evidence. Never stale.
  if (foreign || container?.mountsConfiguredDir === false) return result('unknown', ['mount-mismatch'])

  // c. Created before the container's current incarnation started: no live owner can be in it.
  const birthMs = Math.max(createdAtMs ?? -Infinity, lock.mtimeMs)
  if (container?.startedAtMs != null && birthMs < container.startedAtMs - policy.clockSkewMs) {
    const notRunning: Reason[] = !running && unmounted ? ['container-not-running'] : []
    return result('stale', ['predates-container-start', ...notRunning, ...noOwnerReasons(payload, evidence.process), ...mismatch])
  }

  // d. Where could the owner live?
  if (unmounted) return running ? result('unknown', ['mount-mismatch']) : result('stale', ['container-not-running'])

  // The host could not read it (permissions): the container may well read it. Never stale.
  if (lock.readError !== undefined) return result('unknown', ['unreadable'])

  // e. No usable pid: OpenClaw itself reclaims these once the mtime is older than the grace period.
  const pid = payload?.pid ?? null
  if (payload === null || pid === null || lock.readError !== undefined) {
    const why: Reason =
      payload === null || lock.readError !== undefined || payload.problems.some((p) => UNREADABLE_PROBLEMS.has(p))
        ? 'unreadable'
        : payload.problems.includes('invalid-pid')
          ? 'invalid-pid'
          : 'missing-pid'
    const mtimeAge = nowMs - lock.mtimeMs
    return mtimeAge > policy.malformedGraceMs ? result('stale', [why, ...mismatch]) : result('unknown', ['being-written', why, ...mismatch])
  }

  // f. Missing process evidence (probe failed, not probed, or about another pid): never stale.
  const proc = evidence.process
  if (!proc || proc.pid !== pid) return result('unknown', ['probe-failed', ...held.clock, ...mismatch])

  // g. The recorded owner is gone.
  const gone = noOwnerReasons(payload, proc)
  if (gone.length > 0) return result('stale', [...gone, ...held.clock, ...mismatch])

  // h. The owner is alive. Its verdict by the age of the hold; when no clock here times the hold (future-mtime),
  // by the youngest and the oldest age it can have: if they disagree, the verdict is unknown (never a young `live`
  // hiding a hung holder, never an action on a hold that may be seconds old).
  const extras = [...ownerExtras(payload, proc), ...held.clock, ...mismatch]
  const byAge = (age: number): Judgement => ownerVerdict(lock, payload, proc, age, extras, policy, result)
  if (!held.clock.includes('future-mtime')) return byAge(ageMs)
  const youngest = byAge(0)
  return youngest.verdict === byAge(Number.MAX_SAFE_INTEGER).verdict ? youngest : result('unknown', extras)
}

/**
 * The one hung rule: the hold age past which a live holder of a lock of this kind is `hung` (held past maxHold: only
 * a restart frees it), or null when no age makes it hung. Only a lock held by a process that is not a turn (the
 * gateway's own turn) turns hung: a 2026.8+ gateway lock is held for the gateway's whole life, an exec'd turn is
 * judged as a turn (orphan or live), an SQLite writer by judgeWriter.
 */
export function hungAfterMs(kind: LockKind, proc: Pick<ProcessEvidence, 'isAgent' | 'isMain'>, policy: Pick<LockPolicy, 'maxHoldMs'>): number | null {
  if (kind === 'gateway' || kind === 'sqlite-writer' || isTurn(proc)) return null
  return policy.maxHoldMs
}

/** An `openclaw agent` process that is not the gateway: a turn. */
const isTurn = (proc: Pick<ProcessEvidence, 'isAgent' | 'isMain'>): boolean => proc.isAgent === true && !proc.isMain

/** A live owner's verdict for a hold of `ageMs`. */
function ownerVerdict(
  lock: LockFile,
  payload: LockPayload,
  proc: ProcessEvidence,
  ageMs: number,
  extras: Reason[],
  policy: LockPolicy,
  result: (v: Verdict, r: Reason[]) => Judgement,
): Judgement {
  // A gateway lock (2026.8+) taken by an embedded turn (`role: agent-embedded`) is that turn's, judged as one; held
  // by anything else it is the gateway's, for its whole life.
  if (isTurn(proc) && (lock.kind !== 'gateway' || payload.role === 'agent-embedded')) return judgeTurn(proc, ageMs, extras, policy, result)
  const hungAt = hungAfterMs(lock.kind, proc, policy)
  if (hungAt !== null && ageMs > hungAt) return result('hung', ['hold-exceeded', ...extras])
  return result('live', extras)
}

/** `execClients: this-host`, and no `docker exec` client on this host names the turn's container any more. */
export function noExecClientHere(turn: TurnEvidence | undefined, policy: LockPolicy): boolean {
  return policy.execClients === 'this-host' && turn?.execRoot != null && turn.clients !== null && turn.clients.length === 0
}

/** The hold age past which a turn is past its own deadline (its `--timeout`, else OpenClaw's default) plus deadlineMargin; null: no deadline. */
export function pastDeadlineAfterMs(turn: TurnEvidence | undefined, policy: LockPolicy): number | null {
  const deadline = turnDeadlineMs(turn)
  return deadline === null ? null : deadline + (policy.deadlineMarginMs ?? DEFAULT_DEADLINE_MARGIN_MS)
}

/**
 * A live `openclaw agent` holder that is not the gateway: a turn, maybe still working, maybe nobody's.
 * It is ended (`orphan`) only on positive evidence that it cannot finish or that nothing waits for it:
 * - `client-gone`: it is fleet's own turn and the fleet run that started it is gone; or, with
 *   `execClients: this-host`, no `docker exec` client on this host names its container any more (after orphanAfter);
 * - `past-deadline`: it holds longer than its own `--timeout` (else OpenClaw's default 600 s) plus deadlineMargin;
 * - `stopped`: it is SIGSTOPped and has held longer than orphanAfter.
 * fleet's own turn from a live fleet run is never an orphan: that run ends it at its own deadline.
 * Without such evidence it is `live`, flagged `long-hold` past orphanAfter.
 */
export function judgeTurn(
  proc: ProcessEvidence,
  ageMs: number,
  extras: Reason[],
  policy: LockPolicy,
  result: (v: Verdict, r: Reason[]) => Judgement,
): Judgement {
  const turn = proc.turn
  if (turn?.fleet?.ownerAlive === true) return result('live', ['fleet-exec', ...extras])
  const long = ageMs > policy.orphanAfterMs
  const signals: Reason[] = []
  if (turn?.fleet?.ownerAlive === false || (noExecClientHere(turn, policy) && long)) signals.push('client-gone')
  const pastDeadlineAt = pastDeadlineAfterMs(turn, policy)
  if (pastDeadlineAt !== null && ageMs > pastDeadlineAt) signals.push('past-deadline')
  const frozen = extras.includes('stopped') && long
  if (signals.length > 0 || frozen) return result('orphan', ['agent-process', ...signals, ...extras])
  return result('live', long ? ['long-hold', ...extras] : extras)
}

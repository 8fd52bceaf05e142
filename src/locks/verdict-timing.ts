/**
 * When a lock's verdict can change by time alone into one that `fleet watch` acts on between interval scans.
 * A reacting watch judges the instance again at that moment instead of at the next interval: a turn that waits
 * for the lock (OpenClaw waits 10 s) then still gets it.
 */
import {hungAfterMs, noExecClientHere, pastDeadlineAfterMs, stateExtras} from './judge.js'
import type {LockPolicy, TimedLock} from './types.js'

/** Judged a little after the threshold, so the age read by the next scan is past it. */
export const THRESHOLD_SLACK_MS = 250

/** The smallest of the moments that lie ahead, or null when none does. */
const soonest = (ms: (number | null)[]): number | null => {
  const ahead = ms.filter((x): x is number => x !== null)
  return ahead.length > 0 ? Math.min(...ahead) : null
}

/**
 * Milliseconds from nowMs until the verdict of this lock, judged when its age was `ageMs`, can change by age alone
 * into `stale` or `orphan`; null when no such moment lies ahead:
 * - `unknown` because it is being written (no usable pid): `stale` once its mtime is older than malformedGrace;
 * - `live`, held by an `openclaw agent` turn that is not the gateway: `orphan` once past its own deadline plus
 *   deadlineMargin, or, when it is stopped or `execClients: this-host` found no exec client, past orphanAfter.
 * The gateway's own turn becomes `hung` at maxHold: see msUntilHung.
 */
export function msUntilVerdictMayChange(lock: TimedLock, policy: LockPolicy, nowMs: number): number | null {
  const ahead = (atAgeMs: number, ageNowMs: number) => (atAgeMs >= ageNowMs ? atAgeMs - ageNowMs + THRESHOLD_SLACK_MS : null)
  if (lock.verdict === 'unknown' && lock.reasons.includes('being-written')) {
    const mtimeMs = Date.parse(lock.mtime)
    return Number.isFinite(mtimeMs) ? ahead(policy.malformedGraceMs, nowMs - mtimeMs) : null
  }
  const proc = lock.evidence.process
  if (lock.verdict !== 'live' || !proc?.isAgent || proc.isMain) return null
  // The thresholds judgeTurn applies, from the same helpers.
  const pastDeadlineAt = pastDeadlineAfterMs(proc.turn, policy)
  const orphanAfter = stateExtras(proc).includes('stopped') || noExecClientHere(proc.turn, policy) ? policy.orphanAfterMs : null
  return soonest([pastDeadlineAt, orphanAfter].map((t) => (t === null ? null : ahead(t, lock.ageMs))))
}

/** The soonest such moment over an instance's locks (ms from nowMs), or null. */
export const msUntilAnyVerdictMayChange = (locks: TimedLock[], policy: LockPolicy, nowMs: number): number | null =>
  soonest(locks.map((l) => msUntilVerdictMayChange(l, policy, nowMs)))

/**
 * Milliseconds until a `live` session lock held by a process that is not an exec'd turn (the gateway's own turn)
 * is held past maxHold and judged `hung`: a restart, decided with --auto-restart. null when no such moment lies
 * ahead (a gateway lock of 2026.8+ is held for the gateway's life and is never hung by age).
 */
export function msUntilHung(lock: TimedLock, policy: LockPolicy): number | null {
  const proc = lock.evidence.process
  if (lock.verdict !== 'live' || !proc?.exists) return null
  // judge's own rule: the age past which this holder is hung.
  const hungAt = hungAfterMs(lock.kind ?? 'session', proc, policy)
  return hungAt !== null && hungAt >= lock.ageMs ? hungAt - lock.ageMs + THRESHOLD_SLACK_MS : null
}

/** The soonest msUntilHung over an instance's locks, or null. */
export const msUntilAnyHung = (locks: TimedLock[], policy: LockPolicy): number | null => soonest(locks.map((l) => msUntilHung(l, policy)))

/**
 * The pure verdict on an SQLite write lock holder (OpenClaw 2026.8+): the process the kernel names as holding a db's
 * writer lock (see proc-locks.ts). No I/O, no clock.
 *
 * There is no file to delete: a fcntl lock ends with its process, so the only cures are ending the holder (an
 * orphan turn) or restarting the container (the gateway itself stuck). The same evidence bar as a file lock's holder:
 * - the gateway itself (the container's main process) holding it is `live`: writing is its job, and no age of the
 *   hold is recorded anywhere. Stopped (T) or blocked (D) it is flagged, and heal's ping decides;
 * - an `openclaw agent` turn (not the gateway) is judged by judgeTurn: `orphan` only on its own deadline passed,
 *   its client gone, or stopped past orphanAfter. The hold age is the holder's own age (the time since its process
 *   started): a bound on the hold, and exactly the clock its `--timeout` runs on;
 * - any other process (an operator's sqlite3 shell, `openclaw doctor`) is `live`: fleet never ends it;
 * - a holder this container's process table does not show (another container on the same state dir, a host
 *   process) is `unknown` (`foreign-holder`), and a paused container's holder `unknown` (`container-paused`).
 */
import {judgeTurn, stateExtras} from './judge.js'
import type {ContainerEvidence, Judgement, LockPolicy, ProcessEvidence, Reason, Verdict} from './types.js'

export interface WriterEvidence {
  container: ContainerEvidence | null
  /** Running containers that mount the db's state dir writable (the instance's own included). */
  mountedBy: string[]
  /** The holder in this container's PID namespace; null when the kernel's holder is not one of its processes. */
  process: ProcessEvidence | null
  /** Why there is no process evidence, when the probe failed. */
  probeError?: string
  /** The holder's age (now - its process start), ms; null when unknown. */
  holderAgeMs: number | null
}

export function judgeWriter(ev: WriterEvidence, policy: LockPolicy): Judgement {
  const ageMs = ev.holderAgeMs !== null && ev.holderAgeMs > 0 ? ev.holderAgeMs : 0
  const result = (verdict: Verdict, reasons: Reason[]): Judgement => ({verdict, reasons, ageMs})
  if (ev.mountedBy.length > 1) return result('conflict', ['shared-sessions-dir'])
  if (ev.container?.paused) return result('unknown', ['container-paused'])
  if (ev.container?.mountsConfiguredDir === false) return result('unknown', ['mount-mismatch'])
  if (ev.probeError !== undefined) return result('unknown', ['probe-failed'])
  const proc = ev.process
  if (!proc?.exists) return result('unknown', ['foreign-holder'])
  if (proc.state === 'Z') return result('unknown', ['zombie'])
  const extras = stateExtras(proc)
  if (proc.isMain) return result('live', extras)
  if (proc.isAgent) {
    if (ev.holderAgeMs === null) return result('unknown', ['probe-failed', ...extras])
    return judgeTurn(proc, ageMs, extras, policy, result)
  }
  return result('live', ageMs > policy.orphanAfterMs ? ['long-hold', ...extras] : extras)
}

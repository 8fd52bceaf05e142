/**
 * The one rule for what fleet does with each observed lock, for heal and watch alike: delete it, end its holder, or
 * leave it (and why). Pure.
 *
 * - OpenClaw version unknown: every lock is left (what a `.jsonl.lock` means depends on the version: fleet only reports).
 * - Container paused: its processes are frozen, nothing in it can be judged: every lock is left.
 * - `stale`: deleted. `orphan`: its holder is ended (checked against its starttime first); without process evidence left.
 * - `ignored` (legacy litter of 2026.8+): left; with `tidy` deleted when it would have been stale.
 * - `hung`: left (the container is restarted, by the restart rule). `conflict`: left (the sessions dir is shared).
 * - `live` and `unknown`: left; with `force` deleted, unless suspicious or an SQLite write lock (no file to delete).
 *
 * What would be deleted or ended is left instead when the caller reports only (watch --report-only) or when the
 * verdict is not proven yet (`proven`: watch acts on a lock seen on two consecutive scans with the same content;
 * heal acts on one observation): `awaiting` says which.
 */
import {isPaused} from '../docker/container-state.js'
import type {LockKind, ProcessEvidence, Reason, SuspiciousKind, Verdict} from '../locks/types.js'

/** What the rule reads of a judged lock (observe's LockReport is one). */
export interface LockFacts {
  verdict: Verdict
  /** For `ignored` legacy locks: the verdict it would have on a JSONL version. */
  legacyVerdict?: Verdict
  reasons: Reason[]
  kind: LockKind
  suspicious?: SuspiciousKind | null
  pid: number | null
  evidence: {mountedBy: string[]; process: ProcessEvidence | null}
}

/** What the rule reads of the instance (observe's InstanceStatus is one). */
export interface InstanceFacts<L extends LockFacts> {
  container: string
  /** Container state (`running`, `paused`, `exited`, `missing`, ...). */
  state: string
  openclaw: {version: string | null; error: string | null}
  locks: L[]
}

export interface LockActionPolicy<L extends LockFacts = LockFacts> {
  /** Delete live and unknown locks too (heal --force). */
  force?: boolean
  /** Delete legacy `.jsonl.lock` litter that 2026.8+ ignores, when it would have been stale (heal --tidy). */
  tidy?: boolean
  /** Act on nothing: report what would be done (watch --report-only). */
  reportOnly?: boolean
  /** Whether the lock's verdict is proven enough to act on (watch: seen twice, same content); absent: proven. */
  proven?: (lock: L) => boolean
}

/** An orphan holder to end: the lock's pid, checked against its starttime before any signal. */
export interface HolderSignal<L extends LockFacts = LockFacts> {
  pid: number
  starttime: number | null
  cmdline: string
  lock: L
}

export type LockDecision<L extends LockFacts = LockFacts> =
  | {lock: L; action: 'delete'; why: string}
  | {lock: L; action: 'end-holder'; why: string; holder: HolderSignal<L>}
  /** awaiting: it would be deleted or ended, once proven (`proof`) or if the caller acted (`report-only`); null: left for good. */
  | {lock: L; action: 'leave'; why: string; awaiting: 'proof' | 'report-only' | null}

/** The holder of an orphan lock, or null when there is no process evidence to act on. */
export function holderSignal<L extends LockFacts>(lock: L): HolderSignal<L> | null {
  const p = lock.evidence.process
  return p && lock.pid !== null ? {pid: lock.pid, starttime: p.starttime ?? null, cmdline: (p.cmdline ?? []).join(' '), lock} : null
}

/** What the instance's facts allow for one lock, before report-only and proof. */
function lockDecision<L extends LockFacts>(s: Omit<InstanceFacts<L>, 'locks'>, lock: L, p: LockActionPolicy<L>): LockDecision<L> {
  const leave = (why: string): LockDecision<L> => ({lock, action: 'leave', why, awaiting: null})
  if (s.openclaw.version === null) return leave(`the OpenClaw version is unknown (${s.openclaw.error ?? 'not read'}): fleet only reports`)
  if (isPaused(s.state)) return leave(`container ${s.container} is paused: its locks cannot be judged`)
  switch (lock.verdict) {
    case 'ignored':
      if (p.tidy && lock.legacyVerdict === 'stale') return {lock, action: 'delete', why: 'legacy lock, stale (--tidy)'}
      return leave(`legacy lock: OpenClaw ${s.openclaw.version} never reads it${lock.legacyVerdict === 'stale' ? ' (--tidy removes it)' : ''}`)
    case 'stale':
      return {lock, action: 'delete', why: `stale (${lock.reasons.join(', ')})`}
    case 'orphan': {
      const holder = holderSignal(lock)
      return holder ? {lock, action: 'end-holder', why: `orphan holder pid ${holder.pid}`, holder} : leave('orphan without process evidence')
    }
    case 'hung':
      return leave('held by a live process beyond maxHold: no delete cures it, a restart does (the restart rule decides)')
    case 'conflict':
      return leave(`sessions dir shared with ${lock.evidence.mountedBy.filter((n) => n !== s.container).join(', ')}: nothing is deleted there`)
    case 'live':
    case 'unknown':
      // An SQLite write lock is no file: --force cannot delete it.
      if (p.force && !lock.suspicious && lock.kind !== 'sqlite-writer') return {lock, action: 'delete', why: `${lock.verdict} (--force)`}
      return leave(lock.verdict === 'live' ? 'live owner (heal --force deletes it anyway)' : `unknown (${lock.reasons.join(', ')}): never treated as stale`)
  }
}

/** Per lock of the instance, in its order: delete, end its holder, or leave it, and why. */
export function decideLocks<L extends LockFacts>(s: InstanceFacts<L>, p: LockActionPolicy<L>): LockDecision<L>[] {
  return s.locks.map((lock) => {
    const d = lockDecision(s, lock, p)
    if (d.action === 'leave') return d
    if (p.reportOnly)
      return {lock, action: 'leave', why: `report only (would ${d.action === 'delete' ? 'delete it' : 'end its holder'}: ${d.why})`, awaiting: 'report-only'}
    if (p.proven && !p.proven(lock)) return {lock, action: 'leave', why: `seen once (${d.why}): acted on if still so at the next scan`, awaiting: 'proof'}
    return d
  })
}

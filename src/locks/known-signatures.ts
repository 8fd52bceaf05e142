/**
 * Two upstream failure modes that show up as lock errors but are no lock to delete, recognised in gateway logs
 * and in ping output alike (one pure finder, the patterns of signatures.ts):
 * - `fallback-reuses-locked-session`: `Gateway agent failed; falling back to embedded: Error: gateway timeout after
 *   90000ms`, then `session file locked … pid=<the gateway's own pid>`. The client gave up on the gateway while the
 *   gateway still runs the turn, and the embedded fallback reuses the same session id, whose write lock the gateway
 *   holds: the fallback waits the acquire timeout behind its own turn (upstream bug report on `agent-via-gateway`).
 * - `session-takeover-race`: `EmbeddedAttemptSessionTakeoverError: session file changed while embedded prompt lock
 *   was released`: a live writer changed the session while the embedded attempt had let go of its lock.
 * Neither is cured by deleting a lock or restarting (the holder is alive and doing a turn).
 */
import {GATEWAY_FALLBACK_TIMEOUT, LOCK_TIMEOUT, SESSION_TAKEOVER} from './signatures.js'

export type KnownSignatureKind = 'fallback-reuses-locked-session' | 'session-takeover-race'
export const KNOWN_SIGNATURE_KINDS: readonly KnownSignatureKind[] = ['fallback-reuses-locked-session', 'session-takeover-race']

export interface KnownSignatureInfo {
  meaning: string
  /** The upstream report (no number is claimed where none is known). */
  upstream: string
  /** What the operator does instead of deleting a lock. */
  fix: string
}

export const KNOWN_SIGNATURES: Record<KnownSignatureKind, KnownSignatureInfo> = {
  'fallback-reuses-locked-session': {
    meaning:
      'the client gave up on the gateway (gateway timeout) while the gateway still ran the turn, and the embedded fallback reused the same session id, whose write lock the gateway itself holds: a self-inflicted wait, not a stale lock',
    upstream: 'upstream bug report on agent-via-gateway (openclaw/openclaw)',
    fix: 'do not delete the lock (its holder is the live gateway turn, which releases it when done): give turns a client timeout longer than their longest gateway turn (`openclaw agent --timeout`, fleet ping.timeout) so the client does not fall back while the gateway still works, send test turns on their own --session-id, and on 2026.5+ keep session.writeLock.acquireTimeoutMs above the longest turn',
  },
  'session-takeover-race': {
    meaning: 'the embedded attempt released its prompt lock and a live writer changed the session file meanwhile (two writers on one session)',
    upstream: 'upstream (no issue number known)',
    fix: 'no lock cleanup cures it: retry the turn, make sure one gateway writes each state dir (fleet doctor: duplicate-gateways, shared-state-dir), and avoid the embedded fallback on a session the gateway is still using (see fallback-reuses-locked-session)',
  },
}

export interface KnownSignatureHit {
  kind: KnownSignatureKind
  /** fallback-reuses-locked-session: the pid and path of the lock the fallback waited on. */
  lockPid: number | null
  lockPath: string | null
  /** Whether the lock's pid was checked against the gateway's: `same`, or `unknown` when the gateway pid was not known. */
  gatewayPid: 'same' | 'unknown' | null
  line: string
}

/** How many lines after the fallback line its lock error may come (the CLI prints a few lines in between at most). */
export const FALLBACK_WINDOW_LINES = 20

const ANSI = /\x1b\[[0-9;]*m/g

/**
 * The known signatures line by line, for logs read as a stream: `push` each line in order (its Docker timestamp
 * may be cut off first) and get the hits it completes. `gatewayPids` are the pids the gateway has in its container
 * (null when not known): a fallback whose lock names another pid is a lock held by someone else (judged as a lock
 * elsewhere), not this signature.
 */
export class KnownSignatureScanner {
  private index = -1
  private pending: number | null = null
  constructor(private readonly gatewayPids: readonly number[] | null) {}

  push(raw: string): KnownSignatureHit[] {
    const i = ++this.index
    const line = raw.replace(ANSI, '')
    const hits: KnownSignatureHit[] = []
    if (SESSION_TAKEOVER.test(line)) hits.push({kind: 'session-takeover-race', lockPid: null, lockPath: null, gatewayPid: null, line: line.trim()})
    if (GATEWAY_FALLBACK_TIMEOUT.test(line)) {
      this.pending = i
      return hits
    }
    if (this.pending !== null && i - this.pending > FALLBACK_WINDOW_LINES) this.pending = null
    const lock = this.pending === null ? null : LOCK_TIMEOUT.exec(line)
    if (!lock) return hits
    this.pending = null
    const pid = lock[2] ? Number(lock[2]) : null
    if (pid === null) return hits
    const gatewayPids = this.gatewayPids
    if (gatewayPids !== null && !gatewayPids.includes(pid)) return hits
    hits.push({
      kind: 'fallback-reuses-locked-session',
      lockPid: pid,
      lockPath: lock[3],
      gatewayPid: gatewayPids === null ? 'unknown' : 'same',
      line: line.trim(),
    })
    return hits
  }
}

/** Pure: the known signatures in a text (log or ping output), in order (KnownSignatureScanner over its lines). */
export function findKnownSignatures(text: string, gatewayPids: readonly number[] | null): KnownSignatureHit[] {
  const scanner = new KnownSignatureScanner(gatewayPids)
  return text.split('\n').flatMap((line) => scanner.push(line))
}

/** `name: meaning (upstream); fix: …`, for a report line. */
export function knownSignatureText(kind: KnownSignatureKind): string {
  const s = KNOWN_SIGNATURES[kind]
  return `${kind}: ${s.meaning} (${s.upstream}); fix: ${s.fix}`
}

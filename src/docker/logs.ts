/**
 * The outage signature in a container's log since its current start: the lines that record a failed lock turn,
 * in every family OpenClaw has had, with first/last occurrence, and for `session file locked` the pids, timeouts
 * and lock paths.
 */
import {AGENT_UNAVAILABLE, DATABASE_LOCKED, LOCK_TIMEOUT, SQLITE_LOCK_WAIT, STATE_CONTENTION} from '../locks/signatures.js'
import {findKnownSignatures, KNOWN_SIGNATURE_KINDS, type KnownSignatureKind} from '../locks/known-signatures.js'
import {engineCall, type DockerHandle} from './client.js'

/**
 * The families of failed-lock lines: `session-file-locked` (JSONL session write lock, to 2026.7, every form:
 * 10000/60000 ms, `pid=N`, `pid=N alive=… ageMs=…`, `owner=unknown`, `unknown`), and from 2026.8 (SQLite)
 * `database-locked` (`database is locked`, `SQLITE_BUSY`, `state database was busy`), `sqlite-lock-wait`
 * (`SQLite transaction lock wait failed`), `state-contention` (`another OpenClaw process owns state-lifecycle`,
 * gateway-lifecycle, state-handles, …) and `agent-unavailable` (`res ✗ agent … UNAVAILABLE`).
 */
export type LogSignatureKind = 'session-file-locked' | 'database-locked' | 'sqlite-lock-wait' | 'state-contention' | 'agent-unavailable'

/**
 * A line is counted once, under the first family that matches in this order: the most specific first, so a
 * `res ✗ agent … UNAVAILABLE errorMessage=… database is locked` line counts as `database-locked`.
 */
export const LOG_SIGNATURES: readonly [LogSignatureKind, RegExp][] = [
  ['session-file-locked', LOCK_TIMEOUT],
  ['sqlite-lock-wait', SQLITE_LOCK_WAIT],
  ['state-contention', STATE_CONTENTION],
  ['database-locked', DATABASE_LOCKED],
  ['agent-unavailable', AGENT_UNAVAILABLE],
]

export interface LockTimeoutSignature {
  /**
   * Failed-lock-turn lines of all families (the sum of `bySignature`), one per line even when a line names two
   * families. Lines, not turns: one failed turn can log more than one line (e.g. a `SQLite transaction lock wait
   * failed` warning and then `res ✗ agent … UNAVAILABLE`), and turns run by `docker exec` do not reach
   * `docker logs` at all (they report on the exec's stderr and in the container's `/tmp/openclaw/` file log).
   */
  count: number
  /** Docker timestamp of the first and the last counted line, of any family (null without timestamps). */
  first: string | null
  last: string | null
  /** `session-file-locked` lines only: the acquire timeouts, pids and lock paths named, and the lines without a pid. */
  timeoutsMs: number[]
  pids: number[]
  ownerUnknown: number
  paths: string[]
  /** Lines per family; every family is present, 0 when not seen. */
  bySignature: Record<LogSignatureKind, number>
  /** `state-contention` lines: the coordinator families named (`state-lifecycle`, `gateway-lifecycle`, …). */
  contention: string[]
  /**
   * Known upstream failure modes (src/locks/known-signatures.ts), counted apart from the families above (their lock
   * lines still count there): occurrences and the lock pids named. Every kind is present.
   */
  diagnoses: Record<KnownSignatureKind, {count: number; lockPids: number[]}>
}

const ANSI = /\x1b\[[0-9;]*m/g

/** Pure: the family of one log line, or null when it records no failed lock turn. ANSI colours are ignored. */
export function lineSignature(line: string): {kind: LogSignatureKind; match: RegExpExecArray} | null {
  const plain = line.replace(ANSI, '')
  for (const [kind, re] of LOG_SIGNATURES) {
    const match = re.exec(plain)
    if (match) return {kind, match}
  }
  return null
}

/**
 * Pure: scans log text (lines optionally prefixed with a Docker RFC3339 timestamp). `gatewayPids`: the gateway's
 * pids in its container when known (a fallback waiting on another pid's lock is not fallback-reuses-locked-session).
 */
export function lockTimeoutSignature(text: string, gatewayPids: readonly number[] | null = null): LockTimeoutSignature {
  const bySignature = Object.fromEntries(LOG_SIGNATURES.map(([kind]) => [kind, 0])) as Record<LogSignatureKind, number>
  const diagnoses = Object.fromEntries(KNOWN_SIGNATURE_KINDS.map((k) => [k, {count: 0, lockPids: [] as number[]}])) as LockTimeoutSignature['diagnoses']
  for (const hit of findKnownSignatures(text, gatewayPids)) {
    diagnoses[hit.kind].count++
    if (hit.lockPid !== null) add(diagnoses[hit.kind].lockPids, hit.lockPid)
  }
  const sig: LockTimeoutSignature = {count: 0, first: null, last: null, timeoutsMs: [], pids: [], ownerUnknown: 0, paths: [], bySignature, contention: [], diagnoses}
  for (const line of text.split('\n')) {
    const found = lineSignature(line)
    if (!found) continue
    const {kind, match: m} = found
    sig.count++
    sig.bySignature[kind]++
    const ts = /^(\d{4}-\d\d-\d\dT\S+)\s/.exec(line)?.[1] ?? null
    if (ts) {
      sig.first ??= ts
      sig.last = ts
    }
    if (kind === 'state-contention') {
      if (m[1]) add(sig.contention, m[1].toLowerCase())
    } else if (kind === 'session-file-locked') {
      add(sig.timeoutsMs, Number(m[1]))
      if (m[2]) add(sig.pids, Number(m[2]))
      else sig.ownerUnknown++
      add(sig.paths, m[3])
    }
  }
  return sig
}

function add<T>(list: T[], v: T) {
  if (!list.includes(v)) list.push(v)
}

/** Demultiplexes a non-TTY Docker log buffer (8-byte frame headers) into text. */
export function demuxLogBuffer(buf: Buffer): string {
  if (buf.length >= 8 && (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0) {
    const parts: Buffer[] = []
    let off = 0
    while (off + 8 <= buf.length) {
      const size = buf.readUInt32BE(off + 4)
      parts.push(buf.subarray(off + 8, off + 8 + size))
      off += 8 + size
    }
    return Buffer.concat(parts).toString('utf8')
  }
  return buf.toString('utf8')
}

/** A container's log (stdout and stderr, with timestamps) since a time, as text. */
export async function containerLog(handle: DockerHandle, container: string, sinceMs: number | null): Promise<string> {
  const buf = await engineCall(handle, `logs of ${container}`, () =>
    handle.docker.getContainer(container).logs({stdout: true, stderr: true, timestamps: true, follow: false, since: sinceMs ? Math.floor(sinceMs / 1000) : 0}),
  )
  return demuxLogBuffer(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)))
}

export async function containerLockSignature(handle: DockerHandle, container: string, sinceMs: number | null): Promise<LockTimeoutSignature> {
  return lockTimeoutSignature(await containerLog(handle, container, sinceMs))
}

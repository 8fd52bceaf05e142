/**
 * The error texts OpenClaw writes for a wedged session, one pattern each, shared by the ping classifier and the
 * log signature. Forms seen: `session file locked (timeout 10000ms): pid=N <path>` (to 2026.4.29), the 60000 ms
 * form (2026.5+), `… unknown <path>` (no pid, 2026.5.5), `pid=N alive=true ageMs=N <path>` and `owner=unknown <path>`
 * (later 2026.6/2026.7 builds).
 */
export const LOCK_TIMEOUT = /session file locked \(timeout (\d+)ms\): (?:pid=(\d+)|owner=unknown|unknown)[^\n]*?(\/\S+\.lock)/

/**
 * 2026.8+ (SQLite sessions): a turn that gave up waiting for a write lock held by a writer stuck in its
 * transaction. `Error: database is locked: code=ERR_SQLITE_ERROR` (the turn), `SQLITE_BUSY`, and the channel /
 * gateway reply `the Gateway state database was busy (SQLite: database is locked)`.
 */
export const DATABASE_LOCKED = /database is locked|SQLITE_BUSY|state database was busy/i

/** 2026.8+: the gateway's own warning when a transaction's lock wait fails (`[sqlite/transaction] … failureKind=lock-contention`). */
export const SQLITE_LOCK_WAIT = /SQLite transaction lock wait failed/i

/**
 * 2026.8+: a state-database coordinator held by another process: `another OpenClaw process owns <family>`
 * (`StateDatabaseCoordinatorContentionError`). Families in 2026.9.6: state-lifecycle, gateway-lifecycle,
 * state-handles and a few more `*-lifecycle` ones; group 1 is the family.
 */
export const STATE_CONTENTION =
  /(?:StateDatabaseCoordinatorContentionError\b[^\n]*?)?\bowns ([a-z]+(?:-[a-z]+)*-(?:lifecycle|handles))\b|StateDatabaseCoordinatorContentionError/i

/** A gateway that will not start because another one holds its gateway lock (upstream #135133: a stale lock after a restart). */
export const GATEWAY_LOCK = /GatewayLockError|gateway already running/i

/**
 * 2026.8+: the gateway's WebSocket log of a failed `agent` request answered `UNAVAILABLE`
 * (`⇄ res ✗ agent 5012ms errorCode=UNAVAILABLE errorMessage=…`, gateway/ws-log).
 */
export const AGENT_UNAVAILABLE = /\bres ✗ agent\b[^\n]*\bUNAVAILABLE\b/

/**
 * Storage errors (2026.8+ SQLite, and any write): the disk, not a lock, and a restart cures none of them. Seen live on
 * 2026.9.6 with a full state filesystem: the turn's `Error: database or disk is full: code=ERR_SQLITE_ERROR`, the
 * gateway's `[gateway] request handler failed: Error: database or disk is full: …` and `[ws] ⇄ res ✗ agent … errorCode=
 * UNAVAILABLE errorMessage=Error: database or disk is full: …`. The others are SQLite's and the kernel's texts for a
 * read-only state dir and a failing disk.
 */
export const STORAGE_FULL = /database or disk is full|\bENOSPC\b|no space left on device|SQLITE_FULL/i
export const STORAGE_READONLY = /attempt to write a readonly database|\bEROFS\b|read-only file system|SQLITE_READONLY/i
export const STORAGE_IO = /disk I\/O error|SQLITE_IOERR/i

/** The storage error kinds, in the order a line is matched (one kind per line). */
export type StorageErrorKind = 'storage-full' | 'storage-readonly' | 'storage-io'
export const STORAGE_ERRORS: readonly [StorageErrorKind, RegExp][] = [
  ['storage-full', STORAGE_FULL],
  ['storage-readonly', STORAGE_READONLY],
  ['storage-io', STORAGE_IO],
]

/** What to do about each storage error, said the same by heal, watch, status and doctor. */
export const STORAGE_HINTS: Readonly<Record<StorageErrorKind, string>> = {
  'storage-full':
    'the state filesystem is full: free space on it (WAL files can grow to GBs, upstream #143524); a restart does not make room. Seen on 2026.9.6: once there is room the next turn answered, or turns kept failing (`Agent native close and lease cleanup failed | database or disk is full`) until the gateway was restarted: ping it after freeing space, and restart it yourself only if it still fails',
  'storage-readonly': 'the state dir is read-only: remount it read-write or fix the owner of the files; a restart does not cure it',
  'storage-io': 'the disk or filesystem under the state dir reports I/O errors: check the disk (fleet doctor measures it); a restart does not cure it',
}

/** Pure: the storage error one text records, or null. */
export function storageErrorOf(text: string): StorageErrorKind | null {
  return STORAGE_ERRORS.find(([, re]) => re.test(text))?.[0] ?? null
}

/** One pattern that matches where any of the given ones does (case-insensitive), for a class several signatures share. */
export function anyOf(...patterns: RegExp[]): RegExp {
  if (patterns.length === 0) throw new Error('anyOf needs at least one pattern')
  return new RegExp(patterns.map((p) => `(?:${p.source})`).join('|'), 'i')
}

/**
 * The `openclaw agent` client gave up on the gateway and runs the turn embedded, on the same session id
 * (`Gateway agent failed; falling back to embedded: Error: gateway timeout after 90000ms`); group 1 is the timeout.
 * Only the gateway-timeout form: a fallback after an error the gateway answered (`GatewayClientRequestError: …`) is
 * not a turn still running there.
 */
export const GATEWAY_FALLBACK_TIMEOUT = /Gateway agent failed; falling back to embedded: Error: gateway timeout after (\d+)ms/

/** The embedded attempt found the session file changed while it had released its prompt lock: a live writer took it over. */
export const SESSION_TAKEOVER = /EmbeddedAttemptSessionTakeoverError\b|session file changed while embedded prompt lock was released/

/**
 * The state filesystem of a gateway (the filesystem its state dir is on) and the storage errors in its log: whether
 * the disk lets it serve, for status, heal, watch and doctor alike. Pure.
 *
 * A full, read-only or failing state filesystem fails every turn that writes (2026.8+: every turn writes SQLite; seen
 * live on 2026.9.6: `Error: database or disk is full: code=ERR_SQLITE_ERROR` 17 s after the turn was sent) while the
 * gateway stays ready and `/healthz` ok. A restart cures none of it (the gateway starts on the same disk, and a start
 * on a full disk can fail), so such an instance is not `ok` and is never restarted: the fix is the disk's.
 */
import type {StorageErrorKind} from '../locks/signatures.js'

/** What fleet read of the filesystem under a state dir (statfs, the mount table, a write check); null fields: not read. */
export interface StateFsReading {
  /** The state dir as fleet sees it (the instance's dataDir). */
  path: string
  mountPoint: string | null
  fsType: string | null
  source: string | null
  /** Bytes an unprivileged writer (the gateway, uid 1000) can still use (statfs f_bavail × f_bsize). */
  freeBytes: number | null
  totalBytes: number | null
  /** Mounted read-only, or a write check answered EROFS. */
  readOnly: boolean | null
  /** Why it could not be read, when it could not. */
  error: string | null
}

export type StateFsState = 'ok' | 'full' | 'readonly' | 'unknown'

export interface StateFsVerdict {
  state: StateFsState
  /** One line a person reads: the filesystem and its free space. */
  why: string
}

/** What to do about each storage error, said the same by heal, watch, status and doctor. */
export const STORAGE_HINTS: Readonly<Record<StorageErrorKind, string>> = {
  'storage-full': 'the state filesystem is full: free space on it (WAL files can grow to GBs, upstream #143524); the gateway answers again once there is room, and a restart does not cure it',
  'storage-readonly': 'the state dir is read-only: remount it read-write or fix the owner of the files; a restart does not cure it',
  'storage-io': 'the disk or filesystem under the state dir reports I/O errors: check the disk (fleet doctor measures it); a restart does not cure it',
}

/** Below this much free space a state filesystem is full: 1 % of it, at most 100 MiB (no room left for the WAL to grow). */
export function fullBelowBytes(totalBytes: number): number {
  return Math.min(100 * 1024 ** 2, Math.max(0, totalBytes) * 0.01)
}

/** Bytes for a person: `0 B`, `812 KiB`, `63.2 MiB`, `1.5 GiB`. */
export function bytesText(n: number): string {
  if (n < 1024) return `${Math.max(0, Math.round(n))} B`
  const units = ['KiB', 'MiB', 'GiB', 'TiB']
  let v = n / 1024
  let i = 0
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024
    i++
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`
}

/** `tmpfs (fleet-lab-821 at /srv/oc821)`: the filesystem, as far as it was read. */
export function fsText(r: Pick<StateFsReading, 'fsType' | 'source' | 'mountPoint'>): string {
  if (!r.fsType && !r.mountPoint) return 'an unknown filesystem'
  return `${r.fsType ?? 'a filesystem'}${r.mountPoint ? ` (${r.source ? `${r.source} at ` : ''}${r.mountPoint})` : ''}`
}

/** Pure: whether the filesystem under a state dir lets the gateway write, and why, in one line. */
export function stateFsVerdict(r: StateFsReading | null): StateFsVerdict {
  if (r === null) return {state: 'unknown', why: 'not read (the state dir is not on this machine)'}
  const where = `state dir ${r.path} is on ${fsText(r)}`
  if (r.error !== null && r.freeBytes === null) return {state: 'unknown', why: `${where}: cannot read its space: ${r.error}`}
  const space = r.freeBytes !== null && r.totalBytes !== null ? `${bytesText(r.freeBytes)} free of ${bytesText(r.totalBytes)}` : 'free space unknown'
  if (r.readOnly) return {state: 'readonly', why: `${where}, mounted read-only: ${space}`}
  if (r.freeBytes !== null && r.totalBytes !== null && r.freeBytes < fullBelowBytes(r.totalBytes)) return {state: 'full', why: `${where}: full, ${space}`}
  return {state: r.freeBytes === null ? 'unknown' : 'ok', why: `${where}: ${space}`}
}

/** A storage fault: what keeps the gateway from writing, by which evidence, and what to do. */
export interface StorageFault {
  kind: StorageErrorKind
  why: string
  hint: string
}

/**
 * Pure: the storage fault of an instance, or null. Evidence: the state filesystem as read now (full or read-only), else
 * storage errors in the gateway's log of this start, the last within `windowMs` and after the last turn fleet saw
 * answer (a good turn after them means the disk has room again).
 */
export function storageFault(
  fs: StateFsVerdict,
  log: {count: number; last: string | null; kind: StorageErrorKind | null; line: string | null} | null,
  nowMs: number,
  windowMs: number,
  lastGoodTurnMs: number | null = null,
): StorageFault | null {
  if (fs.state === 'full') return {kind: 'storage-full', why: fs.why, hint: STORAGE_HINTS['storage-full']}
  if (fs.state === 'readonly') return {kind: 'storage-readonly', why: fs.why, hint: STORAGE_HINTS['storage-readonly']}
  if (!log || log.count === 0 || !log.kind || !log.last) return null
  // Room on the disk now, read from it: an old `disk is full` is over.
  if (fs.state === 'ok' && log.kind === 'storage-full') return null
  const lastMs = Date.parse(log.last)
  if (!Number.isFinite(lastMs) || nowMs - lastMs > windowMs) return null
  if (lastGoodTurnMs !== null && lastGoodTurnMs > lastMs) return null
  const ago = Math.max(0, Math.round((nowMs - lastMs) / 1000))
  return {kind: log.kind, why: `${log.count} storage error(s) in its log since its start, the last ${ago}s ago: ${log.line ?? log.kind}`, hint: STORAGE_HINTS[log.kind]}
}

/**
 * The state filesystem of a gateway (the filesystem its state dir is on) and the storage errors in its log: whether
 * the disk lets it serve, for status, heal, watch and doctor alike. Pure.
 *
 * A full, read-only or failing state filesystem fails every turn that writes (2026.8+: every turn writes SQLite; seen
 * live on 2026.9.6: `Error: database or disk is full: code=ERR_SQLITE_ERROR` 17 s after the turn was sent) while the
 * gateway stays ready and `/healthz` ok. A restart cures none of it (the gateway starts on the same disk, and a start
 * on a full disk can fail), so such an instance is not `ok` and is never restarted: the fix is the disk's.
 * The rule is pure; readStateFs (at the end) is the one read it takes, on this disk.
 */
import fs from 'node:fs'
import path from 'node:path'
import {STORAGE_HINTS, type StorageErrorKind} from '../locks/signatures.js'
import {realOrSelf} from '../util/paths.js'

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

/**
 * The state filesystem as an observation reports it (`stateFs` in the status JSON): the verdict and the facts of the one
 * reading it was drawn from, so that whoever names the filesystem later (heal's `observed` record) names the one status
 * judged, without reading the mount table again. Null facts: not read (no reading, or that part of it failed).
 */
export interface StateFsStatus extends StateFsVerdict {
  path: string | null
  fsType: string | null
  source: string | null
  mountPoint: string | null
  freeBytes: number | null
  totalBytes: number | null
  readOnly: boolean | null
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

/** Pure: the verdict on a reading (stateFsVerdict) with the reading's facts beside it; null: not read. */
export function stateFsStatus(r: StateFsReading | null): StateFsStatus {
  return {
    ...stateFsVerdict(r),
    path: r?.path ?? null,
    fsType: r?.fsType ?? null,
    source: r?.source ?? null,
    mountPoint: r?.mountPoint ?? null,
    freeBytes: r?.freeBytes ?? null,
    totalBytes: r?.totalBytes ?? null,
    readOnly: r?.readOnly ?? null,
  }
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
  // Room on the disk now is no proof: seen on real 2026.9.6, turns still failed `database or disk is full` after the
  // space was freed (`Agent native close and lease cleanup failed | database or disk is full`). Only a good turn ends it.
  const lastMs = Date.parse(log.last)
  if (!Number.isFinite(lastMs) || nowMs - lastMs > windowMs) return null
  if (lastGoodTurnMs !== null && lastGoodTurnMs > lastMs) return null
  const ago = Math.max(0, Math.round((nowMs - lastMs) / 1000))
  return {
    kind: log.kind,
    why: `${log.count} storage error(s) in its log since its start, the last ${ago}s ago: ${log.line ?? log.kind}`,
    hint: STORAGE_HINTS[log.kind],
  }
}

export interface MountEntry {
  mountPoint: string
  fsType: string
  source: string
  /** `major:minor` of the filesystem. */
  device: string
}

/** `\040` (space), `\011`, `\012`, `\134` in mountinfo fields. */
const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)))

/**
 * Pure: the mounts of a `/proc/<pid>/mountinfo` text (`36 35 98:0 /mnt1 /mnt/parent rw,noatime master:1 - ext3
 * /dev/root rw`); malformed lines are skipped.
 */
export function parseMountinfo(text: string): MountEntry[] {
  return text.split('\n').flatMap((line) => {
    const [left, right] = line.split(' - ')
    const f = left?.split(' ') ?? []
    const r = right?.split(' ') ?? []
    if (f.length < 5 || r.length < 2 || !f[4].startsWith('/') || !r[0]) return []
    return [{mountPoint: unescape(f[4]), fsType: r[0], source: unescape(r[1]), device: f[2]}]
  })
}

/** Pure: the mount a (real, absolute) path is on: the longest mount point containing it; of stacked mounts the last. */
export function mountOf(mounts: readonly MountEntry[], realPath: string): MountEntry | null {
  let best: MountEntry | null = null
  for (const m of mounts) {
    const inside = m.mountPoint === '/' || realPath === m.mountPoint || realPath.startsWith(`${m.mountPoint}/`)
    if (inside && (best === null || m.mountPoint.length >= best.mountPoint.length)) best = m
  }
  return best
}

/** This machine's mount table, read at most once per observation. */
export function hostMountTable(procRoot = '/proc'): () => string {
  let text: string | undefined
  return () => (text ??= fs.readFileSync(path.join(procRoot, 'self', 'mountinfo'), 'utf8'))
}

/**
 * The filesystem under a state dir on this disk (stateFsVerdict): statfs for its space, the mount table for what
 * it is, and access(W_OK) for read-only (EROFS answers it even for root). Reads only: nothing is written.
 */
export function readStateFs(dir: string, mountTable: () => string = hostMountTable()): StateFsReading {
  const base: StateFsReading = {path: dir, mountPoint: null, fsType: null, source: null, freeBytes: null, totalBytes: null, readOnly: null, error: null}
  try {
    const st = fs.statfsSync(dir)
    base.freeBytes = st.bavail * st.bsize
    base.totalBytes = st.blocks * st.bsize
  } catch (error) {
    return {...base, error: (error as Error).message}
  }
  try {
    const m = mountOf(parseMountinfo(mountTable()), realOrSelf(dir))
    if (m) Object.assign(base, {mountPoint: m.mountPoint, fsType: m.fsType, source: m.source})
  } catch (error) {
    base.error = `cannot read the mount table: ${(error as Error).message}`
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK)
    base.readOnly = false
  } catch (error) {
    base.readOnly = (error as NodeJS.ErrnoException).code === 'EROFS' ? true : null
  }
  return base
}

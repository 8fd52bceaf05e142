/**
 * Who holds an SQLite write lock, from the kernel's lock table (`/proc/locks`). Pure: text in, holders out.
 *
 * OpenClaw 2026.8+ keeps sessions and state in SQLite (WAL mode; writes are `BEGIN IMMEDIATE`). SQLite's unix VFS
 * takes POSIX (fcntl) locks, which the kernel lists in /proc/locks with the holder's pid (as the reader's PID
 * namespace sees it) and the file's device and inode:
 *
 *   12: POSIX  ADVISORY  WRITE 48211 08:01:2754210 120 120
 *
 * - WAL mode: the writer holds an exclusive lock on byte 120 of the `-shm` file (WAL_WRITE_LOCK, the first of the
 *   wal-index lock bytes at offset 120) for the whole write transaction. Readers hold shared locks on bytes 123-127,
 *   every connection a shared lock on byte 128 (DMS): neither blocks a writer.
 * - Rollback-journal mode (a db not in WAL): the writer holds RESERVED (byte 0x40000001) on the db file itself.
 * A fcntl lock dies with its process, so a holder found here is alive (at the moment of reading).
 */

export interface KernelLock {
  /** POSIX, OFDLCK (open file description locks: no pid), FLOCK, LEASE, ... */
  type: string
  mode: 'READ' | 'WRITE'
  /** Holder pid in the reader's PID namespace; -1 for OFD locks (no owning process). */
  pid: number
  major: number
  minor: number
  inode: number
  start: number
  /** Inclusive end; null for EOF (to the end of the file). */
  end: number | null
  /** The line as the kernel wrote it, without its table position (`12: `), which shifts as other locks come and go: the evidence, stable while the lock is held. */
  line: string
}

/** WAL_WRITE_LOCK: the wal-index lock byte a WAL-mode writer holds exclusively. */
export const WAL_WRITE_LOCK_BYTE = 120
/** RESERVED_BYTE of a rollback-journal db: PENDING_BYTE (0x40000000) + 1. */
export const RESERVED_BYTE = 0x40000001

const LINE = /^\s*\d+:\s+(?!->)(\S+)\s+\S+\s+(READ|WRITE)\s+(-?\d+)\s+([0-9a-f]+):([0-9a-f]+):(\d+)\s+(\d+)\s+(\d+|EOF)\s*$/i

/** Parses /proc/locks; lines it cannot read (and blocked waiters, `-> ...`) are skipped. */
export function parseProcLocks(text: string): KernelLock[] {
  const out: KernelLock[] = []
  for (const line of text.split('\n')) {
    const m = LINE.exec(line)
    if (!m) continue
    out.push({
      type: m[1].toUpperCase(),
      mode: m[2].toUpperCase() as KernelLock['mode'],
      pid: Number(m[3]),
      major: parseInt(m[4], 16),
      minor: parseInt(m[5], 16),
      inode: Number(m[6]),
      start: Number(m[7]),
      end: m[8].toUpperCase() === 'EOF' ? null : Number(m[8]),
      line: line.trim().replace(/^\d+:\s+/, ''),
    })
  }
  return out
}

/** Linux dev_t (as `stat` gives it) to major and minor, the numbers /proc/locks prints. */
export function devNumbers(dev: bigint): {major: number; minor: number} {
  const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn))
  const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn))
  return {major, minor}
}

/** A file whose write lock is looked for: its identity as stat gives it, and which byte marks the writer. */
export interface LockTarget {
  /** Caller's key (e.g. the db path). */
  key: string
  dev: bigint
  inode: bigint
  byte: number
}

export interface WriterHold {
  key: string
  pid: number
  lock: KernelLock
}

/** The processes holding a write lock on each target's writer byte (one per target normally). OFD locks have no pid and are reported with pid -1. */
export function writerHolds(locks: readonly KernelLock[], targets: readonly LockTarget[]): WriterHold[] {
  const out: WriterHold[] = []
  for (const t of targets) {
    const {major, minor} = devNumbers(t.dev)
    for (const l of locks) {
      if (l.mode !== 'WRITE' || BigInt(l.inode) !== t.inode || l.major !== major || l.minor !== minor) continue
      if (l.start > t.byte || (l.end !== null && l.end < t.byte)) continue
      out.push({key: t.key, pid: l.pid, lock: l})
    }
  }
  return out
}

/** The writer-lock target of an SQLite db: byte 120 of its `-shm` file in WAL mode, else RESERVED on the db file. */
export function targetsOf(key: string, db: {dev: bigint; inode: bigint} | null, shm: {dev: bigint; inode: bigint} | null): LockTarget[] {
  return [...(shm ? [{key, ...shm, byte: WAL_WRITE_LOCK_BYTE}] : []), ...(db ? [{key, ...db, byte: RESERVED_BYTE}] : [])]
}

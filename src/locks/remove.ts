/**
 * Careful removal of a lock file (never a transcript): re-read it just before, skip it when it changed
 * (a new owner took it), and remove it by an atomic rename into a side name first, so a lock that a new
 * owner created in the meantime is put back instead of being lost. A copy of every removed lock is kept.
 */
import {promises as fsp, constants} from 'node:fs'
import path from 'node:path'
import {lockKindOf} from './parse.js'

export type RemoveOutcome = 'removed' | 'changed' | 'gone' | 'restored' | 'not-a-lock'

export interface RemoveResult {
  outcome: RemoveOutcome
  /** Where the removed lock's copy was written. */
  backup?: string
  detail?: string
}

export interface Expected {
  raw: string | null
  mtimeMs: number
  size: number
}

export async function removeLockCarefully(lockPath: string, expected: Expected, backupDir: string, opts: {anyName?: boolean} = {}): Promise<RemoveResult> {
  if (!opts.anyName && lockKindOf(path.basename(lockPath)) === null) return {outcome: 'not-a-lock', detail: 'refusing to remove a file that is not a lock'}
  const before = await readSnapshot(lockPath)
  if (before === null) return {outcome: 'gone', detail: 'already released'}
  if (!same(before, expected)) return {outcome: 'changed', detail: 'the lock changed since it was judged (a new owner took it)'}
  const side = `${lockPath}.fleet-removing-${process.pid}-${Date.now()}`
  try {
    await fsp.rename(lockPath, side)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {outcome: 'gone', detail: 'released while being removed'}
    throw error
  }
  const moved = await readSnapshot(side)
  if (moved === null || moved.raw !== expected.raw) {
    // A new owner's lock was moved: put it back (link fails if yet another lock exists; then keep the side copy).
    try {
      await fsp.link(side, lockPath)
      await fsp.unlink(side)
      return {outcome: 'restored', detail: 'a new owner took the lock just before removal; it was put back'}
    } catch {
      return {outcome: 'restored', detail: `a new owner's lock could not be put back; kept at ${side}`}
    }
  }
  await fsp.mkdir(backupDir, {recursive: true})
  const backup = path.join(backupDir, path.basename(lockPath))
  await fsp.copyFile(side, backup, constants.COPYFILE_FICLONE)
  await fsp.unlink(side)
  return {outcome: 'removed', backup}
}

interface Snapshot {
  raw: string | null
  mtimeMs: number
  size: number
}

async function readSnapshot(p: string): Promise<Snapshot | null> {
  let fh
  try {
    fh = await fsp.open(p, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return null
    if (code === 'ELOOP' || code === 'EISDIR') return {raw: null, mtimeMs: -1, size: -1}
    throw error
  }
  try {
    const st = await fh.stat()
    if (!st.isFile() || st.size > 65536) return {raw: null, mtimeMs: st.mtimeMs, size: st.size}
    const raw = (await fh.readFile()).toString('utf8')
    return {raw, mtimeMs: st.mtimeMs, size: st.size}
  } finally {
    await fh.close()
  }
}

function same(a: Snapshot, e: Expected): boolean {
  return a.raw !== null && a.raw === e.raw && a.size === e.size && Math.abs(a.mtimeMs - e.mtimeMs) < 1
}

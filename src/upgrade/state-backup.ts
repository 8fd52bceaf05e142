/**
 * The state dir's copy before an upgrade, and its restore on a rollback, on this machine's disk. The gateway is
 * stopped while either runs, so its SQLite files (db, -wal, -shm) are at rest and a file copy is consistent.
 * `cp -a` keeps owners, modes, times and links (the gateway runs as uid 1000, fleet often as root). A restore never
 * loses what is there: the state as the new version left it is copied aside first, and only then replaced.
 */
import {execa} from 'execa'
import {mkdirSync, readdirSync, lstatSync, rmSync} from 'node:fs'
import path from 'node:path'

export interface TreeSize {
  files: number
  bytes: number
}

/** Files (not dirs) and their bytes under a dir, links not followed. */
export function treeSize(dir: string): TreeSize {
  let files = 0
  let bytes = 0
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name)
      const st = lstatSync(p)
      if (st.isDirectory()) walk(p)
      else {
        files++
        bytes += st.size
      }
    }
  }
  walk(dir)
  return {files, bytes}
}

/** Copies the contents of `from` into `to` (made if missing) with `cp -a`; bounded; checks the counts match. */
export async function copyTree(from: string, to: string, timeoutMs: number): Promise<TreeSize> {
  mkdirSync(to, {recursive: true})
  const r = await execa('cp', ['-a', '--', `${from}/.`, `${to}/`], {reject: false, timeout: timeoutMs, stdin: 'ignore'})
  if (r.exitCode !== 0)
    throw new Error(`cp -a ${from} ${to} failed (exit ${r.exitCode ?? 'none'}${r.timedOut ? ', timed out' : ''}): ${r.stderr.trim().slice(0, 300)}`)
  const a = treeSize(from)
  const b = treeSize(to)
  if (a.files !== b.files || a.bytes !== b.bytes)
    throw new Error(`the copy of ${from} differs: ${a.files} files ${a.bytes} B there, ${b.files} files ${b.bytes} B in ${to}`)
  return b
}

/**
 * Puts `backup` back into `stateDir` (the same dir: it is the bind mount's source): its contents are first copied
 * to `keepAs` (the state the new version left), then removed, then the backup is copied in.
 */
export async function restoreTree(stateDir: string, backup: string, keepAs: string, timeoutMs: number): Promise<{kept: TreeSize; restored: TreeSize}> {
  const kept = await copyTree(stateDir, keepAs, timeoutMs)
  for (const name of readdirSync(stateDir)) rmSync(path.join(stateDir, name), {recursive: true, force: true})
  const restored = await copyTree(backup, stateDir, timeoutMs)
  return {kept, restored}
}

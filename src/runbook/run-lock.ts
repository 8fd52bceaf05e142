/**
 * fleet's own run lock, so two heals never run on one fleet at once. Same protocol as OpenClaw's
 * (O_EXCL file with pid, createdAt, starttime) and judged with the same `judge` as session locks, with
 * this host's /proc as the evidence: a heal killed with SIGKILL leaves a lock that the next run finds
 * stale (dead-pid / recycled-pid) and takes over.
 */
import {createHash} from 'node:crypto'
import {promises as fsp, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {BusyError} from '../errors.js'
import {judge} from '../locks/judge.js'
import {parseLockPayload} from '../locks/parse.js'
import type {LockPolicy, ProcessEvidence} from '../locks/types.js'
import {removeLockCarefully} from '../locks/remove.js'
import {parseStat} from '../util/proc-stat.js'

export interface RunLock {
  path: string
  release(): Promise<void>
}

export function runLockPath(stateDir: string, configFile: string, name = 'heal'): string {
  const key = createHash('sha256').update(configFile).digest('hex').slice(0, 12)
  return path.join(stateDir, `${name}-${key}.lock`)
}

export function localProcess(pid: number): ProcessEvidence {
  try {
    const fields = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))
    return {pid, exists: true, ...fields}
  } catch {
    return {pid, exists: false}
  }
}

const POLICY: LockPolicy = {maxHoldMs: Number.MAX_SAFE_INTEGER, orphanAfterMs: Number.MAX_SAFE_INTEGER, clockSkewMs: 0, malformedGraceMs: 5_000}

export async function acquireRunLock(lockPath: string, meta: Record<string, unknown> = {}): Promise<RunLock> {
  await fsp.mkdir(path.dirname(lockPath), {recursive: true})
  const self = localProcess(process.pid)
  const payload = JSON.stringify({pid: process.pid, createdAt: new Date().toISOString(), starttime: self.starttime, host: os.hostname(), ...meta}, null, 2)
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fsp.open(lockPath, 'wx', 0o644)
      await fh.writeFile(payload)
      await fh.close()
      return {path: lockPath, release: () => fsp.rm(lockPath, {force: true})}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const st = await fsp.lstat(lockPath).catch(() => null)
    if (!st) continue
    const raw = await fsp.readFile(lockPath, 'utf8').catch(() => null)
    const parsed = raw === null ? null : parseLockPayload(raw)
    const host = raw ? safeHost(raw) : undefined
    const foreign = host !== undefined && host !== os.hostname()
    const lockFile = {path: lockPath, containerPath: lockPath, kind: 'session' as const, agent: 'fleet', session: 'run', size: st.size, mtimeMs: st.mtimeMs, raw: raw ?? undefined}
    const j = judge(lockFile, parsed, {container: {name: 'host', running: true, startedAtMs: null}, mountedBy: ['host'], process: foreign || !parsed?.pid ? undefined : localProcess(parsed.pid)}, POLICY, Date.now())
    if (j.verdict !== 'stale' || foreign) {
      throw new BusyError(`another fleet run holds ${lockPath} (pid ${parsed?.pid ?? '?'}${host ? ` on ${host}` : ''}, since ${parsed?.createdAt ?? '?'})`, foreign ? 'it was taken on another host: remove the file by hand once that run is over' : 'wait for it to finish; a run that was killed is detected and taken over automatically')
    }
    await removeLockCarefully(lockPath, {raw, mtimeMs: st.mtimeMs, size: st.size}, path.join(path.dirname(lockPath), 'taken-over'), {anyName: true})
  }
  throw new BusyError(`could not take the run lock ${lockPath}`)
}

function safeHost(raw: string): string | undefined {
  try {
    const h = (JSON.parse(raw) as {host?: unknown}).host
    return typeof h === 'string' ? h : undefined
  } catch {
    return undefined
  }
}

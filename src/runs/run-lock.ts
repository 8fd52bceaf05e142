/**
 * fleet's own run locks, so two runs never act on one instance at once. A lock is per instance, keyed by what is
 * acted on: the Docker endpoint (as src/docker/client.ts resolves it, without connecting) and the container name,
 * never by the config file, so the same fleet reached through a symlinked or copied config is still one fleet.
 * A run takes the locks of every instance it acts on, in sorted order; on a busy one it lets go of what it took.
 *
 * The locks live where every fleet on the host meets them, whoever runs it (another operator, a service unit with
 * its own XDG_STATE_HOME): /run/lock/openclaw-fleet (/var/lock), made sticky and world-writable like /run/lock
 * itself. FLEET_RUN_LOCK_DIR names another place (every fleet on the host must then name the same); only when no
 * shared place is writable do they fall back to the user's state dir, and fleet says so.
 *
 * Same protocol as OpenClaw's (O_EXCL file with pid, createdAt, starttime, plus host, command, config, instance)
 * and judged with the same `judge` as session locks, with this host's /proc as the evidence: a run killed with
 * SIGKILL leaves locks that the next run finds stale (dead-pid / recycled-pid) and takes over.
 */
import {createHash} from 'node:crypto'
import {accessSync, constants as fsc, promises as fsp, readFileSync, realpathSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {DockerTarget} from '../config/model.js'
import {withContext} from '../docker/client.js'
import {BusyError} from '../errors.js'
import {judge} from '../locks/judge.js'
import {parseLockPayload} from '../locks/parse.js'
import type {LockPolicy, ProcessEvidence} from '../locks/types.js'
import {removeLockCarefully} from '../locks/remove.js'
import {parseStat} from '../util/proc-stat.js'

export interface RunLock {
  /** The lock files held, one per instance. */
  paths: string[]
  release(): Promise<void>
}

export type RunCommand = 'heal' | 'watch' | 'upgrade'

/** An instance a run acts on, as its lock needs it. */
export interface RunTarget {
  /** `oc7`: for the payload and messages (another config may call the same container otherwise). */
  name: string
  container: string
  docker: DockerTarget
}

/** The shared places tried in order (on most hosts /var/lock is a link to /run/lock: one place). */
export const SHARED_RUN_LOCK_DIRS = ['/run/lock/openclaw-fleet', '/var/lock/openclaw-fleet'] as const

/** The user's own place: only runs with the same XDG_STATE_HOME meet there. */
export function userRunLockDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'openclaw-fleet', 'run-locks')
}

export interface RunLockPlace {
  dir: string
  /** True when every fleet on the host meets there (a shared place, or FLEET_RUN_LOCK_DIR). */
  shared: boolean
  /** Why the locks are not in a shared place (a warning to print), or null. */
  note: string | null
}

/**
 * Pure: where run locks live. FLEET_RUN_LOCK_DIR when set; else the first shared place this process can write
 * (`usable`: the dir, or the dir it would be made in, is writable); else the user's state dir, with a note.
 */
export function chooseRunLockPlace(env: NodeJS.ProcessEnv, usable: (dir: string) => boolean): RunLockPlace {
  if (env.FLEET_RUN_LOCK_DIR) return {dir: path.resolve(env.FLEET_RUN_LOCK_DIR), shared: true, note: null}
  const shared = SHARED_RUN_LOCK_DIRS.find((d) => usable(d))
  if (shared) return {dir: shared, shared: true, note: null}
  const dir = userRunLockDir(env)
  return {
    dir,
    shared: false,
    note: `run locks are kept in ${dir}: neither ${SHARED_RUN_LOCK_DIRS.join(' nor ')} is writable, so only fleet runs with this state dir see them (another operator's heal or watch on the same instances would not); set FLEET_RUN_LOCK_DIR to a dir every fleet user on this host can write`,
  }
}

/** Whether a dir is writable by this process; one that does not exist yet, whether it can be made (its parent is writable). */
export function writableDir(dir: string): boolean {
  const st = statSync(dir, {throwIfNoEntry: false})
  const d = st ? dir : path.dirname(dir)
  try {
    if (!(st ?? statSync(d)).isDirectory()) return false
    accessSync(d, fsc.W_OK | fsc.X_OK)
    return true
  } catch {
    return false
  }
}

export function runLockPlace(env: NodeJS.ProcessEnv = process.env): RunLockPlace {
  return chooseRunLockPlace(env, writableDir)
}

/** Where run locks live (runLockPlace): the same dir for every fleet on the host, whatever its XDG_STATE_HOME. */
export function runLockDir(env: NodeJS.ProcessEnv = process.env): string {
  return runLockPlace(env).dir
}

/**
 * The Docker endpoint of a target as dockerFor() resolves it (docker.host, else DOCKER_HOST, else DOCKER_CONTEXT,
 * else the local socket; a context name becomes its endpoint), written one way: socket paths made absolute and
 * real (`/var/run` is often a link to `/run`), URL hosts lower-cased.
 */
export function dockerEndpoint(target: DockerTarget, env: NodeJS.ProcessEnv = process.env): string {
  return normaliseEndpoint(withContext(target, env).host ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock')
}

export function normaliseEndpoint(host: string): string {
  const socket = host.startsWith('unix://') ? host.slice('unix://'.length) : host.startsWith('/') ? host : null
  if (socket !== null) {
    let real = path.resolve(socket)
    try {
      real = realpathSync(real)
    } catch {
      // not there (yet): as written
    }
    return `unix://${real}`
  }
  try {
    const url = new URL(host)
    if (url.hostname === '') return host
    return `${url.protocol}//${url.username ? `${url.username}@` : ''}${url.hostname.toLowerCase()}${url.port ? `:${url.port}` : ''}${url.pathname === '/' ? '' : url.pathname}`
  } catch {
    return host
  }
}

/** sha256 of the endpoint and the container name: the identity of what a run acts on. */
export function runLockKey(endpoint: string, container: string): string {
  return createHash('sha256')
    .update(JSON.stringify([endpoint, container]))
    .digest('hex')
}

export function runLockPath(dir: string, endpoint: string, container: string): string {
  return path.join(dir, `${runLockKey(endpoint, container).slice(0, 24)}.lock`)
}

export interface PlannedRunLock {
  path: string
  target: RunTarget
  endpoint: string
}

/** The lock files a run on these targets takes: one per endpoint and container, sorted by path (the order they are taken in). */
export function planRunLocks(dir: string, targets: readonly RunTarget[], env: NodeJS.ProcessEnv = process.env): PlannedRunLock[] {
  const byPath = new Map<string, PlannedRunLock>()
  for (const target of targets) {
    const endpoint = dockerEndpoint(target.docker, env)
    const p = runLockPath(dir, endpoint, target.container)
    if (!byPath.has(p)) byPath.set(p, {path: p, target, endpoint})
  }
  return [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * Takes the run lock of every target, in planRunLocks' order. When one is held by a live run, the locks taken so
 * far are released and a BusyError (exit 1) names the holder.
 */
export async function acquireRunLocks(
  dir: string,
  targets: readonly RunTarget[],
  meta: {command: RunCommand; config: string},
  env: NodeJS.ProcessEnv = process.env,
): Promise<RunLock> {
  const taken: RunLock[] = []
  const release = async () => {
    for (const lock of taken.splice(0).reverse()) await lock.release()
  }
  try {
    for (const {path: p, target, endpoint} of planRunLocks(dir, targets, env)) {
      taken.push(
        await acquireRunLock(
          p,
          {...meta, instance: target.name},
          {subject: `${target.name} (container ${target.container} on ${endpoint})`, command: meta.command},
        ),
      )
    }
  } catch (error) {
    await release()
    throw error
  }
  const paths = taken.flatMap((l) => l.paths)
  return {paths, release}
}

/** This host's view of a pid (/proc/<pid>/stat): the evidence a run lock is judged with. */
export function localProcess(pid: number): ProcessEvidence {
  try {
    const fields = parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))
    return {pid, exists: true, ...fields}
  } catch {
    return {pid, exists: false}
  }
}

const POLICY: LockPolicy = {maxHoldMs: Number.MAX_SAFE_INTEGER, orphanAfterMs: Number.MAX_SAFE_INTEGER, clockSkewMs: 0, malformedGraceMs: 5_000}

/** One run lock file. `about` words the BusyError: what the lock guards and which command wanted it. */
export async function acquireRunLock(
  lockPath: string,
  meta: Record<string, unknown> = {},
  about: {subject?: string; command?: RunCommand} = {},
): Promise<RunLock> {
  await makeLockDir(path.dirname(lockPath))
  const self = localProcess(process.pid)
  const payload = JSON.stringify(
    {pid: process.pid, createdAt: new Date().toISOString(), starttime: self.starttime, host: os.hostname(), user: userName(), ...meta},
    null,
    2,
  )
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await fsp.open(lockPath, 'wx', 0o644)
      await fh.writeFile(payload)
      await fh.close()
      return {paths: [lockPath], release: () => fsp.rm(lockPath, {force: true})}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const st = await fsp.lstat(lockPath).catch(() => null)
    if (!st) continue
    const raw = await fsp.readFile(lockPath, 'utf8').catch(() => null)
    const parsed = raw === null ? null : parseLockPayload(raw)
    const holder = holderOf(raw)
    const foreign = holder.host !== undefined && holder.host !== os.hostname()
    const lockFile = {
      path: lockPath,
      containerPath: lockPath,
      kind: 'session' as const,
      agent: 'fleet',
      session: 'run',
      size: st.size,
      mtimeMs: st.mtimeMs,
      raw: raw ?? undefined,
    }
    const j = judge(
      lockFile,
      parsed,
      {
        container: {name: 'host', running: true, startedAtMs: null},
        mountedBy: ['host'],
        process: foreign || !parsed?.pid ? undefined : localProcess(parsed.pid),
      },
      POLICY,
      Date.now(),
    )
    if (j.verdict !== 'stale' || foreign) throw busy(lockPath, {...holder, pid: parsed?.pid ?? holder.pid}, foreign, about)
    try {
      await makeLockDir(path.join(path.dirname(lockPath), 'taken-over'))
      await removeLockCarefully(lockPath, {raw, mtimeMs: st.mtimeMs, size: st.size}, path.join(path.dirname(lockPath), 'taken-over'), {anyName: true})
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'EPERM' && code !== 'EACCES') throw error
      // A shared dir is sticky: only its owner (or root) may remove another user's lock, even a stale one.
      throw new BusyError(
        `the run lock ${lockPath}${about.subject ? ` of ${about.subject}` : ''} was left by a run that is gone (pid ${parsed?.pid ?? '?'}${holder.user ? `, user ${holder.user}` : ''}), and this user may not remove it: ${(error as Error).message}`,
        `remove it as ${holder.user ?? 'its owner'} or root once you are sure no fleet runs on it: rm ${lockPath}`,
      )
    }
  }
  throw new BusyError(`could not take the run lock ${lockPath}${about.subject ? ` of ${about.subject}` : ''}`)
}

/** A dir for run locks; one made in a sticky shared dir (/run/lock, /tmp) is shared the same way (1777), so every user's fleet can lock there. */
async function makeLockDir(dir: string): Promise<void> {
  const made = await fsp.mkdir(dir, {recursive: true})
  if (made === undefined) return
  const parent = await fsp.stat(path.dirname(made)).catch(() => null)
  if (parent && (parent.mode & 0o1000) !== 0) {
    for (let d = dir; d.length >= made.length; d = path.dirname(d)) await fsp.chmod(d, 0o1777).catch(() => undefined)
  }
}

function userName(): string | undefined {
  try {
    return os.userInfo().username
  } catch {
    return undefined
  }
}

interface Holder {
  pid?: number
  user?: string
  createdAt?: string
  host?: string
  command?: string
  config?: string
  instance?: string
}

/** What a run lock says about its holder (any field may be missing: older fleet versions, a damaged file). */
function holderOf(raw: string | null): Holder {
  let doc: Record<string, unknown>
  try {
    doc = raw ? (JSON.parse(raw) as Record<string, unknown>) : {}
  } catch {
    return {}
  }
  if (doc === null || typeof doc !== 'object') return {}
  const str = (k: string) => (typeof doc[k] === 'string' ? (doc[k] as string) : undefined)
  return {
    pid: typeof doc.pid === 'number' ? doc.pid : undefined,
    createdAt: str('createdAt'),
    host: str('host'),
    user: str('user'),
    command: str('command'),
    config: str('config'),
    instance: str('instance'),
  }
}

/**
 * The error for a lock a live run holds: who (fleet heal / fleet watch, pid, host, since, config), what, and how
 * to go on. A watch never finishes, so it is never "wait for it to finish".
 */
function busy(lockPath: string, h: Holder, foreign: boolean, about: {subject?: string; command?: RunCommand}): BusyError {
  const who = h.command === 'watch' ? 'fleet watch' : h.command === 'heal' ? 'fleet heal' : 'another fleet run'
  const facts = [
    `pid ${h.pid ?? '?'}${h.host && foreign ? ` on host ${h.host}` : ''}`,
    `since ${h.createdAt ?? '?'}`,
    ...(h.user && h.user !== userName() ? [`user ${h.user}`] : []),
    ...(h.config ? [`config ${h.config}`] : []),
  ]
  const subject = about.subject ?? 'the run lock'
  const theirName = h.instance && about.subject && !about.subject.startsWith(`${h.instance} `) ? ` (${h.instance} in its config)` : ''
  const message = `${who} (${facts.join(', ')}) holds ${subject}${theirName}: ${lockPath}`
  const then = about.command === 'watch' ? 'start this watch' : 'heal'
  let hint: string
  if (h.command === 'watch')
    hint = `stop that watch (SIGINT/SIGTERM) or restart it with --report-only, then ${then}${foreign ? `; it runs on ${h.host}: remove the file by hand only once it is stopped` : ''}`
  else if (foreign) hint = `it was taken on another host (${h.host}): remove the file by hand once that run is over`
  else hint = 'wait for it to finish; a run that was killed is detected and taken over automatically'
  return new BusyError(message, hint)
}

/**
 * OpenClaw 2026.8+ storage locks, as observe() sees them: who holds the write lock of each SQLite db of an instance's
 * state dir (`agents/<id>/agent/openclaw-agent.sqlite`, `state/openclaw.sqlite`), from the kernel's lock table.
 * - local engines (lockAccess host): the db files are stat'ed on this disk and the host's /proc/locks read: no
 *   process is started, and it works for paused containers too. Holder pids are host pids, placed in the container
 *   by the host process view;
 * - otherwise one exec in the container does the same (its /proc/locks shows its own PID namespace's locks, with
 *   its pids).
 * Read only: no db is opened, so the gateway is never blocked.
 */
import fs from 'node:fs'
import path from 'node:path'
import type {Instance} from '../config/model.js'
import type {DockerHandle} from '../docker/client.js'
import type {ContainerInfo} from '../docker/discover.js'
import {execIn} from '../docker/exec.js'
import {parseProcLocks, targetsOf, writerHolds, type KernelLock} from '../locks/proc-locks.js'

/** One SQLite db of a state dir. */
export interface StateDb {
  /** The agent id, or `state` for the shared state db. */
  agent: string
  /** Path as fleet sees it (host path, or the container path for exec scans). */
  path: string
  /** Path inside the container. */
  containerPath: string
  db: {dev: bigint; inode: bigint} | null
  shm: {dev: bigint; inode: bigint} | null
  /** mtime of the -wal file (its last write), epoch ms; null when none. */
  walMtimeMs: number | null
}

export interface WriterScan {
  source: 'host' | 'exec'
  dbs: StateDb[]
  /** Writer holds found: the db, the holder's pid as the reader sees it (host pid for host scans), the kernel's line. */
  holds: {db: StateDb; pid: number; lock: KernelLock}[]
  error?: string
}

/** The db paths of a state dir, relative to it: one per agent dir, and the state db. */
export function stateDbPaths(agents: readonly string[]): {agent: string; rel: string}[] {
  return [
    ...agents.map((a) => ({agent: a, rel: path.posix.join('agents', a, 'agent', 'openclaw-agent.sqlite')})),
    {agent: 'state', rel: path.posix.join('state', 'openclaw.sqlite')},
  ]
}

/** Pure: the holds in a lock table for some dbs. */
export function holdsOf(dbs: StateDb[], locksText: string): WriterScan['holds'] {
  const byKey = new Map(dbs.map((d) => [d.path, d]))
  const targets = dbs.flatMap((d) => targetsOf(d.path, d.db, d.shm))
  return writerHolds(parseProcLocks(locksText), targets).map((h) => ({db: byKey.get(h.key)!, pid: h.pid, lock: h.lock}))
}

const identity = (file: string): {dev: bigint; inode: bigint} | null => {
  try {
    const st = fs.statSync(file, {bigint: true})
    return st.isFile() ? {dev: st.dev, inode: st.ino} : null
  } catch {
    return null
  }
}

const mtime = (file: string): number | null => {
  try {
    return fs.statSync(file).mtimeMs
  } catch {
    return null
  }
}

/** The host's lock table, read at most once per observation (one read serves every instance of the host). */
export function hostLockTable(procRoot = '/proc'): () => string {
  let text: string | undefined
  return () => (text ??= fs.readFileSync(path.join(procRoot, 'locks'), 'latin1'))
}

/** The state dir's dbs on this disk, and the host's lock table (read only when there is a db to look for). */
export function scanWritersOnHost(inst: Instance, lockTable: () => string = hostLockTable()): WriterScan {
  let agents: string[] = []
  try {
    agents = fs.readdirSync(path.join(inst.dataDir, 'agents')).sort()
  } catch {
    // no agents dir: no agent dbs
  }
  const dbs = stateDbPaths(agents)
    .map(({agent, rel}): StateDb => {
      const file = path.join(inst.dataDir, rel)
      return {
        agent,
        path: file,
        containerPath: path.posix.join(inst.stateDir, rel),
        db: identity(file),
        shm: identity(`${file}-shm`),
        walMtimeMs: mtime(`${file}-wal`),
      }
    })
    .filter((d) => d.db !== null)
  if (dbs.length === 0) return {source: 'host', dbs, holds: []}
  try {
    return {source: 'host', dbs, holds: holdsOf(dbs, lockTable())}
  } catch (error) {
    return {source: 'host', dbs, holds: [], error: `cannot read the host's /proc/locks: ${(error as Error).message}`}
  }
}

const SCAN_JS = `
const fs = require('fs'); const path = require('path');
const state = process.argv[1]; const rels = JSON.parse(process.argv[2]);
let agents = []; try { agents = fs.readdirSync(path.join(state, 'agents')).sort(); } catch {}
const id = (f) => { try { const s = fs.statSync(f, { bigint: true }); return s.isFile() ? { dev: String(s.dev), inode: String(s.ino) } : null; } catch { return null; } };
const mt = (f) => { try { return fs.statSync(f).mtimeMs; } catch { return null; } };
const dbs = [...agents.map((a) => ({ agent: a, rel: rels.agent.replace('{agent}', a) })), { agent: 'state', rel: rels.state }]
  .map(({ agent, rel }) => { const f = path.join(state, rel); return { agent, path: f, db: id(f), shm: id(f + '-shm'), walMtimeMs: mt(f + '-wal') }; })
  .filter((d) => d.db);
let locks = ''; try { locks = fs.readFileSync('/proc/locks', 'latin1'); } catch (e) { locks = null; }
process.stdout.write(JSON.stringify({ dbs, locks }));
`

type RawId = {dev: string; inode: string} | null
const big = (v: RawId) => (v ? {dev: BigInt(v.dev), inode: BigInt(v.inode)} : null)

/** The same scan by one exec in the running container (remote engines, or when the host view cannot place pids). */
export async function scanWritersInContainer(handle: DockerHandle, inst: Instance, c: ContainerInfo, timeoutMs: number): Promise<WriterScan> {
  const rels = {agent: path.posix.join('agents', '{agent}', 'agent', 'openclaw-agent.sqlite'), state: path.posix.join('state', 'openclaw.sqlite')}
  try {
    const r = await execIn(handle, c.name, ['node', '-e', SCAN_JS, inst.stateDir, JSON.stringify(rels)], {timeoutMs})
    if (r.timedOut || r.exitCode !== 0)
      return {
        source: 'exec',
        dbs: [],
        holds: [],
        error: `db scan in ${c.name}: ${r.timedOut ? 'timed out' : `exit ${r.exitCode}`} ${(r.stderr || r.stdout).trim().slice(0, 200)}`,
      }
    const data = JSON.parse(r.stdout) as {dbs: {agent: string; path: string; db: RawId; shm: RawId; walMtimeMs: number | null}[]; locks: string | null}
    const dbs = data.dbs.map((d): StateDb => ({agent: d.agent, path: d.path, containerPath: d.path, db: big(d.db), shm: big(d.shm), walMtimeMs: d.walMtimeMs}))
    if (data.locks === null) return {source: 'exec', dbs, holds: [], error: `cannot read /proc/locks in ${c.name}`}
    return {source: 'exec', dbs, holds: holdsOf(dbs, data.locks)}
  } catch (error) {
    return {source: 'exec', dbs: [], holds: [], error: `db scan in ${c.name}: ${(error as Error).message}`}
  }
}

/**
 * Process evidence for containers of an engine on THIS machine, read from the host's /proc in one pass
 * instead of one `docker exec` per container (an exec costs ~100 ms of CPU; this pass costs a few ms).
 *
 * A process belongs to a container when it is in the container's PID namespace (its /proc/<pid>/ns/pid link
 * is the one of the container's pid 1: readable by root) or in the container's cgroup (the 64-hex container
 * id in /proc/<pid>/cgroup: world-readable; also catches nested PID namespaces inside the container). Its pid
 * as the container sees it comes from `NSpid:` in /proc/<pid>/status, at the container's depth. starttime
 * (stat field 22) is the same number in every PID namespace.
 *
 * The view is only used for a container when it is proven right: the container's main process (inspect's
 * State.Pid) must be visible here as pid 1 of its namespace. fleet in a container of its own, a remote engine,
 * or a /proc mounted with hidepid fail that proof or the global check, and the caller falls back to the exec
 * probe. A process this view cannot place (its namespace link unreadable, in a nested PID namespace, in no
 * container's cgroup: e.g. started with `nsenter` by another user) is reported, and a pid it could be is never
 * called absent from here.
 */
import fs from 'node:fs'
import path from 'node:path'
import type {ProcessEvidence} from '../locks/types.js'
import {localBootTime, parseStat} from '../util/proc-stat.js'
import {classify, type ProbeResult} from './probe.js'

export interface ContainerRef {
  id: string
  /** inspect State.Pid: the host pid of the container's pid 1 (0 when not running). */
  pid: number
  /** Names an exec client on this host may use for it: the container name, its compose service. */
  names?: string[]
}

interface RawProcess {
  hostPid: number
  hostPpid: number
  /** NSpid: this pid in each PID namespace from ours inwards. */
  nsPids: number[]
  state: string
  starttime: number
  cmdline: string[]
}

/** Per container id: its process table (and each entry's host pid), or why this view cannot be trusted for it. */
export type HostProcTable = {ok: true; table: ProcessEvidence[]; hostPids: Map<number, number>} | {ok: false; error: string}
export interface HostProcView {
  containers: Map<string, HostProcTable>
  /** Inner pids of processes in nested PID namespaces that could not be placed in or out of any container. */
  unplaced: Set<number>
  /** Per container id: host pids of `docker exec` / `docker compose exec` / `docker-compose exec` clients naming it. */
  clients: Map<string, number[]>
  procRoot: string
}

/**
 * Whether a host command line is a docker CLI exec naming one of `names` (container name, id prefix,
 * compose service): `docker exec … NAME …`, `docker compose … exec … SERVICE …`, `docker-compose … exec …`.
 * Loose on purpose: any exec client that may belong to the container counts (it only ever keeps a turn alive).
 */
export function isExecClientOf(cmdline: readonly string[], names: readonly string[]): boolean {
  // docker-compose v1 runs as `python3 /usr/bin/docker-compose …`: the CLI is argv[0] or argv[1].
  const isCli = cmdline.slice(0, 2).some((a) => /^(docker|docker-compose|com\.docker\.cli)$/.test(path.basename(a)))
  if (!isCli || !cmdline.includes('exec')) return false
  const args = cmdline.slice(1)
  return names.some((n) => n.length > 0 && args.some((a) => a === n || (n.length >= 12 && /^[0-9a-f]+$/.test(a) && a.length >= 12 && n.startsWith(a))))
}

/** The pids of a process from the outermost visible PID namespace inwards, from /proc/<pid>/status (`NSpid:\t2760\t1`). */
export function parseNsPids(status: string): number[] | null {
  const m = /^NSpid:[ \t]+([\d \t]+)$/m.exec(status)
  const pids = m?.[1].trim().split(/\s+/).map(Number)
  return pids && pids.length > 0 && pids.every((n) => Number.isSafeInteger(n) && n > 0) ? pids : null
}

/** Container ids (64 hex) named in /proc/<pid>/cgroup: cgroupfs `/docker/<id>`, systemd `docker-<id>.scope`. */
export function containerIdsInCgroup(cgroup: string): string[] {
  return [...new Set(cgroup.match(/(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])/g) ?? [])]
}

/** Why the host /proc cannot be trusted at all (null when it can be, container by container). */
export function hostProcProblem(procRoot = '/proc', euid = process.geteuid?.() ?? -1): string | null {
  if (process.platform !== 'linux') return `no host /proc on ${process.platform}`
  let mountinfo: string
  try {
    mountinfo = fs.readFileSync(path.join(procRoot, 'self', 'mountinfo'), 'latin1')
  } catch (error) {
    return `cannot read ${procRoot}/self/mountinfo: ${(error as Error).message}`
  }
  // hidepid hides other users' processes from non-root readers: a hidden live owner would look gone.
  const procMount = mountinfo
    .split('\n')
    .filter((l) => l.split(' ')[4] === procRoot)
    .at(-1)
  const opts = procMount?.split(' - ')[1]?.split(' ')[2] ?? ''
  const hidden = /(^|,)hidepid=(1|2|noaccess|invisible|ptraceable)(,|$)/.test(opts)
  if (hidden && euid !== 0) return `${procRoot} is mounted with ${opts.match(/hidepid=\w+/)?.[0]} and fleet is not root`
  return null
}

const nsLink = (procRoot: string, pid: number): string | null => {
  try {
    return fs.readlinkSync(path.join(procRoot, String(pid), 'ns', 'pid'))
  } catch {
    return null
  }
}

function readRaw(dir: string, pid: number): RawProcess | null {
  const stat = parseStat(fs.readFileSync(path.join(dir, 'stat'), 'latin1'))
  const nsPids = parseNsPids(fs.readFileSync(path.join(dir, 'status'), 'latin1'))
  if (!stat || !nsPids) return null
  const cmdline = fs.readFileSync(path.join(dir, 'cmdline'), 'latin1').split('\0').filter(Boolean)
  return {hostPid: pid, hostPpid: stat.ppid, nsPids, state: stat.state, starttime: stat.starttime, cmdline}
}

/** One pass over /proc for the given running containers. */
export function readHostProcesses(containers: ContainerRef[], opts: {procRoot?: string; euid?: number} = {}): HostProcView {
  const procRoot = opts.procRoot ?? '/proc'
  const view: HostProcView = {containers: new Map(), unplaced: new Set(), clients: new Map(), procRoot}
  const refuse = (error: string) => {
    for (const c of containers) view.containers.set(c.id, {ok: false, error})
    return view
  }
  const problem = hostProcProblem(procRoot, opts.euid)
  if (problem) return refuse(problem)
  let entries: string[]
  try {
    entries = fs.readdirSync(procRoot)
  } catch (error) {
    return refuse(`cannot list ${procRoot}: ${(error as Error).message}`)
  }
  const wanted = new Set(containers.map((c) => c.id))
  const byNs = new Map<string, string>()
  for (const c of containers) {
    const ns = nsLink(procRoot, c.pid)
    if (ns) byNs.set(ns, c.id)
  }
  const raw = new Map<string, RawProcess[]>()
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    const pid = Number(name)
    const dir = path.join(procRoot, name)
    try {
      const ns = nsLink(procRoot, pid)
      const ids = containerIdsInCgroup(fs.readFileSync(path.join(dir, 'cgroup'), 'latin1'))
      const id = (ns !== null ? byNs.get(ns) : undefined) ?? ids.find((i) => wanted.has(i))
      if (id === undefined) {
        // Not placed in a wanted container. If it is in a nested PID namespace, in no container's cgroup and
        // its namespace cannot be read, it might still be in one of them (nsenter): remember its inner pids.
        if (ns === null && ids.length === 0) {
          const nsPids = parseNsPids(fs.readFileSync(path.join(dir, 'status'), 'latin1'))
          for (const inner of nsPids?.slice(1) ?? []) view.unplaced.add(inner)
        }
        if (ids.length === 0) noteClient(view, containers, pid, fs.readFileSync(path.join(dir, 'cmdline'), 'latin1').split('\0').filter(Boolean))
        continue
      }
      const p = readRaw(dir, pid)
      if (!p) continue
      const list = raw.get(id) ?? []
      list.push(p)
      raw.set(id, list)
    } catch {
      // exited while being read
    }
  }
  for (const c of containers) view.containers.set(c.id, toTable(c, raw.get(c.id) ?? [], procRoot))
  return view
}

function noteClient(view: HostProcView, containers: ContainerRef[], hostPid: number, cmdline: string[]): void {
  for (const c of containers) {
    if (!isExecClientOf(cmdline, [c.id, ...(c.names ?? [])])) continue
    const list = view.clients.get(c.id) ?? []
    list.push(hostPid)
    view.clients.set(c.id, list)
  }
}

function toTable(c: ContainerRef, list: RawProcess[], procRoot: string): HostProcTable {
  const main = list.find((p) => p.hostPid === c.pid)
  if (!main || main.nsPids.length < 2 || main.nsPids.at(-1) !== 1) {
    return {
      ok: false,
      error: `the container's pid 1 (host pid ${c.pid}) is not visible as such in ${procRoot}; fleet does not share the engine's PID namespace`,
    }
  }
  // The container's depth: its pid 1 is NSpid[level]; every process of it is seen there by that index.
  const level = main.nsPids.length - 1
  const inContainer = list.filter((p) => p.nsPids.length > level)
  const nsOf = new Map(inContainer.map((p) => [p.hostPid, p.nsPids[level]]))
  const hostPids = new Map(inContainer.map((p) => [p.nsPids[level], p.hostPid]))
  const table = inContainer.map((p): ProcessEvidence => ({
    pid: p.nsPids[level],
    exists: true,
    state: p.state,
    // The parent as the container sees it; a parent outside the container reads as 0, as inside it.
    ppid: nsOf.get(p.hostPpid) ?? 0,
    starttime: p.starttime,
    cmdline: p.cmdline,
  }))
  return {ok: true, table, hostPids}
}

/** The pid in the container's namespace of a host pid, when the view places it in that container; null otherwise. */
export function containerPidOf(view: HostProcView, containerId: string, hostPid: number): number | null {
  const local = view.containers.get(containerId)
  if (!local?.ok) return null
  for (const [pid, host] of local.hostPids) if (host === hostPid) return pid
  return null
}

/** Asked pids the table lacks but an unplaced process might be: the exec probe must answer for them. */
export function undecided(table: ProcessEvidence[], pids: number[], unplaced: Set<number>): number[] {
  const seen = new Set(table.map((p) => p.pid))
  return pids.filter((p) => !seen.has(p) && unplaced.has(p))
}

/** The evidence for some pids of one container from its table, shaped like an exec probe's answer. */
export function evidenceFromTable(table: ProcessEvidence[], pids: number[], nowMs: number): ProbeResult {
  const pid1 = table.find((p) => p.pid === 1)
  const byPid = new Map(table.map((p) => [p.pid, classify(p, pid1)]))
  const processes = new Map<number, ProcessEvidence>(pids.map((pid) => [pid, byPid.get(pid) ?? {pid, exists: false}]))
  const bootTimeMs = localBootTime()
  return {ok: true, nowMs, processes, table: [...byPid.values()], source: 'host-proc', ...(bootTimeMs !== null ? {bootTimeMs} : {})}
}

/** FLEET_EXEC_* variables of a process's environment (readable by root or its own user); null when unreadable. */
export function fleetMarks(environ: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const kv of environ.split('\0')) {
    if (!kv.startsWith('FLEET_EXEC_')) continue
    const i = kv.indexOf('=')
    out[kv.slice(0, i)] = kv.slice(i + 1)
  }
  return out
}

/** The evidence for some pids of one container from the host view, or null when the exec probe must answer. */
export function hostEvidence(view: HostProcView, containerId: string, pids: number[], nowMs: number): ProbeResult | null {
  const local = view.containers.get(containerId)
  if (!local?.ok || undecided(local.table, pids, view.unplaced).length > 0) return null
  const marks = new Map<number, Record<string, string>>()
  for (const pid of pids) {
    const hostPid = local.hostPids.get(pid)
    if (hostPid === undefined) continue
    try {
      marks.set(pid, fleetMarks(fs.readFileSync(path.join(view.procRoot, String(hostPid), 'environ'), 'latin1')))
    } catch {
      // exited, or not readable by this user: no marker evidence
    }
  }
  return {...evidenceFromTable(local.table, pids, nowMs), marks, clients: view.clients.get(containerId) ?? []}
}

/**
 * Process evidence for containers of an engine on THIS machine, read from the host's /proc in one pass
 * instead of one `docker exec` per container (an exec costs ~100 ms of CPU; this pass costs a few ms).
 *
 * Each process is tied to its container by the 64-hex container id in /proc/<pid>/cgroup, and its pid as
 * the container sees it is the last field of `NSpid:` in /proc/<pid>/status. starttime (stat field 22) is
 * the same in every PID namespace. All three files are world-readable.
 *
 * The view is only used for a container when it is proven right: the container's main process
 * (inspect's State.Pid) must be visible here, carry the container id in its cgroup and be pid 1 in its
 * namespace. fleet in a container of its own, a remote engine, or a /proc mounted with hidepid all fail that
 * proof or the global check, and the caller falls back to the exec probe. A process missing from a proven
 * view really is gone, so "no such process" from here is as strong as from inside the container.
 */
import fs from 'node:fs'
import path from 'node:path'
import type {ProcessEvidence} from '../locks/types.js'
import {classify, type ProbeResult} from './probe.js'

export interface ContainerRef {
  id: string
  /** inspect State.Pid: the host pid of the container's pid 1 (0 when not running). */
  pid: number
}

interface RawProcess {
  hostPid: number
  hostPpid: number
  nsPid: number
  state: string
  starttime: number
  cmdline: string[]
}

/** Per container id: its process table, or why this view cannot be trusted for it. */
export type HostProcView = Map<string, {ok: true; table: ProcessEvidence[]} | {ok: false; error: string}>

/** Fields of /proc/<pid>/stat after the `(comm)`, which may itself hold spaces and parentheses. */
export function parseStat(stat: string): {state: string; ppid: number; starttime: number} | null {
  const close = stat.lastIndexOf(')')
  if (close < 0) return null
  const f = stat.slice(close + 2).trim().split(' ')
  const ppid = Number(f[1])
  const starttime = Number(f[19])
  if (!f[0] || !Number.isSafeInteger(ppid) || !Number.isSafeInteger(starttime)) return null
  return {state: f[0], ppid, starttime}
}

/** The pid in the innermost PID namespace, from /proc/<pid>/status (`NSpid:\t2760\t1`). */
export function parseNsPid(status: string): number | null {
  const m = /^NSpid:\s+([\d\s]+)$/m.exec(status)
  const last = m?.[1].trim().split(/\s+/).at(-1)
  const n = Number(last)
  return last && Number.isSafeInteger(n) ? n : null
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
  const procMount = mountinfo.split('\n').filter((l) => l.split(' ')[4] === procRoot).at(-1)
  const opts = procMount?.split(' - ')[1]?.split(' ')[2] ?? ''
  const hidden = /(^|,)hidepid=(1|2|noaccess|invisible|ptraceable)(,|$)/.test(opts)
  if (hidden && euid !== 0) return `${procRoot} is mounted with ${opts.match(/hidepid=\w+/)?.[0]} and fleet is not root`
  return null
}

function readProcess(procRoot: string, pid: number, wanted: Set<string>): {id: string; p: RawProcess} | null {
  const dir = path.join(procRoot, String(pid))
  try {
    const id = containerIdsInCgroup(fs.readFileSync(path.join(dir, 'cgroup'), 'latin1')).find((i) => wanted.has(i))
    if (!id) return null
    const stat = parseStat(fs.readFileSync(path.join(dir, 'stat'), 'latin1'))
    const nsPid = parseNsPid(fs.readFileSync(path.join(dir, 'status'), 'latin1'))
    if (!stat || nsPid === null) return null
    const cmdline = fs.readFileSync(path.join(dir, 'cmdline'), 'latin1').split('\0').filter(Boolean)
    return {id, p: {hostPid: pid, hostPpid: stat.ppid, nsPid, state: stat.state, starttime: stat.starttime, cmdline}}
  } catch {
    return null // exited while being read, or not ours to read
  }
}

/** One pass over /proc for the given running containers. */
export function readHostProcesses(containers: ContainerRef[], opts: {procRoot?: string; euid?: number} = {}): HostProcView {
  const procRoot = opts.procRoot ?? '/proc'
  const view: HostProcView = new Map()
  const problem = hostProcProblem(procRoot, opts.euid)
  if (problem) {
    for (const c of containers) view.set(c.id, {ok: false, error: problem})
    return view
  }
  const wanted = new Set(containers.map((c) => c.id))
  const raw = new Map<string, RawProcess[]>()
  let entries: string[]
  try {
    entries = fs.readdirSync(procRoot)
  } catch (error) {
    for (const c of containers) view.set(c.id, {ok: false, error: `cannot list ${procRoot}: ${(error as Error).message}`})
    return view
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue
    const hit = readProcess(procRoot, Number(name), wanted)
    if (!hit) continue
    const list = raw.get(hit.id) ?? []
    list.push(hit.p)
    raw.set(hit.id, list)
  }
  for (const c of containers) view.set(c.id, toTable(c, raw.get(c.id) ?? [], procRoot))
  return view
}

function toTable(c: ContainerRef, list: RawProcess[], procRoot: string): {ok: true; table: ProcessEvidence[]} | {ok: false; error: string} {
  const main = list.find((p) => p.hostPid === c.pid)
  if (!main || main.nsPid !== 1) {
    return {ok: false, error: `the container's pid 1 (host pid ${c.pid}) is not visible as such in ${procRoot}; fleet does not share the engine's PID namespace`}
  }
  const nsOf = new Map(list.map((p) => [p.hostPid, p.nsPid]))
  const table = list.map((p): ProcessEvidence => ({
    pid: p.nsPid,
    exists: true,
    state: p.state,
    // The parent as the container sees it; a parent outside the container reads as 0, as inside it.
    ppid: nsOf.get(p.hostPpid) ?? 0,
    starttime: p.starttime,
    cmdline: p.cmdline,
  }))
  return {ok: true, table}
}

/** The evidence for some pids of one container from its table, shaped like an exec probe's answer. */
export function evidenceFromTable(table: ProcessEvidence[], pids: number[], nowMs: number): ProbeResult {
  const pid1 = table.find((p) => p.pid === 1)
  const byPid = new Map(table.map((p) => [p.pid, classify(p, pid1)]))
  const processes = new Map<number, ProcessEvidence>(pids.map((pid) => [pid, byPid.get(pid) ?? {pid, exists: false}]))
  return {ok: true, nowMs, processes, table: [...byPid.values()], source: 'host-proc'}
}

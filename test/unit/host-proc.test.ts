// Host /proc evidence (src/docker/host-proc.ts): the parsers, and the proof that the view shows a container
// before it is used, against fake /proc trees laid out as the kernel does.
import fc from 'fast-check'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {mkdirSync as mkdir, symlinkSync} from 'node:fs'
import {containerIdsInCgroup, evidenceFromTable, hostEvidence, hostProcProblem, parseNsPids, readHostProcesses, undecided} from '../../src/docker/host-proc.js'
import {parseStat} from '../../src/util/proc-stat.js'

const ID_A = 'a'.repeat(63) + '1'
const ID_B = 'b'.repeat(63) + '2'
const roots: string[] = []
afterAll(() => roots.forEach((r) => rmSync(r, {recursive: true, force: true})))

interface FakeProc {
  pid: number
  ppid: number
  ns: number[]
  cgroup: string
  state?: string
  starttime?: number
  cmd?: string[]
  comm?: string
  /** Target of ns/pid (`pid:[4026531836]`); no link when unset (unreadable to a non-root reader). */
  ns_link?: string
}

function stat(p: FakeProc): string {
  // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime prio nice threads itreal starttime ...
  const rest = [p.state ?? 'S', p.ppid, 1, 1, 0, -1, 4194560, 0, 0, 0, 0, 0, 0, 0, 0, 20, 0, 1, 0, p.starttime ?? 1000 + p.pid, 1, 2, 3]
  return `${p.pid} (${p.comm ?? 'node'}) ${rest.join(' ')}\n`
}

function fakeProc(procs: FakeProc[], procOpts = 'rw'): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'fleet-proc-'))
  roots.push(root)
  mkdirSync(path.join(root, 'self'))
  writeFileSync(path.join(root, 'self', 'mountinfo'), `22 27 0:21 / /sys rw - sysfs sysfs rw\n23 27 0:22 / ${root} rw,relatime - proc proc ${procOpts}\n`)
  for (const p of procs) {
    const dir = path.join(root, String(p.pid))
    mkdirSync(dir)
    writeFileSync(path.join(dir, 'stat'), stat(p))
    writeFileSync(path.join(dir, 'status'), `Name:\tnode\nState:\t${p.state ?? 'S'}\nPid:\t${p.pid}\nPPid:\t${p.ppid}\nNSpid:\t${p.ns.join('\t')}\n`)
    writeFileSync(path.join(dir, 'cgroup'), p.cgroup)
    writeFileSync(path.join(dir, 'cmdline'), (p.cmd ?? ['node']).map((a) => a + '\0').join(''))
    if (p.ns_link) {
      mkdir(path.join(dir, 'ns'))
      symlinkSync(p.ns_link, path.join(dir, 'ns', 'pid'))
    }
  }
  return root
}

const v1 = (id: string) => `9:name=systemd:/docker/${id}\n8:pids:/docker/${id}\n0::/\n`
const v2 = (id: string) => `0::/system.slice/docker-${id}.scope\n`

describe('parsers', () => {
  it('parseStat reads state, ppid and starttime whatever the comm holds (spaces, parentheses)', () => {
    fc.assert(
      fc.property(
        fc.string({maxLength: 15}),
        fc.constantFrom('R', 'S', 'D', 'T', 'Z', 't'),
        fc.nat(4_194_304),
        fc.nat(2 ** 40),
        (comm, state, ppid, starttime) => {
          expect(parseStat(stat({pid: 5, ppid, ns: [5], cgroup: '', state, starttime, comm}))).toEqual({state, ppid, starttime})
        },
      ),
      {numRuns: 2000},
    )
  })

  it('parseStat refuses a line it cannot read', () => {
    expect(parseStat('')).toBeNull()
    expect(parseStat('12 (x) S notanumber')).toBeNull()
  })

  it('parseNsPids gives the pids from the outermost namespace inwards', () => {
    expect(parseNsPids('Name:\tx\nNSpid:\t2760\t1\nNSpgid:\t1\n')).toEqual([2760, 1])
    expect(parseNsPids('NSpid:\t44\n')).toEqual([44])
    expect(parseNsPids('NSpid:\t900\t300\t7\n')).toEqual([900, 300, 7])
    expect(parseNsPids('Name:\tx\n')).toBeNull() // kernels before 4.1
  })

  it('containerIdsInCgroup finds cgroupfs and systemd ids, not longer hex runs', () => {
    expect(containerIdsInCgroup(v1(ID_A))).toEqual([ID_A])
    expect(containerIdsInCgroup(v2(ID_B))).toEqual([ID_B])
    expect(containerIdsInCgroup(`0::/x/${'c'.repeat(65)}\n`)).toEqual([])
    expect(containerIdsInCgroup('0::/user.slice/session-3.scope\n')).toEqual([])
  })
})

describe('readHostProcesses', () => {
  // Container A (cgroup v1): docker-init (host 100, ns 1), gateway (101, ns 7), an agent exec (150, ns 30)
  // whose parent is outside the container. Container B (cgroup v2): gateway as pid 1 (200). A host process too.
  const procs: FakeProc[] = [
    {pid: 1, ppid: 0, ns: [1], cgroup: '0::/init.scope\n', cmd: ['/sbin/init']},
    {pid: 90, ppid: 1, ns: [90], cgroup: '0::/system.slice/containerd.service\n', cmd: ['containerd-shim']},
    {pid: 100, ppid: 90, ns: [100, 1], cgroup: v1(ID_A), cmd: ['/sbin/docker-init', '--', 'openclaw', 'gateway']},
    {pid: 101, ppid: 100, ns: [101, 7], cgroup: v1(ID_A), state: 'T', cmd: ['openclaw-gateway']},
    {pid: 150, ppid: 90, ns: [150, 30], cgroup: v1(ID_A), cmd: ['openclaw-agent']},
    {pid: 200, ppid: 90, ns: [200, 1], cgroup: v2(ID_B), cmd: ['node', 'openclaw.mjs', 'gateway']},
  ]

  it('gives each proven container its table with the pids and parents it sees, classified', () => {
    const root = fakeProc(procs)
    const view = readHostProcesses(
      [
        {id: ID_A, pid: 100},
        {id: ID_B, pid: 200},
      ],
      {procRoot: root},
    )
    const a = view.containers.get(ID_A)
    expect(a?.ok).toBe(true)
    const r = evidenceFromTable((a as {table: any[]}).table, [7, 30, 8], 123)
    expect(r).toMatchObject({ok: true, nowMs: 123, source: 'host-proc'})
    expect(r.processes.get(7)).toEqual({
      pid: 7,
      exists: true,
      state: 'T',
      ppid: 1,
      starttime: 1101,
      cmdline: ['openclaw-gateway'],
      isMain: true,
      isAgent: false,
    })
    expect(r.processes.get(30)).toMatchObject({pid: 30, exists: true, ppid: 0, isMain: false, isAgent: true})
    expect(r.processes.get(8)).toEqual({pid: 8, exists: false})
    const b = view.containers.get(ID_B) as {ok: true; table: any[]}
    expect(b.table).toEqual([{pid: 1, exists: true, state: 'S', ppid: 0, starttime: 1200, cmdline: ['node', 'openclaw.mjs', 'gateway']}])
    expect(evidenceFromTable(b.table, [1], 0).processes.get(1)).toMatchObject({isMain: true})
  })

  it('places a process entered into the container namespace from outside its cgroup (nsenter) by its namespace link', () => {
    const NS_A = 'pid:[4026532001]'
    const root = fakeProc([
      {pid: 100, ppid: 90, ns: [100, 1], cgroup: v1(ID_A), ns_link: NS_A, cmd: ['/sbin/docker-init']},
      {pid: 101, ppid: 100, ns: [101, 7], cgroup: v1(ID_A), ns_link: NS_A, cmd: ['openclaw-gateway']},
      // nsenter -t 100 -p openclaw agent: the container's namespace, the operator's cgroup.
      {pid: 300, ppid: 299, ns: [300, 41], cgroup: '0::/user.slice/session-4.scope\n', ns_link: NS_A, cmd: ['openclaw-agent']},
    ])
    const view = readHostProcesses([{id: ID_A, pid: 100}], {procRoot: root})
    const a = view.containers.get(ID_A) as {ok: true; table: any[]}
    expect(a.table.map((p) => p.pid).sort((x, y) => x - y)).toEqual([1, 7, 41])
    expect(view.unplaced.size).toBe(0)
  })

  it('never calls a pid absent when a process it cannot place might be it (no namespace link, no container cgroup)', () => {
    const root = fakeProc([
      {pid: 100, ppid: 90, ns: [100, 1], cgroup: v1(ID_A), cmd: ['/sbin/docker-init']},
      {pid: 101, ppid: 100, ns: [101, 7], cgroup: v1(ID_A), cmd: ['openclaw-gateway']},
      {pid: 300, ppid: 299, ns: [300, 41], cgroup: '0::/user.slice/session-4.scope\n', cmd: ['openclaw-agent']},
      {pid: 301, ppid: 1, ns: [301], cgroup: '0::/user.slice/session-4.scope\n', cmd: ['bash']},
    ])
    const view = readHostProcesses([{id: ID_A, pid: 100}], {procRoot: root})
    const a = view.containers.get(ID_A) as {ok: true; table: any[]}
    expect(a.table.map((p) => p.pid).sort((x, y) => x - y)).toEqual([1, 7])
    expect([...view.unplaced]).toEqual([41])
    expect(undecided(a.table, [41, 7, 55], view.unplaced)).toEqual([41]) // 7 is there, 55 is surely gone
    expect(hostEvidence(view, ID_A, [7, 41], 0)).toBeNull() // the exec probe answers for this container
    expect(hostEvidence(view, ID_A, [7, 55], 0)?.processes.get(55)).toEqual({pid: 55, exists: false})
  })

  it('sees processes of a nested PID namespace inside the container by the pid the container sees', () => {
    const root = fakeProc([
      {pid: 100, ppid: 90, ns: [100, 1], cgroup: v2(ID_A), cmd: ['/sbin/docker-init']},
      {pid: 120, ppid: 100, ns: [120, 9, 1], cgroup: v2(ID_A), cmd: ['sandbox']},
    ])
    const a = readHostProcesses([{id: ID_A, pid: 100}], {procRoot: root}).containers.get(ID_A) as {ok: true; table: any[]}
    expect(a.table).toContainEqual(expect.objectContaining({pid: 9, ppid: 1, cmdline: ['sandbox']}))
  })

  it('refuses a container whose pid 1 it cannot see (fleet in its own PID namespace, or another machine)', () => {
    const root = fakeProc(procs)
    const view = readHostProcesses([{id: ID_A, pid: 4242}], {procRoot: root})
    expect(view.containers.get(ID_A)).toMatchObject({ok: false, error: expect.stringContaining('host pid 4242')})
  })

  it('refuses when the State.Pid number here is another process (same number, other namespace)', () => {
    // fleet inside a container: /proc shows its own namespace, where 200 is some unrelated process.
    const root = fakeProc([{pid: 200, ppid: 1, ns: [200], cgroup: '0::/\n'}])
    expect(readHostProcesses([{id: ID_B, pid: 200}], {procRoot: root}).containers.get(ID_B)?.ok).toBe(false)
    // ...or a process of the container that is not its pid 1.
    const root2 = fakeProc([{pid: 200, ppid: 1, ns: [200, 5], cgroup: v2(ID_B)}])
    expect(readHostProcesses([{id: ID_B, pid: 200}], {procRoot: root2}).containers.get(ID_B)?.ok).toBe(false)
  })

  it('refuses every container when /proc hides other users processes from a non-root fleet', () => {
    const root = fakeProc(procs, 'rw,hidepid=invisible')
    expect(hostProcProblem(root, 1000)).toMatch(/hidepid=invisible/)
    expect(hostProcProblem(root, 0)).toBeNull()
    expect(readHostProcesses([{id: ID_A, pid: 100}], {procRoot: root, euid: 1000}).containers.get(ID_A)).toMatchObject({ok: false})
    expect(readHostProcesses([{id: ID_A, pid: 100}], {procRoot: root, euid: 0}).containers.get(ID_A)).toMatchObject({ok: true})
    expect(hostProcProblem(fakeProc(procs, 'rw,hidepid=0'), 1000)).toBeNull()
  })

  it('the real /proc of this machine shows this process in no container', () => {
    expect(hostProcProblem()).toBeNull()
    expect(readHostProcesses([{id: ID_A, pid: process.pid}]).containers.get(ID_A)?.ok).toBe(false)
  })
})

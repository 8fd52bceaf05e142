// fleet status against the real engine: a 10-instance lab (201-210) with every lock fault injected by
// real processes; each gives the right verdict and reasons, healthy instances show no locks, and the
// exit code follows the rule (0 only when every selected instance runs with no stale/hung/orphan/conflict lock).
import {execa} from 'execa'
import YAML from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {fleet} from '../helpers/cli.js'
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {configVariant, containerName, fleetIn, labDown, labUp, sessionsDir, sleep, withLocks, type Lab} from './helpers.js'

let lab: Lab
let config: string
const injected: Record<string, any> = {}
let doc: any
let exitCode: number
const by = (id: number) => doc.instances.find((i: {id: number}) => i.id === id)

beforeAll(async () => {
  lab = await labUp(201, 10)
  const root = lab.root
  // Short thresholds so hung and orphan show within seconds.
  config = configVariant(lab, 'fleet.status.yml', (y) => withLocks(y, {maxHold: '8s', orphanAfter: '3s'}))
  Object.assign(injected, {
    a: await faults.deadPid(201, {root}),
    b: await faults.orphan(202, {root}),
    c: await faults.frozen(203, {root}),
    d: await faults.previousIncarnation(204, {root, legacy: true}),
    e: await faults.sharedSessions(205, {root, other: 206}),
    g: await faults.stoppedWithLock(207, {root}),
    h: await faults.malformedLocks(208, {root}),
    i: await faults.manyTranscripts(210, {root}),
  })
  // A lock in the shared dir, held by a process that died (judged across two namespaces: conflict).
  injected.e2 = await faults.deadPid(206, {root})
  // The outage signature: one turn through the gateway of oc204 waits 10 s on the lock its own pid number
  // seems to hold (no starttime to tell them apart), fails, and the gateway logs it. (A dead-pid lock would
  // be reclaimed by that turn, as OpenClaw does.) Also lets the malformed locks age past the 5 s grace.
  await execa('docker', ['exec', containerName(204), 'openclaw', 'agent', '--agent', 'main', '--message', 'hello', '--json'], {reject: false, timeout: 60_000})
  const r = await fleetIn(lab, ['status', '--json'], {config})
  exitCode = r.exitCode
  doc = JSON.parse(r.stdout)
}, 600_000)

afterAll(() => labDown(lab), 300_000)

describe('fleet status verdicts on the lab', () => {
  it('exits 1 and reports ten instances', () => {
    expect(exitCode).toBe(1)
    expect(doc.instances.map((i: {id: number}) => i.id)).toEqual([201, 202, 203, 204, 205, 206, 207, 208, 209, 210])
    expect(doc.ok).toBe(false)
  })

  it('(a) a SIGKILLed holder: stale, dead-pid, with the pid probed in the container', () => {
    const [l] = by(201).locks
    expect(l).toMatchObject({verdict: 'stale', pid: injected.a.pid, evidence: {process: {pid: injected.a.pid, exists: false}}})
    expect(l.reasons).toContain('dead-pid')
  })

  it('(b) an orphaned docker exec holder: orphan, agent-process, not the gateway main process', () => {
    const [l] = by(202).locks
    expect(l.verdict).toBe('orphan')
    expect(l.reasons).toContain('agent-process')
    expect(l.reasons).toContain('past-deadline')
    // The holder is `openclaw-agent`, the child of the exec'd `openclaw agent --timeout 1` (PPID 0).
    expect(l.evidence.process).toMatchObject({exists: true, isAgent: true, isMain: false, cmdline: ['openclaw-agent']})
    expect(l.evidence.process.turn).toMatchObject({timeoutSec: 1, fleet: null})
    expect(l.evidence.process.turn.execRoot.cmdline).toEqual(expect.arrayContaining(['agent', '--timeout', '1']))
  })

  it('(c) a frozen gateway holding the lock past maxHold: hung, hold-exceeded, stopped', () => {
    const [l] = by(203).locks
    expect(l.verdict).toBe('hung')
    expect(l.reasons).toEqual(expect.arrayContaining(['hold-exceeded', 'stopped']))
    expect(l.evidence.process).toMatchObject({isMain: true, state: 'T'})
  })

  it('(d) a previous incarnation lock whose pid the new gateway has: stale, predates-container-start', () => {
    const [l] = by(204).locks
    expect(injected.d.samePid).toBe(true)
    expect(l.pid).toBe(injected.d.gatewayPid)
    expect(l.evidence.process).toMatchObject({exists: true, isMain: true})
    expect(l).toMatchObject({verdict: 'stale'})
    expect(l.reasons).toContain('predates-container-start')
    // The outage signature in its log since the current start.
    const sig = by(204).logSignature
    expect(sig.count).toBeGreaterThanOrEqual(1)
    expect(sig.pids).toEqual([injected.d.pid])
    expect(sig.timeoutsMs).toEqual([10000])
    expect(sig.paths).toEqual([injected.d.lockPath])
  })

  it('(e) a sessions dir mounted by two containers: conflict, naming the other container', () => {
    const i = by(206)
    expect(i.locks[0]).toMatchObject({verdict: 'conflict', reasons: ['shared-sessions-dir']})
    expect(i.locks[0].evidence.mountedBy.sort()).toEqual([containerName(205), containerName(206)].sort())
    expect(i.sharedWith).toEqual([containerName(205)])
    // Status agrees with heal, which refuses both sides: neither is ok, even the side without a lock.
    expect(i.ok).toBe(false)
    expect(by(205).ok).toBe(false)
  })

  it('(g) a stopped container with a lock left behind: stale, container-not-running; the instance is not ok', () => {
    const i = by(207)
    expect(i.state).toBe('exited')
    expect(i.locks[0].verdict).toBe('stale')
    expect(i.locks[0].reasons).toContain('container-not-running')
    expect(i.ok).toBe(false)
  })

  it('(h) malformed, empty and truncated locks: stale with the reason that proves it, verbatim content kept', () => {
    const locks = by(208).locks
    const of = (s: string) => locks.find((l: {session: string}) => l.session === s)
    expect(of('malformed-empty')).toMatchObject({verdict: 'stale', reasons: ['unreadable'], raw: ''})
    expect(of('malformed-truncated')).toMatchObject({verdict: 'stale', reasons: ['unreadable'], raw: '{\n  "pid": 47'})
    expect(of('malformed-missing-pid')).toMatchObject({verdict: 'stale', reasons: ['missing-pid']})
    const inv = of('malformed-invalid-createdAt')
    expect(inv.pid).toBe(7)
    // pid 7 is usually the gateway (alive, with another starttime than the lock's 99: recycled-pid); runc
    // sometimes gives the gateway 6 or 8, and then no process 7 exists (dead-pid). Both prove no owner.
    expect(inv).toMatchObject({verdict: 'stale'})
    expect(inv.reasons).toContain(inv.evidence.process.exists ? 'recycled-pid' : 'dead-pid')
  })

  it('healthy instances, also one with 10,000 transcripts, show no locks and are ok', () => {
    for (const id of [209, 210]) expect(by(id)).toMatchObject({state: 'running', health: 'healthy', locks: [], ok: true, worst: null})
  })

  it('process evidence read from the host /proc (local engine) is the same as from an exec in each container', async () => {
    const viaExec = configVariant(lab, 'fleet.exec-probe.yml', (y) => withLocks(y, {maxHold: '8s', orphanAfter: '3s', probe: 'exec'}))
    const again = JSON.parse((await fleetIn(lab, ['status', '--json'], {config})).stdout)
    const exec = JSON.parse((await fleetIn(lab, ['status', '--json'], {config: viaExec})).stdout)
    // Exec clients on this host are seen only with the host view (the exec probe reports null: not seen).
    const noClients = (p: any) => (p.turn ? {...p, turn: {...p.turn, clients: 'n/a'}} : p)
    const evidence = (d: any) =>
      d.instances.flatMap((i: any) =>
        i.locks
          .filter((l: any) => l.evidence.process)
          .map((l: any) => ({path: l.path, verdict: l.verdict, reasons: l.reasons, process: noClients(l.evidence.process), source: l.evidence.processSource})),
      )
    const host = evidence(again)
    // Probed locks: 201 (dead), 202 (orphan), 203 (frozen main), 204 (recycled pid), 208 (pid 7).
    expect(host.length).toBeGreaterThanOrEqual(5)
    expect(new Set(host.map((e: any) => e.source))).toEqual(new Set(['host-proc']))
    expect(new Set(evidence(exec).map((e: any) => e.source))).toEqual(new Set(['exec']))
    // The verdicts agree everywhere. The evidence agrees exactly for every lock held by a lasting process; pid 7
    // of oc208's lock may be a short-lived exec (a healthcheck, or the exec probe itself) in one run and gone
    // in the other: recycled-pid or dead-pid, stale either way.
    const transient = (e: any) => e.path.includes('oc208')
    expect(host.map((e: any) => [e.path, e.verdict])).toEqual(evidence(exec).map((e: any) => [e.path, e.verdict]))
    expect(host.filter((e: any) => !transient(e)).map(({source: _source, ...rest}: any) => rest)).toEqual(
      evidence(exec)
        .filter((e: any) => !transient(e))
        .map(({source: _source, ...rest}: any) => rest),
    )
  })

  it('exit 0 when only healthy instances are selected', async () => {
    const r = await fleetIn(lab, ['status', '--instances', '209,210'], {config})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/oc209\s+openclaw-openclaw-gateway-209-1\s+ready \(healthy\)/)
  })

  it('--locks prints one row per lock with pid, verdict and reasons', async () => {
    const r = await fleetIn(lab, ['status', '--instances', '201,208', '--locks'], {config})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`oc201\\s+session\\s+main\\s+\\S+\\s+${injected.a.pid}\\s+\\S+\\s+stale\\s+dead-pid`))
    expect(r.stdout.match(/^oc208 /gm)?.length).toBe(5) // one instance row + four lock rows
  })

  it('a group on an unreachable Docker host: its instances are unreachable (exit 3), the others are judged', async () => {
    const split = configVariant(lab, 'fleet.split.yml', (y) => {
      const doc = YAML.parse(y)
      const last = Object.keys(doc.groups).at(-1) as string
      doc.groups[last].docker = {host: 'unix:///nonexistent/docker.sock', timeout: '3s'}
      return YAML.stringify(doc)
    })
    const r = await fleetIn(lab, ['status', '--json', '--instances', '201,209,210'], {config: split})
    expect(r.exitCode).toBe(3)
    const d = JSON.parse(r.stdout)
    expect(d.unreachable).toEqual(['unix:///nonexistent/docker.sock'])
    const state = Object.fromEntries(d.instances.map((i: {name: string; state: string}) => [i.name, i.state]))
    expect(state).toEqual({oc201: 'running', oc209: 'running', oc210: 'unreachable'})
    expect(d.instances[0].locks[0].verdict).toBe('stale')
    const ping = await fleetIn(lab, ['ping', '--json', '--instances', '209,210'], {config: split})
    expect(ping.exitCode).toBe(3)
    expect(JSON.parse(ping.stdout).results.map((x: {failure: string | null}) => x.failure)).toEqual([null, 'host-unreachable'])
  })

  it('Docker unreachable: exit 3 with the host named', async () => {
    const r = await fleet(['status', '--config', config], {env: {DOCKER_HOST: 'unix:///nonexistent/docker.sock'}})
    expect(r.exitCode).toBe(3)
    expect(r.stderr).toContain('unix:///nonexistent/docker.sock')
  })

  it("a lock held by a process nsenter'd into the container (its PID namespace, not its cgroup) is seen alive, never stale", async () => {
    const c = containerName(209)
    const {stdout} = await execa('docker', ['inspect', '-f', '{{.State.Pid}}|{{json .Config.Env}}', c])
    const [statePid, envJson] = stdout.split('|')
    const env = JSON.parse(envJson) as string[]
    const dir = sessionsDir(lab, 209)
    const before = new Set(readdirSync(dir))
    // As an operator would: nsenter into the gateway's mount and PID namespaces, from this host's cgroup.
    const holder = execa(
      'nsenter',
      [
        '-t',
        statePid,
        '-m',
        '-p',
        '--wd=/',
        '--',
        '/bin/busybox',
        'env',
        '-i',
        ...env,
        'OPENCLAW_LAB_HOLD_MS=600000',
        'openclaw',
        'agent',
        '--local',
        '--agent',
        'main',
        '--message',
        'held via nsenter',
        '--json',
      ],
      {reject: false},
    )
    let pid: number | undefined
    try {
      let lockName: string | undefined
      for (let i = 0; i < 100 && !lockName; i++) {
        lockName = readdirSync(dir).find((n) => n.endsWith('.jsonl.lock') && !before.has(n))
        if (!lockName) await sleep(100)
      }
      expect(lockName).toBeDefined()
      pid = JSON.parse(readFileSync(path.join(dir, lockName!), 'utf8')).pid as number
      const d = JSON.parse((await fleetIn(lab, ['status', '--json', '--instances', '209'], {config})).stdout)
      const l = d.instances[0].locks.find((x: {path: string}) => x.path.endsWith(lockName!))
      expect(l.evidence.process).toMatchObject({pid, exists: true, isAgent: true})
      expect(l.evidence.processSource).toBe('host-proc') // root reads the namespace link: placed without an exec
      expect(['live', 'orphan']).toContain(l.verdict)
    } finally {
      // nsenter's child is in the container's namespace: end it there.
      if (pid !== undefined) await execa('docker', ['exec', '-u', '0', c, 'kill', '-KILL', String(pid)], {reject: false})
      holder.kill('SIGKILL')
      await holder
      for (const n of readdirSync(dir)) if (n.endsWith('.lock') && !before.has(n)) rmSync(path.join(dir, n), {force: true})
    }
  })
})

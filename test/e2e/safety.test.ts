// The first rule on the real engine: never end or delete what may still be alive.
// - A turn whose docker exec client stays attached survives status, heal and watch, however long it holds.
// - A turn is ended only on evidence: past its --timeout + locks.deadlineMargin; fleet's own turn whose fleet
//   run was SIGKILLed; with execClients: this-host, no local exec client left. Each signal is shown with a
//   client that is killed and one that stays attached.
// - What the engine does NOT tell: exec inspect still says Running after the client is SIGKILLed.
// - A paused container's live lock is unknown and left alone by heal and watch (exit 1).
// - Label-found containers are pinged and healed as found; read-only mounts are no conflict; a sessions dir
//   fleet cannot list is not ok; control characters in file names are escaped.
import Docker from 'dockerode'
import {execa, type ResultPromise} from 'execa'
import {existsSync, readFileSync, rmSync, writeFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {waitFor} from '../../lab/run.mjs'
import {BIN} from '../helpers/cli.js'
import {configVariant, containerName, dataSnapshot, fleetIn, fleetJson, labDown, labUp, sessionsDir, sleep, type Lab} from './helpers.js'

let lab: Lab
let thisHost: string
const lockOf = (doc: any, id: number) => doc.instances.find((i: any) => i.id === id).locks.filter((l: any) => l.session !== 'sessions.json')
const alive = async (container: string, pid: number) =>
  (await execa('docker', ['exec', container, 'test', '-d', `/proc/${pid}`], {reject: false})).exitCode === 0

beforeAll(async () => {
  lab = await labUp(611, 5)
  // The lab's config: orphanAfter 5s, deadlineMargin 4s. this-host: every exec client runs on this host.
  thisHost = configVariant(lab, 'fleet.this-host.yml', (y) => y.replace(/^locks:\n/m, 'locks:\n  execClients: this-host\n'))
  // fleet's own exec'd turn (its marker, its run) is what these cases judge: the ping runs embedded by setting
  // (ping.command with --local), as the runbook's did; the default goes through the gateway, which holds the lock then.
  const base = readFileSync(lab.configFile, 'utf8').replace(/^ {2}command: auto +# through the gateway.*$/m, '  command: [openclaw, agent, --local]')
  writeFileSync(lab.configFile, `${base}heal:\n  incidentDir: incidents\n  waitTimeout: 60s\n`)
}, 600_000)

afterAll(() => labDown(lab), 300_000)

describe('a turn with its client attached is never ended', () => {
  it('survives status, heal and watch past orphanAfter and maxHold-like ages, then answers', async () => {
    const t = await faults.attachedTurn(611, {root: lab.root, holdMs: 40_000, timeout: 600})
    await sleep(6_000) // past orphanAfter (5s)
    const {r, doc} = await fleetJson(lab, ['status', '--instances', '611'])
    const [l] = lockOf(doc, 611)
    expect(l).toMatchObject({pid: t.lock.pid, verdict: 'live'})
    expect(l.reasons).toContain('long-hold')
    // The evidence follows the real tree: openclaw-agent (the holder) under `openclaw agent --timeout 600` (PPID 0).
    expect(l.evidence.process).toMatchObject({cmdline: ['openclaw-agent'], isAgent: true, isMain: false})
    expect(l.evidence.process.turn.execRoot.cmdline).toEqual(expect.arrayContaining(['agent', '--timeout', '600']))
    expect(l.evidence.process.turn.timeoutSec).toBe(600)
    // The attached host client is seen (host /proc evidence).
    expect(l.evidence.process.turn.clients.length).toBeGreaterThan(0)
    expect(r.exitCode).toBe(0)
    // With execClients: this-host the attached client keeps it live too.
    const local = await fleetJson(lab, ['status', '--instances', '611'], {config: thisHost})
    expect(lockOf(local.doc, 611)[0].verdict).toBe('live')

    const heal = await fleetJson(lab, ['heal', '--instances', '611'])
    const inst = heal.doc.instances[0]
    expect(inst.actions.filter((a: any) => a.type === 'end-holder' || a.type === 'delete-lock')).toEqual([])
    expect(inst.restarted).toBe(false)
    expect(existsSync(t.session.hostLockPath)).toBe(true)

    const events = path.join(lab.root, 'safety-watch.jsonl')
    const w = await execa(
      'node',
      [BIN, 'watch', '--config', lab.configFile, '--instances', '611', '--interval', '1s', '--scans', '3', '--no-ping', '--events', events],
      {
        reject: false,
        env: {CI: 'true'},
        stdin: 'ignore',
        timeout: 120_000,
      },
    )
    expect(w.exitCode).toBe(0)
    const kinds = readFileSync(events, 'utf8')
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x).event)
    expect(kinds).not.toContain('holder-ended')
    expect(kinds).not.toContain('lock-cleared')

    const done = await t.holder.exited
    expect(done.code).toBe(0)
    expect(JSON.parse(done.stdout).payloads[0].text).toBe('echo: lab: holding the session lock')
    expect(existsSync(t.session.hostLockPath)).toBe(false)
  })
})

describe('a turn whose client is gone is ended only on evidence', () => {
  it('past its own --timeout + deadlineMargin: live until then, orphan after, ended by heal', async () => {
    const f = await faults.orphan(612, {root: lab.root}) // --timeout 1, client SIGKILLed
    const created = Date.parse(f.lock.createdAt)
    const early = await fleetJson(lab, ['status', '--instances', '612'])
    const e = lockOf(early.doc, 612)[0]
    if (Date.now() - created < 4_500) expect(e.verdict).toBe('live')
    const seen = await waitFor(
      async () => {
        const {doc} = await fleetJson(lab, ['status', '--instances', '612'])
        const l = lockOf(doc, 612)[0]
        return l?.verdict === 'orphan' ? {l, at: Date.now()} : null
      },
      {what: 'the orphan verdict', timeoutMs: 60_000, intervalMs: 200},
    )
    expect(seen.l.reasons).toEqual(expect.arrayContaining(['agent-process', 'past-deadline']))
    // 1 s (--timeout) + 4 s (deadlineMargin): never before, and soon after.
    expect(seen.at - created).toBeGreaterThanOrEqual(5_000)
    const heal = await fleetJson(lab, ['heal', '--instances', '612'])
    expect(heal.r.exitCode).toBe(0)
    expect(heal.doc.instances[0].actions.find((a: any) => a.type === 'end-holder').outcome).toMatch(/terminated|killed/)
    expect(await alive(f.container, f.pid)).toBe(false)
    expect(existsSync(f.hostLockPath)).toBe(false)
  })

  it('execClients: this-host: no exec client left is client-gone after orphanAfter; the engine itself still says Running', async () => {
    const t = await faults.attachedTurn(613, {root: lab.root, holdMs: 3_600_000, timeout: 600})
    const docker = new Docker()
    const before = await docker.getContainer(t.container).inspect()
    t.holder.child.kill('SIGKILL')
    await t.holder.exited
    // What the engine tells after the client died: nothing. The exec is still Running with its pid.
    const execs = await Promise.all((before.ExecIDs ?? []).map((id: string) => docker.getExec(id).inspect()))
    expect(execs.some((x: any) => x.Running && x.ProcessConfig.arguments.includes('--timeout'))).toBe(true)
    await sleep(5_500) // past orphanAfter
    const anywhere = await fleetJson(lab, ['status', '--instances', '613'])
    expect(lockOf(anywhere.doc, 613)[0]).toMatchObject({verdict: 'live'})
    expect(lockOf(anywhere.doc, 613)[0].evidence.process.turn.clients).toEqual([])
    const local = await fleetJson(lab, ['status', '--instances', '613'], {config: thisHost})
    const l = lockOf(local.doc, 613)[0]
    expect(l.verdict).toBe('orphan')
    expect(l.reasons).toEqual(expect.arrayContaining(['agent-process', 'client-gone']))
    const heal = await fleetJson(lab, ['heal', '--instances', '613'], {config: thisHost})
    expect(heal.doc.instances[0].actions.find((a: any) => a.type === 'end-holder').outcome).toMatch(/terminated|killed/)
    expect(await alive(t.container, t.lock.pid)).toBe(false)
  })

  it("fleet's own ping is live while its fleet run lives, and client-gone once that run is SIGKILLed", async () => {
    await faults.setControl(614, 'slow-ms', 60_000, {root: lab.root})
    const ping: ResultPromise = execa('node', [BIN, 'ping', '--config', lab.configFile, '--instances', '614', '--timeout', '90s', '--json'], {
      reject: false,
      env: {CI: 'true'},
      stdin: 'ignore',
    })
    try {
      const live = await waitFor(
        async () => {
          const {doc} = await fleetJson(lab, ['status', '--instances', '614'])
          return lockOf(doc, 614).find((x: any) => x.verdict === 'live' && x.reasons.includes('fleet-exec'))
        },
        {what: 'the ping to hold its lock', timeoutMs: 60_000, intervalMs: 200},
      )
      expect(live.evidence.process.turn.fleet.ownerAlive).toBe(true)
      // Even with this-host (no docker CLI client: fleet talks to the API) it is fleet's own, alive: live.
      const local = await fleetJson(lab, ['status', '--instances', '614'], {config: thisHost})
      expect(lockOf(local.doc, 614)[0].verdict).toBe('live')
      ping.kill('SIGKILL')
      await ping
      const {doc} = await fleetJson(lab, ['status', '--instances', '614'])
      const l = lockOf(doc, 614)[0]
      expect(l).toMatchObject({pid: live.pid, verdict: 'orphan'})
      expect(l.reasons).toContain('client-gone')
      const heal = await fleetJson(lab, ['heal', '--instances', '614', '--no-restart'])
      expect(heal.doc.instances[0].actions.find((a: any) => a.type === 'end-holder').outcome).toMatch(/terminated|killed/)
      expect(await alive(containerName(614), live.pid)).toBe(false)
    } finally {
      ping.kill('SIGKILL')
      await faults.setControl(614, 'slow-ms', null, {root: lab.root})
    }
  })
})

describe('status agrees with ping', () => {
  it('a lock held by a stopped (SIGSTOPped) turn, before any threshold: live, stopped, and the instance is not ok', async () => {
    const t = await faults.attachedTurn(612, {root: lab.root, holdMs: 60_000, timeout: 600})
    try {
      await execa('docker', ['exec', '-u', '0', t.container, 'kill', '-STOP', String(t.lock.pid)])
      const {r, doc} = await fleetJson(lab, ['status', '--instances', '612'])
      const l = lockOf(doc, 612)[0]
      expect(l).toMatchObject({verdict: 'live'})
      expect(l.reasons).toContain('stopped')
      expect(doc.instances[0].ok).toBe(false)
      expect(r.exitCode).toBe(1)
    } finally {
      // Resumed and terminated, the turn releases its lock (OpenClaw's SIGTERM handler) and the client returns.
      await execa('docker', ['exec', '-u', '0', t.container, 'kill', '-CONT', String(t.lock.pid)], {reject: false})
      await execa('docker', ['exec', '-u', '0', t.container, 'kill', '-TERM', String(t.lock.pid)], {reject: false})
      await t.holder.exited
      expect(existsSync(t.session.hostLockPath)).toBe(false)
    }
  })
})

describe('a paused container', () => {
  it('its live lock is unknown; heal and watch leave it alone and say why; exit 1', async () => {
    const f = await faults.paused(615, {root: lab.root})
    try {
      const raw = readFileSync(f.hostLockPath, 'utf8')
      const {r, doc} = await fleetJson(lab, ['status', '--instances', '615'])
      expect(r.exitCode).toBe(1)
      expect(doc.instances[0]).toMatchObject({state: 'paused', ok: false})
      expect(lockOf(doc, 615)[0]).toMatchObject({verdict: 'unknown', reasons: ['container-paused']})
      const heal = await fleetIn(lab, ['heal', '--instances', '615', '--no-restart'])
      expect(heal.exitCode).toBe(1)
      expect(`${heal.stdout}\n${heal.stderr}`).toContain('paused')
      expect(readFileSync(f.hostLockPath, 'utf8')).toBe(raw)
      const healed = await fleetJson(lab, ['heal', '--instances', '615'])
      expect(healed.doc.instances[0].restarted).toBe(false)
      const events = path.join(lab.root, 'paused-watch.jsonl')
      const w = await execa(
        'node',
        [BIN, 'watch', '--config', lab.configFile, '--instances', '615', '--interval', '1s', '--scans', '2', '--no-ping', '--auto-restart', '--events', events],
        {
          reject: false,
          env: {CI: 'true'},
          stdin: 'ignore',
          timeout: 120_000,
        },
      )
      expect(w.exitCode).toBe(0)
      const ev = readFileSync(events, 'utf8')
        .trim()
        .split('\n')
        .map((x) => JSON.parse(x))
      expect(ev.filter((e) => e.event === 'alert' && e.reason === 'paused')).toHaveLength(1)
      expect(ev.map((e) => e.event)).not.toEqual(expect.arrayContaining(['lock-cleared', 'restart']))
      expect(readFileSync(f.hostLockPath, 'utf8')).toBe(raw)
    } finally {
      await execa('docker', ['unpause', f.container], {reject: false})
    }
    // Unpaused, the gateway's turn is still there and held by a live process: live, or hung once the test outlasted the
    // lab's maxHold (20 s; it does under load), never stale or orphan.
    const {doc} = await fleetJson(lab, ['status', '--instances', '615'])
    expect(['live', 'hung']).toContain(lockOf(doc, 615)[0].verdict)
  })
})

describe('smaller holes', () => {
  it('a container found by compose labels is pinged and healed as found (no needless restart)', async () => {
    const cfg = configVariant(lab, 'fleet.labels.yml', (y) => y.replace(/^container: .*$/m, 'container: not-the-name-{id}'))
    const ping = await fleetJson(lab, ['ping', '--instances', '611'], {config: cfg})
    expect(ping.r.exitCode).toBe(0)
    expect(ping.doc.results[0]).toMatchObject({ok: true, container: containerName(611)})
    const heal = await fleetJson(lab, ['heal', '--instances', '611', '--probe'], {config: cfg})
    expect(heal.r.exitCode).toBe(0)
    expect(heal.doc.instances[0]).toMatchObject({container: containerName(611), restarted: false, healed: true})
  })

  it('a read-only mount of a sessions dir is reported, not a conflict', async () => {
    await faults.sharedSessions(612, {root: lab.root, other: 611, readOnly: true})
    const {r, doc} = await fleetJson(lab, ['status', '--instances', '611,612'])
    const i611 = doc.instances.find((i: any) => i.id === 611)
    expect(i611.sharedWith).toEqual([])
    expect(i611.readOnlyMounts).toEqual([containerName(612)])
    expect(i611.counts.conflict).toBe(0)
    expect(r.exitCode).toBe(0)
  })

  it('a sessions dir fleet cannot list is not ok (exit 1), and says what could not be read', async () => {
    const ghost = path.join(lab.root, 'data', 'oc611', 'config', 'agents', 'ghost')
    mkdirSync(ghost, {recursive: true})
    writeFileSync(path.join(ghost, 'sessions'), 'not a dir')
    try {
      const cfg = configVariant(lab, 'fleet.ghost.yml', (y) => y.replace(/^agents: .*$/m, 'agents: [main, ghost]'))
      const {r, doc} = await fleetJson(lab, ['status', '--instances', '611'], {config: cfg})
      expect(r.exitCode).toBe(1)
      expect(doc.instances[0].ok).toBe(false)
      expect(doc.instances[0].unlisted).toEqual([path.join(ghost, 'sessions')])
      const text = await fleetIn(lab, ['status', '--instances', '611'], {config: cfg})
      expect(text.stdout).toContain('cannot list')
      expect(text.stdout).toContain('0/1 ok')
    } finally {
      rmSync(ghost, {recursive: true, force: true})
    }
  })

  it('control characters in a lock file name are escaped in tables', async () => {
    const name = 'x\u001b[2J\nOC99 running ok.jsonl.lock'
    const file = path.join(sessionsDir(lab, 611), name)
    writeFileSync(file, '{"pid": 999999, "createdAt": "2026-01-01T00:00:00.000Z"}')
    try {
      const r = await fleetIn(lab, ['status', '--instances', '611', '--locks'])
      expect(r.stdout).not.toContain('\u001b')
      expect(r.stdout).toContain('\\x1b[2J\\nOC99 running ok')
    } finally {
      rmSync(file, {force: true})
    }
  })

  it('two runs on one instance never run at once, whatever config names it; a watch holder is named', async () => {
    const copy = path.join(lab.root, 'copy-of-fleet.config.yml')
    writeFileSync(copy, readFileSync(lab.configFile, 'utf8')) // the same fleet through another config path
    const events = path.join(lab.root, 'lock-watch.jsonl')
    const w: ResultPromise = execa('node', [BIN, 'watch', '--config', copy, '--instances', '612', '--interval', '2s', '--no-ping', '--events', events], {
      reject: false,
      env: {CI: 'true'},
      stdin: 'ignore',
    })
    try {
      await waitFor(() => existsSync(events) && readFileSync(events, 'utf8').includes('watch-start'), {
        what: 'the watch to start',
        timeoutMs: 60_000,
        intervalMs: 200,
      })
      const heal = await fleetIn(lab, ['heal', '--instances', '611-612'])
      expect(heal.exitCode).toBe(1)
      const text = `${heal.stdout}\n${heal.stderr}`
      expect(text).toContain('fleet watch')
      expect(text).not.toContain('wait for it to finish')
      // An instance the watch does not hold is free.
      const other = await fleetIn(lab, ['heal', '--instances', '611'])
      expect(other.exitCode).toBe(0)
    } finally {
      w.kill('SIGTERM')
      await w
    }
  })

  it('checks come before changes: a missing composeFile is exit 2, and a stopped instance keeps its lock', async () => {
    const f = await faults.stoppedWithLock(613, {root: lab.root})
    try {
      const broken = configVariant(lab, 'fleet.broken.yml', (y) => y.replace(/composeFile: (\S+)/g, 'composeFile: missing-compose.yml'))
      const mine = (m: Map<string, string>) => [...m].filter(([p]) => p.includes(`${path.sep}oc613${path.sep}`))
      const before = mine(dataSnapshot(lab))
      const r = await fleetIn(lab, ['heal', '--instances', '613'], {config: broken})
      expect(r.exitCode).toBe(2)
      expect(`${r.stdout}${r.stderr}`).toMatch(/composeFile/)
      expect(existsSync(f.hostLockPath)).toBe(true)
      expect(mine(dataSnapshot(lab))).toEqual(before)
    } finally {
      await execa('docker', ['start', containerName(613)], {reject: false})
    }
  })
})

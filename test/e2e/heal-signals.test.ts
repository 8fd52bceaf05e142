// fleet heal interrupted: SIGINT as it starts to act, SIGTERM during the restart wait, the Docker socket gone
// mid-heal; and one writer per instance across operators (a heal under another XDG_STATE_HOME than a watch's gets
// BUSY). Lab range 1341-1349 only.
import {execa, type ResultPromise} from 'execa'
import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import {createConnection, createServer, type Server, type Socket} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {BIN, fleet} from '../helpers/cli.js'
import {configVariant, containerFacts, containerName, labDown, labUp, lockFiles, processesIn, sessionsDir, sleep, withLocks, type Lab} from './helpers.js'

let lab: Lab
let config: string
let incidents: string

let composeCmd: string[]

beforeAll(async () => {
  lab = await labUp(1341, 3)
  composeCmd = (await execa('docker', ['compose', 'version'], {reject: false})).exitCode === 0 ? ['docker', 'compose'] : ['docker-compose']
  incidents = path.join(lab.root, 'incidents')
  // compose.command named: its detection (`docker compose version`, then `docker-compose version`, 10 s each) fails
  // on a loaded host, and the restart with it.
  const compose = (y: string) => y.replace(/^compose:\n {2}command: auto$/m, `compose:\n  command: ${JSON.stringify(composeCmd)}`)
  config = configVariant(
    lab,
    'fleet.signals.yml',
    (y) => `${withLocks(compose(y), {maxHold: '5s', orphanAfter: '3s'})}heal:\n  incidentDir: incidents\n  waitTimeout: 90s\n  termGrace: 3s\n`,
  )
}, 600_000)

afterAll(() => labDown(lab), 300_000)

const readText = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '')

/** The incident log of the one run started after `earlier`, as events ('' while it has none). */
function newRun(earlier: Set<string>): {dir: string | null; events: any[]} {
  const dir = existsSync(incidents) ? readdirSync(incidents).find((r) => !earlier.has(r)) : undefined
  if (!dir) return {dir: null, events: []}
  const text = readText(path.join(incidents, dir, 'incident.jsonl'))
  const events = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l)]
      } catch {
        return []
      }
    })
  return {dir, events}
}

const runs = () => new Set(existsSync(incidents) ? readdirSync(incidents) : [])

/** Starts `fleet heal` as a child (plain lines, no TTY) and resolves once `until` holds on its incident log (or it ended). */
async function healUntil(
  args: string[],
  until: (events: any[]) => boolean,
  env: Record<string, string> = {},
): Promise<{child: ResultPromise; earlier: Set<string>}> {
  const earlier = runs()
  const child = execa('node', [BIN, 'heal', ...args, '--config', config], {reject: false, env: {CI: 'true', NO_COLOR: '1', ...env}, cwd: lab.root})
  for (let i = 0; i < 6000 && child.exitCode === null && !until(newRun(earlier).events); i++) await sleep(10)
  return {child, earlier}
}

/** Every intent has its result after it (same instance, action, target). */
function expectEveryIntentAnswered(events: any[]): void {
  const intents = events.filter((e) => e.event === 'intent')
  const actions = events.filter((e) => e.event === 'action')
  expect(intents.length).toBeGreaterThan(0)
  for (const i of intents) {
    const at = events.indexOf(i)
    expect(
      actions.some((a) => events.indexOf(a) > at && a.instance === i.instance && a.type === i.action && a.target === i.target),
      `no result for ${JSON.stringify(i)}`,
    ).toBe(true)
  }
}

async function noStoppedProcess(id: number): Promise<void> {
  const procs = await processesIn(containerName(id))
  expect(
    procs.filter((p) => p.state === 'T' || p.state === 't'),
    `stopped processes in oc${id}`,
  ).toEqual([])
}

const sideFiles = (id: number) => readdirSync(sessionsDir(lab, id)).filter((n) => n.includes('.fleet-removing-'))

async function listed(runDir: string): Promise<any> {
  // --dir and no config: the incidents commands read the dir alone.
  const r = await fleet(['incidents', 'list', '--dir', incidents, '--json'], {cwd: os.tmpdir()})
  expect(r.exitCode, r.stderr).toBe(0)
  return JSON.parse(r.stdout).runs.find((x: any) => x.dir.endsWith(runDir))
}

describe('fleet heal interrupted', () => {
  it('SIGINT as it starts to act: the action in flight finishes, nothing new starts, run-end interrupted, exit 130, a true list', async () => {
    await faults.orphan(1341, {root: lab.root})
    await faults.deadPid(1342, {root: lab.root})
    await faults.malformedLocks(1342, {root: lab.root})
    await sleep(5_500) // the orphan past its --timeout 1 + deadlineMargin; the malformed locks past their 5 s grace
    // One instance at a time, so that what is left is certain: the signal comes with the first intent.
    const {child, earlier} = await healUntil(['--instances', '1341,1342', '--concurrency', '1', '--no-restart'], (ev) => ev.some((e) => e.event === 'intent'))
    child.kill('SIGINT')
    const r = await child
    const {dir, events} = newRun(earlier)
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(130)
    expect(dir).not.toBeNull()
    expectEveryIntentAnswered(events)
    const end = events.at(-1)
    expect(end).toMatchObject({event: 'run-end', interrupted: 'SIGINT'})
    // Not everything was done: the second instance (or the rest of the first) is named as not done.
    const notDone = end.results.flatMap((x: any) => x.notDone)
    expect(notDone.length).toBeGreaterThan(0)
    expect(r.stdout).toContain('heal INTERRUPTED by SIGINT')
    expect(r.stdout).toMatch(/not done: /)
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/exit 127|✖ restart/)
    // Every instance line ends red: interrupted is not healed.
    expect(`${r.stdout}\n${r.stderr}`).toMatch(/✖ oc1341: result.*not healed: interrupted by SIGINT/)
    expect(`${r.stdout}\n${r.stderr}`).not.toMatch(/✔ oc134\d \(/)
    for (const id of [1341, 1342]) {
      await noStoppedProcess(id)
      expect(sideFiles(id)).toEqual([])
    }
    const ended = events.filter((e) => e.event === 'action' && e.type === 'end-holder' && /terminated|killed/.test(e.outcome)).length
    const removed = events.filter((e) => e.event === 'action' && e.type === 'delete-lock' && e.outcome === 'removed').length
    expect(ended + removed).toBeGreaterThan(0)
    expect(end.done).toMatchObject({holdersEnded: ended, locksRemoved: removed})
    expect(await listed(dir as string)).toMatchObject({interrupted: 'SIGINT', holdersEnded: ended, locksRemoved: removed, unfinished: 0, complete: true})
    const text = await fleet(['incidents', 'list', '--dir', incidents], {cwd: os.tmpdir()})
    expect(text.stdout).toContain('interrupted (SIGINT)')
    const report = await fleet(['incidents', 'report', (dir as string).slice(-8), '--dir', incidents], {cwd: os.tmpdir()})
    expect(report.exitCode, report.stderr).toBe(0)
    expect(report.stdout).toContain('interrupted by SIGINT')
    expect(report.stdout).toContain('not done: ')

    // The next heal finishes the job (its ping's verdict is not the point here: on a loaded host a turn can time out).
    const again = await fleet(['heal', '--instances', '1341,1342', '--no-restart', '--config', config], {cwd: lab.root})
    for (const id of [1341, 1342]) expect(lockFiles(lab, id), again.stdout).toEqual([])
  }, 300_000)

  it('SIGTERM during the restart wait: the frozen holder was resumed and restarted, the wait ends, run-end interrupted, exit 143', async () => {
    const frozenAt = Date.now()
    const injected = await faults.frozen(1343, {root: lab.root})
    await sleep(Math.max(0, 6_500 - (Date.now() - frozenAt))) // past maxHold 5s: hung
    const before = await containerFacts([containerName(1343)])
    const {child, earlier} = await healUntil(['--instances', '1343'], (ev) => ev.some((e) => e.event === 'action' && e.type === 'restart'))
    child.kill('SIGTERM')
    const r = await child
    const {dir, events} = newRun(earlier)
    expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(143)
    expectEveryIntentAnswered(events)
    const actions = events.filter((e) => e.event === 'action')
    // The SIGCONT is recorded with its result (on a loaded host its exec may time out: then `failed`, still recorded).
    expect(actions).toContainEqual(
      expect.objectContaining({type: 'continue', target: `pid ${injected.gatewayPid}`, outcome: expect.stringMatching(/^(continued|failed)$/)}),
    )
    expect(actions).toContainEqual(expect.objectContaining({type: 'restart', outcome: 'done'}))
    const end = events.at(-1)
    expect(end).toMatchObject({event: 'run-end', interrupted: 'SIGTERM'})
    // A wait that was cut short is said so: interrupted, not a timeout; then no ping.
    const wait = actions.find((a) => a.type === 'wait')
    if (wait) expect(wait.outcome).toMatch(/interrupted|healthy/)
    expect(end.results[0].notDone).toContain('ping')
    const after = await containerFacts([containerName(1343)])
    expect(Date.parse(after[containerName(1343)].startedAt)).toBeGreaterThan(Date.parse(before[containerName(1343)].startedAt))
    await noStoppedProcess(1343)
    expect(await listed(dir as string)).toMatchObject({interrupted: 'SIGTERM', restarts: 1, unfinished: 0})
  }, 300_000)

  it('the Docker socket gone mid-heal: what was done is recorded, run-end written, exit 3', async () => {
    await faults.deadPid(1341, {root: lab.root})
    await faults.malformedLocks(1341, {root: lab.root})
    await sleep(5_500)
    // fleet reaches the engine through a proxy socket that is closed (and its connections cut) at the first intent.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'fleet-proxy-'))
    const sock = path.join(tmp, 'docker.sock')
    const open = new Set<Socket>()
    const proxy: Server = createServer((c) => {
      const up = createConnection('/var/run/docker.sock')
      open.add(c).add(up)
      c.pipe(up).pipe(c)
      const drop = () => {
        c.destroy()
        up.destroy()
      }
      c.on('error', drop).on('close', drop)
      up.on('error', drop).on('close', drop)
    })
    await new Promise<void>((r) => proxy.listen(sock, r))
    let closed = false
    try {
      const {child, earlier} = await healUntil(['--instances', '1341', '--no-restart'], (ev) => ev.some((e) => e.event === 'intent'), {
        DOCKER_HOST: `unix://${sock}`,
      })
      proxy.close()
      for (const s of open) s.destroy()
      closed = true
      const r = await child
      const {events} = newRun(earlier)
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(3)
      expectEveryIntentAnswered(events)
      expect(events.at(-1)).toMatchObject({event: 'run-end', interrupted: null})
      expect(events.at(-1).unreachable).toEqual(expect.any(String))
      expect(sideFiles(1341)).toEqual([])
    } finally {
      if (!closed) proxy.close()
    }
    // Back on the engine itself: the next heal finishes the job.
    const again = await fleet(['heal', '--instances', '1341', '--no-restart', '--config', config], {cwd: lab.root})
    expect(lockFiles(lab, 1341), again.stdout).toEqual([])
    expect(sideFiles(1341)).toEqual([])
  }, 300_000)
})

describe('one writer per instance across operators', () => {
  it('a watch holds oc1342 under one XDG_STATE_HOME; a heal under another gets BUSY naming the watch, and touches nothing', async () => {
    const states = mkdtempSync(path.join(os.tmpdir(), 'fleet-operators-'))
    const events = path.join(states, 'events.jsonl')
    const watch = execa('node', [BIN, 'watch', '--instances', '1342', '--interval', '2s', '--no-ping', '--events', events, '--config', config], {
      reject: false,
      cwd: lab.root,
      env: {CI: 'true', XDG_STATE_HOME: path.join(states, 'service-unit'), FLEET_RUN_LOCK_DIR: undefined},
    })
    try {
      for (let i = 0; i < 600 && !readText(events).includes('"event":"watch-start"'); i++) await sleep(50)
      expect(readText(events)).toContain('watch-start')
      // The watch may clear what the runs above left on oc1342 (its own incident dir): only heal runs count here.
      const heals = () => [...runs()].filter((n) => !n.includes('-watch-'))
      const before = heals()
      const heal = await fleet(['heal', '--instances', '1342', '--config', config], {
        cwd: lab.root,
        env: {XDG_STATE_HOME: path.join(states, 'operator'), FLEET_RUN_LOCK_DIR: undefined},
      })
      const err = heal.stderr.replace(/\s*\n\s*›\s*/g, ' ')
      expect(heal.exitCode, heal.stdout + heal.stderr).toBe(1)
      expect(err).toMatch(new RegExp(`fleet watch \\(pid ${watch.pid}, since \\S+, config \\S+\\) holds oc1342 \\(container ${containerName(1342)} on `))
      expect(err).toContain('stop that watch')
      expect(heals()).toEqual(before) // no incident: the heal did nothing
    } finally {
      watch.kill('SIGTERM')
    }
    expect((await watch).exitCode).toBe(0)
  }, 180_000)
})

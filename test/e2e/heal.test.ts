// fleet heal against the real engine: faults (a), (b), (c), (d), (g) and (h) across one lab, plus a live
// lock that must survive; then a shared sessions dir (e); --dry-run; and a heal killed with SIGKILL mid-run.
import {execa} from 'execa'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {BIN} from '../helpers/cli.js'
import {
  configVariant,
  containerFacts,
  containerName,
  dataSnapshot,
  fleetIn,
  fleetJson,
  labDown,
  labUp,
  lockFiles,
  sleep,
  withLocks,
  type ContainerFacts,
  type Lab,
} from './helpers.js'

const IDS = [401, 402, 403, 404, 405, 406, 407, 408]
let lab: Lab
let config: string
const injected: Record<string, any> = {}
let before: Record<string, ContainerFacts>
let transcriptsBefore: Map<string, Buffer>
let heal: {exitCode: number; doc: any; stderr: string}
let liveLock: {path: string; content: string}

function transcripts(l: Lab): Map<string, Buffer> {
  const out = new Map<string, Buffer>()
  for (const id of IDS) {
    const dir = path.join(l.root, 'data', `oc${id}`, 'config', 'agents', 'main', 'sessions')
    for (const f of readdirSync(dir)) if (f.endsWith('.jsonl')) out.set(path.join(dir, f), readFileSync(path.join(dir, f)))
  }
  return out
}

beforeAll(async () => {
  lab = await labUp(401, 8)
  const root = lab.root
  config = configVariant(
    lab,
    'fleet.heal.yml',
    (y) => `${withLocks(y, {maxHold: '20s', orphanAfter: '3s'})}heal:\n  incidentDir: incidents\n  waitTimeout: 90s\n`,
  )
  const frozenAt = Date.now()
  injected.c = await faults.frozen(403, {root})
  injected.a = await faults.deadPid(401, {root})
  injected.b = await faults.orphan(402, {root})
  injected.d = await faults.previousIncarnation(404, {root, legacy: true})
  injected.g = await faults.stoppedWithLock(405, {root})
  injected.h = await faults.malformedLocks(406, {root})
  await sleep(Math.max(6_000, 21_000 - (Date.now() - frozenAt))) // (c) held past maxHold; (h) past the 5 s grace
  // A live lock: the gateway of oc407 is in the middle of a turn on another session. It must survive.
  const {stdout} = await execa('docker', [
    'exec',
    containerName(407),
    'wget',
    '-qO-',
    '--post-data=',
    'http://127.0.0.1:18789/lab/turn?holdMs=600000&sessionId=live-chat',
  ])
  const lockPath = path.join(root, 'data', 'oc407', 'config', 'agents', 'main', 'sessions', 'live-chat.jsonl.lock')
  liveLock = {path: lockPath, content: readFileSync(lockPath, 'utf8')}
  expect(JSON.parse(stdout).ok).toBe(true)
  // Bystander transcripts: sessions no SPEED_OK turn touches must stay byte-identical.
  for (const id of IDS)
    writeFileSync(
      path.join(root, 'data', `oc${id}`, 'config', 'agents', 'main', 'sessions', 'bystander.jsonl'),
      `{"type":"message","role":"user","text":"hello ${id}"}\n`,
    )
  before = await containerFacts(IDS.map(containerName))
  transcriptsBefore = transcripts(lab)
  const r = await fleetIn(lab, ['heal', '--instances', '401-408', '--json'], {config})
  heal = {exitCode: r.exitCode, doc: JSON.parse(r.stdout), stderr: r.stderr}
}, 900_000)

afterAll(() => labDown(lab), 300_000)

const readText = (file: string) => {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

const res = (id: number) => heal.doc.instances.find((i: {id: number}) => i.id === id)

describe('fleet heal --instances 401-408 on faults a, b, c, d, g, h', () => {
  it('brings every instance to SPEED_OK and exits 0', () => {
    expect(heal.exitCode, heal.stderr).toBe(0)
    for (const id of IDS) expect(res(id), `oc${id}`).toMatchObject({healed: true, ping: {ok: true, reply: 'SPEED_OK'}})
    expect(heal.doc.ok).toBe(true)
  })

  it('restarts only what had to restart: the frozen gateway (hung) and the stopped container', async () => {
    const after = await containerFacts(IDS.map(containerName))
    expect(IDS.filter((id) => res(id).restarted)).toEqual([403, 405])
    // After a restart heal waits until the gateway itself says ready, not only until the container runs.
    for (const id of [403, 405]) expect(res(id).actions.find((a: any) => a.type === 'wait').detail).toContain('gateway ready')
    for (const id of [401, 402, 404, 406, 407, 408]) {
      const n = containerName(id)
      expect(after[n].startedAt, `${n} must not restart`).toBe(before[n].startedAt)
      expect(after[n].restartCount).toBe(before[n].restartCount)
    }
    for (const id of [403, 405]) expect(Date.parse(after[containerName(id)].startedAt)).toBeGreaterThan(Date.parse(before[containerName(id)].startedAt || '0'))
    expect(res(403).plan.restart).toBe('hung lock holder')
    // The frozen gateway was resumed before its restart, so it took the SIGTERM and released its own lock:
    // no SIGKILL at compose's stop timeout, nothing left behind for "clear leftovers".
    expect(res(403).actions).toContainEqual(
      expect.objectContaining({type: 'continue', target: `pid ${injected.c.gatewayPid}`, outcome: 'continued', detail: 'was T'}),
    )
    expect(res(403).actions.filter((a: {type: string}) => a.type === 'delete-lock')).toEqual([])
    expect(existsSync(injected.c.hostLockPath)).toBe(false)
    expect(res(405).plan.restart).toBe('container exited')
  })

  it('removed the stale locks, ended the orphan holder, and left the live lock byte-identical', () => {
    expect(res(401).actions).toContainEqual(expect.objectContaining({type: 'delete-lock', target: injected.a.hostLockPath, outcome: 'removed'}))
    expect(res(402).actions).toContainEqual(expect.objectContaining({type: 'end-holder', outcome: expect.stringMatching(/terminated|killed/)}))
    expect(res(404).actions).toContainEqual(expect.objectContaining({type: 'delete-lock', outcome: 'removed'}))
    expect(res(406).actions.filter((a: {type: string; outcome: string}) => a.type === 'delete-lock' && a.outcome === 'removed')).toHaveLength(4)
    expect(readFileSync(liveLock.path, 'utf8')).toBe(liveLock.content)
    expect(res(407).plan.untouched).toContainEqual(expect.objectContaining({path: liveLock.path, verdict: 'live'}))
    for (const id of [401, 402, 404, 405, 406]) expect(lockFiles(lab, id)).toEqual([])
  })

  it('never rewrites a transcript: every one is byte-identical or only appended to by the SPEED_OK turns', () => {
    const after = transcripts(lab)
    let identical = 0
    for (const [file, old] of transcriptsBefore) {
      const now = after.get(file)
      expect(now, file).toBeDefined()
      expect(now!.subarray(0, old.length).equals(old), `${file} was rewritten`).toBe(true)
      if (now!.equals(old)) identical++
    }
    expect(identical).toBeGreaterThanOrEqual(IDS.length) // at least every bystander
  })

  it('wrote the incident log before acting, with verbatim lock contents, and kept a copy of every removed lock', () => {
    const lines = readFileSync(heal.doc.incidentLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    const types = lines.map((l) => l.event)
    expect(types[0]).toBe('run-start')
    const firstAction = types.indexOf('action')
    expect(types.lastIndexOf('lock')).toBeLessThan(firstAction)
    const lock = lines.find((l) => l.event === 'lock' && l.path === injected.a.hostLockPath)
    expect(lock).toMatchObject({verdict: 'stale', content: expect.stringContaining(`"pid": ${injected.a.pid}`)})
    expect(existsSync(path.join(path.dirname(heal.doc.incidentLog), 'locks', 'oc401', path.basename(injected.a.hostLockPath)))).toBe(true)
    expect(types.at(-1)).toBe('run-end')
  })
})

describe('fleet heal on a shared sessions dir (e)', () => {
  it('changes nothing in the shared dir, names the containers that share it, and exits 1', async () => {
    const root = lab.root
    await faults.sharedSessions(407, {root, other: 408})
    await faults.deadPid(408, {root})
    const shared = path.join(root, 'data', 'oc408', 'config', 'agents', 'main', 'sessions')
    const snap = () => new Map([...dataSnapshot(lab)].filter(([p]) => p.startsWith(shared)))
    const beforeShared = snap()
    const {r, doc} = await fleetJson(lab, ['heal', '--instances', '407,408'], {config})
    expect(r.exitCode).toBe(1)
    expect(snap()).toEqual(beforeShared)
    expect(doc.summary.conflicts.join('\n')).toContain(containerName(407))
    expect(doc.summary.conflicts.join('\n')).toContain(containerName(408))
  })
})

describe('fleet heal --dry-run and a heal killed mid-run', () => {
  it('--dry-run prints the plan and changes nothing', async () => {
    const root = lab.root
    await faults.deadPid(401, {root})
    await faults.malformedLocks(406, {root})
    await sleep(5_500)
    const data = dataSnapshot(lab)
    const facts = await containerFacts([401, 406].map(containerName))
    const r = await fleetIn(lab, ['heal', '--instances', '401,406', '--dry-run'], {config})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain('DRY RUN')
    expect(r.stdout).toMatch(/delete lock .*malformed-empty\.jsonl\.lock \(stale: unreadable\)/)
    expect(dataSnapshot(lab)).toEqual(data)
    expect(await containerFacts([401, 406].map(containerName))).toEqual(facts)
  })

  it('a heal killed with SIGKILL mid-run, run again, completes the job', async () => {
    await faults.orphan(402, {root: lab.root})
    await sleep(5_500) // past its --timeout 1 + the lab's deadlineMargin 4s: an orphan

    // The first run is killed once it logged its first intent: after judging, as it starts to act.
    const incidents = path.join(lab.root, 'incidents') // heal.incidentDir of this config
    const earlier = new Set(existsSync(incidents) ? readdirSync(incidents) : [])
    const first = execa('node', [BIN, 'heal', '--instances', '401,402,406', '--config', config], {reject: false, env: {CI: 'true'}})
    const acting = () =>
      existsSync(incidents) &&
      readdirSync(incidents).some((run) => !earlier.has(run) && readText(path.join(incidents, run, 'incident.jsonl')).includes('"event":"intent"'))
    for (let i = 0; i < 1500 && !acting() && first.exitCode === null; i++) await sleep(10)
    first.kill('SIGKILL')
    const killed = await first
    expect(killed.signal, `exit ${killed.exitCode}: ${killed.stdout}`).toBe('SIGKILL')
    const r = await fleetIn(lab, ['heal', '--instances', '401,402,406'], {config})
    expect(r.exitCode, r.stdout + r.stderr).toBe(0)
    for (const id of [401, 402, 406]) {
      expect(lockFiles(lab, id)).toEqual([])
      expect(readdirSync(path.join(lab.root, 'data', `oc${id}`, 'config', 'agents', 'main', 'sessions')).filter((n) => n.includes('.fleet-removing-'))).toEqual(
        [],
      )
    }
    const status = await fleetIn(lab, ['status', '--instances', '401,402,406'], {config})
    expect(status.exitCode).toBe(0)
  })

  it('a ping failure a restart cannot cure (auth) is not restarted: the reason and a hint instead', async () => {
    await faults.modelError(406, {root: lab.root})
    const before = await containerFacts([containerName(406)])
    const {r, doc} = await fleetJson(lab, ['heal', '--instances', '406', '--probe'], {config})
    expect(r.exitCode).toBe(1)
    const i = doc.instances[0]
    expect(i.restarted).toBe(false)
    expect(i.ping, JSON.stringify(i.steps)).not.toBeNull()
    expect(i.ping.failure).toBe('auth')
    expect(i.restartDecision).toMatchObject({restart: false})
    expect(i.restartDecision.why).toContain('auth')
    expect(i.restartDecision.hint).toContain('credentials')
    expect((await containerFacts([containerName(406)]))[containerName(406)].startedAt).toBe(before[containerName(406)].startedAt)
    // Plain lines (CI, no TTY): each names its instance and has its time; no green mark for an instance not healed.
    const text = await fleetIn(lab, ['heal', '--instances', '406', '--probe'], {config})
    expect(text.exitCode).toBe(1)
    const all = `${text.stdout}\n${text.stderr}`
    const marked = all.split('\n').filter((l) => /^\s*[✔✖❯↓]/.test(l))
    expect(marked.length).toBeGreaterThan(2)
    for (const l of marked) expect(l).toContain('oc406')
    expect(all).not.toMatch(/✔ oc406 \(/)
    expect(all).toMatch(/✖.*not healed: auth/)
    expect(all).toMatch(/oc406: ping: FAIL auth.*\(\d/)
    expect(text.stdout).toContain('credentials') // the NOTES column says why
    await faults.setControl(406, 'model-error', null, {root: lab.root})
  })
})

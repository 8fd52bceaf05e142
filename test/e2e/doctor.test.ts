// fleet doctor against the real engine: it flags a shared sessions dir, a wrong mount and a small-context
// fallback model planted in the lab, reports the OpenClaw version and what it means for locks, and exits 1.
import {execa} from 'execa'
import {mkdirSync, mkdtempSync, readdirSync, truncateSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as labCompose from '../../lab/compose.mjs'
import * as faults from '../../lab/faults.mjs'
import {waitFor} from '../../lab/run.mjs'
import {containerName, fleetIn, fleetJson, labDown, labUp, type Lab} from './helpers.js'

let lab: Lab
let doc: any
let exitCode: number
const find = (check: string, instance: string) => doc.checks.filter((c: {check: string; instance: string}) => c.check === check && c.instance === instance)

beforeAll(async () => {
  lab = await labUp(501, 5)
  const root = lab.root
  await faults.wrongMount(501, {root})
  await faults.sharedSessions(502, {root, other: 503})
  await faults.smallContextModel(504, {root})
  const r = await fleetJson(lab, ['doctor'])
  exitCode = r.r.exitCode
  doc = r.doc
}, 300_000)

afterAll(() => labDown(lab), 300_000)

describe('fleet doctor on the lab', () => {
  it('exits 1 with fails', () => {
    expect(exitCode).toBe(1)
    expect(doc.ok).toBe(false)
    expect(doc.summary.fail).toBeGreaterThanOrEqual(3)
  })

  it('flags the wrong mount, naming both paths', () => {
    const [c] = find('mount', 'oc501')
    expect(c.status).toBe('fail')
    expect(c.message).toContain('/data/oc501/elsewhere')
    expect(c.message).toContain('/data/oc501/config')
    expect(find('mount', 'oc505')[0].status).toBe('pass')
  })

  it('flags the shared sessions dir, naming the containers', () => {
    const [c] = find('shared-sessions-dir', 'oc503')
    expect(c.status).toBe('fail')
    expect(c.message).toContain(containerName(502))
    expect(c.message).toContain(containerName(503))
  })

  it('flags the small-context fallback model', () => {
    const [c] = find('models', 'oc504')
    expect(c).toMatchObject({status: 'fail', hint: expect.stringContaining('google/gemma-4-31b-it')})
    expect(c.message).toContain('8192-token context window, below the minimum 16000')
  })

  it('reports the OpenClaw version and its lock behaviour, clock skew and disk', () => {
    expect(find('openclaw-version', 'oc505')[0]).toMatchObject({
      status: 'pass',
      message: expect.stringContaining('2026.4.29: JSONL session locks, 10 s acquire timeout'),
    })
    expect(find('clock-skew', 'oc505')[0].status).toBe('pass')
    expect(find('agent-start', 'oc505')[0]).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/`openclaw agent --help` exits 0 in openclaw-openclaw-gateway-505-1 \([\d.]+ s\)/),
    })
    // 2026.8+ checks do not run on a JSONL version
    expect(find('sqlite-wal', 'oc505')).toEqual([])
    expect(find('process-evidence', 'oc505')[0]).toMatchObject({
      status: 'pass',
      message: expect.stringMatching(/this host's \/proc shows openclaw-openclaw-gateway-505-1 \(\d+ processes\)/),
    })
    expect(find('disk', 'oc505')[0].message).toMatch(/\d+ files; [\d.]+ GiB free/)
    expect(doc.checks.find((c: {check: string}) => c.check === 'docker').status).toBe('pass')
    expect(doc.checks.find((c: {check: string}) => c.check === 'compose')).toMatchObject({status: 'pass', message: expect.stringMatching(/docker.compose/)})
  })

  it('a healthy instance alone passes (exit 0), and the text output lists only findings', async () => {
    const r = await fleetIn(lab, ['doctor', '--instances', '505'])
    expect(r.exitCode, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/doctor: \d+ pass, 0 warn, 0 fail/)
  })
})

describe('fleet doctor: I/O where the state lives, and duplicate writers', () => {
  it('measures the filesystem once for every state dir on it (type, create+write+fsync+unlink p50/p95/p99), and the host I/O pressure', () => {
    const fsChecks = doc.checks.filter((c: {check: string}) => c.check === 'state-fs')
    expect(fsChecks.length).toBeGreaterThan(0)
    expect(fsChecks[0]).toMatchObject({status: 'pass'})
    const latency = doc.checks.filter((c: {check: string}) => c.check === 'io-latency')
    const measured = latency.filter((c: {message: string}) =>
      /create\+write\+fsync\+unlink p50 [\d.]+ ms, p95 [\d.]+ ms, p99 [\d.]+ ms over \d+ samples/.test(c.message),
    )
    // every lab state dir is on one filesystem: measured once, the others say so
    expect(measured).toHaveLength(1)
    expect(latency.filter((c: {message: string}) => c.message.includes('not measured twice')).length).toBe(latency.length - 1)
    expect(doc.checks.some((c: {check: string}) => c.check === 'io-pressure')).toBe(true)
    // the probe's files are gone
    for (let id = 501; id <= 505; id++)
      expect(readdirSync(path.join(lab.root, 'data', `oc${id}`, 'config')).filter((f) => f.startsWith('.fleet-io-probe-'))).toEqual([])
  })

  it('names a second gateway process in one container (two writers on one state dir)', async () => {
    expect(find('duplicate-gateways', 'oc505')[0].status).toBe('pass')
    await execa('docker', ['exec', '-d', containerName(505), 'openclaw', 'gateway', '--port', '18799'])
    await waitFor(
      async () =>
        (await execa('docker', ['exec', containerName(505), 'ps', '-o', 'args'])).stdout.split('\n').filter((l) => l.trim() === 'openclaw-gateway').length ===
        2,
      {
        what: 'the second gateway',
        timeoutMs: 30_000,
        intervalMs: 200,
      },
    )
    const {r, doc: again} = await fleetJson(lab, ['doctor', '--instances', '505', '--io-samples', '0'])
    expect(r.exitCode).toBe(1)
    const dup = again.checks.find((c: {check: string}) => c.check === 'duplicate-gateways')
    expect(dup.status).toBe('fail')
    expect(dup.message).toMatch(/2 gateway processes in openclaw-openclaw-gateway-505-1: pid \d+ \(openclaw-gateway\), pid \d+ \(openclaw-gateway\)/)
  }, 120_000)
})

// The same on a real OpenClaw 2026.9.6 gateway (SQLite sessions; the lab pings it through the gateway): the version
// text, the agent CLI starting, and the SQLite checks read from the host data dir, with an agent planted the way an
// upgrade leaves it unmigrated (transcripts, no db) and an oversized WAL of an agent OpenClaw does not use.
describe('fleet doctor on real OpenClaw 2026.9.6', () => {
  const ID = 741
  let real: Lab
  let rdoc: any
  const rfind = (check: string) => rdoc.checks.filter((c: {check: string; instance: string}) => c.check === check && c.instance === `oc${ID}`)

  beforeAll(async () => {
    const root = path.join(mkdtempSync(path.join(os.tmpdir(), `fleet-e2e-${ID}-`)), 'lab')
    real = (await labCompose.up({root, first: ID, size: 1, openclaw: '2026.9.6'})) as Lab
    const agents = path.join(root, 'data', `oc${ID}`, 'config', 'agents')
    mkdirSync(path.join(agents, 'legacy', 'sessions'), {recursive: true})
    writeFileSync(path.join(agents, 'legacy', 'sessions', 'old.jsonl'), '{}\n')
    mkdirSync(path.join(agents, 'bigwal', 'agent'), {recursive: true})
    writeFileSync(path.join(agents, 'bigwal', 'agent', 'openclaw-agent.sqlite'), '')
    writeFileSync(path.join(agents, 'bigwal', 'agent', 'openclaw-agent.sqlite-wal'), '')
    truncateSync(path.join(agents, 'bigwal', 'agent', 'openclaw-agent.sqlite-wal'), 65 * 1024 ** 2)
    rdoc = (await fleetJson(real, ['doctor'])).doc
  }, 20 * 60_000)

  afterAll(() => (real ? labCompose.down({root: real.root}) : undefined), 5 * 60_000)

  it('says SQLite, no session write lock, legacy locks harmless', () => {
    expect(rfind('openclaw-version')[0]).toMatchObject({status: 'pass', message: expect.stringContaining('2026.9.6')})
    expect(rfind('openclaw-version')[0].message).toContain('survive restarts and `openclaw doctor --fix`')
  })

  it('the agent CLI starts, and the ping goes through the gateway', () => {
    expect(rfind('agent-start')[0]).toMatchObject({status: 'pass', message: expect.stringContaining('`openclaw agent --help` exits 0')})
    expect(rfind('ping-route')[0].status).toBe('pass')
    expect(rfind('shared-state-dir')[0].status).toBe('pass')
  })

  it('names the unmigrated agent and the oversized WAL, and nothing of the real ones', () => {
    expect(rfind('sqlite-migration')[0]).toMatchObject({status: 'warn', message: expect.stringContaining('agent legacy (1 transcripts)')})
    const wal = rfind('sqlite-wal')[0]
    expect(wal.status).toBe('warn')
    expect(wal.message).toContain('agents/bigwal/agent/openclaw-agent.sqlite-wal 65.0 MiB')
    expect(wal.message).not.toContain('agents/main/')
  })
})

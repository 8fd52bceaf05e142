// fleet ping against the real engine: healthy instances pass with their latency, each lab fault gives its
// failure class, a ping that times out leaves no process behind in the container, and the JUnit file parses
// with one testcase per instance and failures for the failing ones.
import YAML from 'yaml'
import {execa} from 'execa'
import {XMLParser} from 'fast-xml-parser'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {BIN} from '../helpers/cli.js'
import {configVariant, containerName, fleetIn, fleetJson, labDown, labUp, lockFiles, processesIn, sessionsDir, type Lab} from './helpers.js'

let lab: Lab
let doc: any
let exitCode: number
let junit: string
const injected: Record<string, any> = {}
const by = (id: number) => doc.results.find((r: {id: number}) => r.id === id)

beforeAll(async () => {
  lab = await labUp(301, 7)
  const root = lab.root
  // These cases are the runbook's embedded turn (exec'd, it waits on the session lock and ends at its own --timeout):
  // ping.command with --local, by setting. The default goes through the gateway (gateway-life.test.ts, safety.test.ts).
  writeFileSync(
    lab.configFile,
    readFileSync(lab.configFile, 'utf8').replace(/^ {2}command: auto +# through the gateway.*$/m, '  command: [openclaw, agent, --local]'),
  )
  Object.assign(injected, {
    // A lock held by a process that is alive and never lets go (an orphaned docker exec) times turns out.
    orphan: await faults.orphan(302, {root}),
    wrong: await faults.wrongReply(303, {root}),
    model: await faults.modelError(304, {root}),
    slow: await faults.slow(305, {root, ms: 60_000}),
    stopped: await faults.stoppedWithLock(306, {root}),
  })
  junit = path.join(lab.root, 'reports', 'ping.xml')
  // --session main: the operators' old runbook pings the agent's main session, where these faults wedge it.
  const r = await fleetIn(lab, ['ping', '--instances', '301-306', '--session', 'main', '--timeout', '15s', '--json', '--junit', junit])
  exitCode = r.exitCode
  doc = JSON.parse(r.stdout)
  if (!doc.results) throw new Error(`fleet ping failed (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`)
}, 600_000)

afterAll(() => labDown(lab), 300_000)

describe('fleet ping on the lab', () => {
  it('exits 1 when some fail; healthy instances pass with their latency', () => {
    expect(exitCode).toBe(1)
    expect(by(301)).toMatchObject({ok: true, failure: null, reply: 'SPEED_OK'})
    expect(by(301).latencyMs).toBeGreaterThan(0)
    expect(doc.summary).toMatchObject({instances: 6, passed: 1, failed: 5})
  })

  it('a held lock gives lock-timeout with the pid and lock path from the error', () => {
    const r = by(302)
    expect(r.failure).toBe('lock-timeout')
    expect(r.lockPid).toBe(injected.orphan.pid)
    expect(r.lockPath).toBe(injected.orphan.lockPath)
    expect(r.lockPath).toMatch(/\/home\/node\/\.openclaw\/agents\/main\/sessions\/.+\.jsonl\.lock$/)
    expect(r.latencyMs).toBeGreaterThan(9_000)
  })

  it("by default a ping runs on fleet's own session: the wedged main session of oc302 is not touched, and no user transcript is written", async () => {
    const main = faults.mainSession({sessionsDir: sessionsDir(lab, 301), containerSessionsDir: ''})
    const transcript = path.join(sessionsDir(lab, 301), `${main.sessionId}.jsonl`)
    const before = readFileSync(transcript)
    const {doc: own} = await fleetJson(lab, ['ping', '--instances', '301,302'])
    expect(own.settings.session).toBe('openclaw-fleet-ping')
    expect(own.results.map((x: any) => x.ok)).toEqual([true, true])
    expect(readFileSync(transcript).equals(before)).toBe(true)
    expect(readFileSync(path.join(sessionsDir(lab, 301), 'openclaw-fleet-ping.jsonl'), 'utf8')).toContain('SPEED_OK')
  })

  it('wrong-reply shows what came back; a missing API key is auth; container-not-running', () => {
    expect(by(303)).toMatchObject({failure: 'wrong-reply', reply: 'WRONG_REPLY'})
    expect(by(304)).toMatchObject({failure: 'auth', detail: 'FailoverError: No API key found for provider "openai"'})
    expect(by(304).detail).toContain('No API key found for provider')
    expect(by(306)).toMatchObject({failure: 'container-not-running'})
  })

  it('a slow gateway times out, and the timed-out turn leaves no process and no lock behind', async () => {
    expect(by(305).failure).toBe('timeout')
    expect(by(305).attempts[0].killed.length).toBeGreaterThan(0)
    const procs = await processesIn(containerName(305))
    expect(procs.filter((p) => /openclaw-agent|openclaw agent/.test(p.args))).toEqual([])
    expect(lockFiles(lab, 305)).toEqual([])
  })

  it('writes a JUnit file with one testcase per instance and a failure for each failing one', () => {
    expect(existsSync(junit)).toBe(true)
    const x = new XMLParser({ignoreAttributes: false}).parse(readFileSync(junit, 'utf8'))
    const cases = x.testsuites.testsuite.testcase
    expect(cases).toHaveLength(6)
    expect(cases.filter((c: {failure?: unknown}) => c.failure).map((c: {'@_name': string}) => c['@_name'].split(' ')[0])).toEqual([
      'oc302',
      'oc303',
      'oc304',
      'oc305',
      'oc306',
    ])
    expect(cases.find((c: {'@_name': string}) => c['@_name'].startsWith('oc302')).failure['@_type']).toBe('lock-timeout')
  })

  it('--repeat gives p50 and p95; plain lines in CI; exit 0 when all pass', async () => {
    const {r, doc: d} = await fleetJson(lab, ['ping', '--instances', '301,307', '--repeat', '3'])
    expect(r.exitCode).toBe(0)
    for (const res of d.results) {
      expect(res.attempts).toHaveLength(3)
      expect(res.p50Ms).toBeGreaterThan(0)
      expect(res.p95Ms).toBeGreaterThanOrEqual(res.p50Ms)
    }
    const plain = await fleetIn(lab, ['ping', '--instances', '301'])
    expect(plain.exitCode).toBe(0)
    expect(plain.stdout).toMatch(/oc301: SPEED_OK in \d+/)
    expect(plain.stdout).toMatch(/ping: 1\/1 passed/)
  })

  it('a command missing from the container is exec-failed', async () => {
    const config = configVariant(lab, 'fleet.ping-missing.yml', (y) => {
      const doc = YAML.parse(y)
      doc.ping.command = ['openclaw-missing', 'agent']
      return YAML.stringify(doc)
    })
    const {r, doc: d} = await fleetJson(lab, ['ping', '--instances', '301'], {config})
    expect(r.exitCode).toBe(1)
    expect(d.results[0].failure).toBe('exec-failed')
  })

  it('on a TTY with TERM=dumb: plain lines, no animation (a real terminal through script(1))', async () => {
    const run = (term: string) =>
      execa('script', ['-qec', `node ${BIN} ping --instances 301 --config ${lab.configFile}`, '/dev/null'], {
        reject: false,
        env: {TERM: term, CI: '', NO_COLOR: '1'},
        stdin: 'ignore',
        timeout: 120_000,
      })
    const dumb = await run('dumb')
    expect(dumb.exitCode).toBe(0)
    expect(dumb.stdout).toMatch(/oc301: SPEED_OK in \d+/)
    expect(dumb.stdout).not.toContain('\u001b[') // no cursor control at all (NO_COLOR: no colours either)
    // The same on a capable terminal animates (the check above can fail).
    const xterm = await run('xterm-256color')
    expect(xterm.stdout).toContain('\u001b[')
  })
})

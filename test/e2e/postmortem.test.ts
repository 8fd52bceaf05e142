// The postmortem and heal --probe on the simulator lab (ids 1621-1639 are this file's; it uses 1621-1622):
// an orphan exec on oc1621 makes a gateway turn fail (a failed-lock line), oc1621 also has a small-context fallback
// model (a doctor warning), oc1622 answers the wrong text. `heal --probe` shows a line per probe while it runs and logs
// each probe's answer; the report has contributing factors, corrective actions and a timeline that merges the gateway's
// failure line with fleet's records (its Markdown: unit tests). Without --probe, the NOTES still give the restart rule's
// answer. The observed record's filesystem is the one status reads (stateFs). Measured on 2 shared cores: 37-112 s (lab up
// 15 s, faults with the failed turn 17 s, heal --probe 15 s, status 3-7 s, report 5 s, heal 8 s, lab down).
import {execa} from 'execa'
import {mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import * as labs from '../../lab/compose.mjs'
import {configVariant, containerName, fleetIn, fleetJson, labDown, sleep, type Lab} from './helpers.js'

let lab: Lab
let config: string
let incidents: string
let heal: Awaited<ReturnType<typeof fleetIn>>
let runId: string

beforeAll(async () => {
  lab = (await labs.up({root: path.join(mkdtempSync('/tmp/wt-post-postmortem-'), 'lab'), first: 1621, size: 2})) as Lab
  config = configVariant(lab, 'fleet.postmortem.yml', (y) => `${y}heal:\n  incidentDir: incidents\n  waitTimeout: 90s\n`)
  incidents = path.join(lab.root, 'incidents')
  const root = lab.root
  await faults.smallContextModel(1621, {root})
  const orphan = await faults.orphan(1621, {root})
  // A gateway turn on the orphan's session fails after the lock wait and logs `session file locked …`: the trigger line.
  const body = JSON.stringify({agent: 'main', message: 'user turn', sessionId: orphan.sessionId, timeoutSec: 30})
  const turn = await execa('docker', ['exec', containerName(1621), 'wget', '-qO-', `--post-data=${body}`, 'http://127.0.0.1:18789/agent'], {reject: false})
  expect(turn.exitCode).not.toBe(0)
  await faults.wrongReply(1622, {root})
  await sleep(1_000) // past the orphan's --timeout 1 + the lab's deadlineMargin 4 s (the failed turn took 10 s)
  // Piped: plain lines, every one to stdout.
  heal = await fleetIn(lab, ['heal', '--probe'], {config})
  const dirs = readdirSync(incidents)
  expect(dirs).toHaveLength(1)
  runId = dirs[0].slice(-8)
}, 300_000)

afterAll(() => labDown(lab), 300_000)

/** The records of the heal --probe run's incident log. */
const incidentEvents = (): any[] =>
  readFileSync(path.join(incidents, readdirSync(incidents)[0], 'incident.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))

describe('heal --probe', () => {
  it('shows a line per probe while it runs, then its answer; a failed probe is ✖', () => {
    expect(heal.exitCode, heal.stdout + heal.stderr).toBe(1)
    expect(heal.stdout).toContain('probe oc1621: ping …')
    expect(heal.stdout).toContain('probe oc1622: ping …')
    expect(heal.stdout).toMatch(/✖ probe oc1622: FAIL wrong-reply.* \(\d/)
    expect(heal.stdout.indexOf('probe oc1621: ping …')).toBeLessThan(heal.stdout.indexOf('oc1621: act'))
  })

  it('logs each probe: class, duration and the restart rule’s answer', () => {
    const log = incidentEvents()
    const probes = log.filter((e) => e.event === 'probe')
    expect(probes.map((p) => [p.instance, p.ok, p.failure])).toEqual([
      ['oc1621', true, null],
      ['oc1622', false, 'wrong-reply'],
    ])
    expect(probes[1].durationMs).toBeGreaterThan(0)
    expect(probes[1].restart).toMatchObject({restart: false, why: 'ping fails with wrong-reply: a restart does not cure that'})
    const observed = log.find((e) => e.event === 'observed' && e.instance === 'oc1621')
    expect(observed.warnings.map((w: {check: string}) => w.check)).toEqual(['models'])
    expect(observed.fs.type).toEqual(expect.any(String))
  })

  it('the observed record names the state filesystem status reads (one reading: stateFs in the status JSON)', async () => {
    const observed = incidentEvents().find((e) => e.event === 'observed' && e.instance === 'oc1621')
    const {r, doc} = await fleetJson(lab, ['status', '--instances', '1621'], {config})
    expect(r.exitCode, r.stderr).not.toBe(2)
    const fs = doc.instances[0].stateFs
    expect(fs).toMatchObject({path: expect.any(String), fsType: expect.any(String), mountPoint: expect.any(String), freeBytes: expect.any(Number)})
    expect(observed.fs).toMatchObject({type: fs.fsType, source: fs.source, mountPoint: fs.mountPoint})
  })
})

describe('fleet incidents report: the playbook template', () => {
  it('contributing factors, corrective actions with owner and due to fill, and one timeline of gateway and fleet', async () => {
    const {r, doc} = await fleetJson(lab, ['incidents', 'report', runId], {config})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(doc.factors.map((f: {factor: string}) => f.factor)).toEqual(['no-watch', 'doctor-warning'])
    expect(doc.corrective.map((a: {addresses: string}) => a.addresses)).toEqual(['orphan-exec', 'no-watch', 'doctor-warning'])
    expect(doc.corrective.every((a: {owner: null; due: null; signal: string}) => a.owner === null && a.due === null && a.signal.length > 0)).toBe(true)
    const t = doc.timeline as {at: string; source: string; instance: string | null; what: string}[]
    const at = (what: string) => t.findIndex((x) => x.what.startsWith(what))
    expect(at('lock ')).toBeLessThan(at('first failed-lock line'))
    expect(at('first failed-lock line')).toBeLessThan(at('probe: SPEED_OK'))
    expect(at('probe: FAIL wrong-reply')).toBeLessThan(at('end-holder'))
    expect(at('end-holder')).toBeLessThan(at('fleet ended'))
    expect(t[at('first failed-lock line')]).toMatchObject({source: 'gateway', instance: 'oc1621'})
    expect(Date.parse(t[at('first failed-lock line')].at)).toBe(Date.parse(doc.trigger.at))
    expect(t.map((x) => Date.parse(x.at))).toEqual(t.map((x) => Date.parse(x.at)).sort((a, b) => a - b))
  })
})

describe('heal without --probe', () => {
  it('NOTES give the restart rule’s answer for a gateway heal judged fine', async () => {
    const r = await fleetIn(lab, ['heal', '--instances', '1622'], {config})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/oc1622 .*FAIL wrong-reply.*not restarted: ping fails with wrong-reply: a restart does not cure that/)
  })
})

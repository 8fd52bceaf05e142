// fleet incidents on the lab: a heal with nothing to do (and a --dry-run) leaves no incident dir; a heal of an
// orphan exec that made a gateway turn fail is listed, shown and reported with its trigger line, cause and actions.
import {execa} from 'execa'
import {existsSync, mkdtempSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import * as labs from '../../lab/compose.mjs'
import {configVariant, containerName, fleetIn, fleetJson, labDown, lockFiles, sleep, type Lab} from './helpers.js'

let lab: Lab
let config: string
let incidents: string
const runs = () => (existsSync(incidents) ? readdirSync(incidents).sort() : [])

beforeAll(async () => {
  // Lab ids 871-899 and roots under /tmp/wt-d-* are this file's.
  lab = (await labs.up({root: path.join(mkdtempSync('/tmp/wt-d-incidents-'), 'lab'), first: 871, size: 2})) as Lab
  config = configVariant(lab, 'fleet.incidents.yml', (y) => `${y}heal:\n  incidentDir: incidents\n  waitTimeout: 90s\n`)
  incidents = path.join(lab.root, 'incidents')
}, 600_000)

afterAll(() => labDown(lab), 300_000)

describe('no empty incidents', () => {
  it('a heal with nothing to do, and a --dry-run, make no incident dir; incidentLog is null', async () => {
    const {r, doc} = await fleetJson(lab, ['heal', '--instances', '871-872'], {config})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(doc.incidentLog).toBeNull()
    const text = await fleetIn(lab, ['heal', '--instances', '872'], {config})
    expect(text.stdout).toContain('incident log: none (nothing was changed)')
    await faults.deadPid(871, {root: lab.root})
    const dry = await fleetIn(lab, ['heal', '--instances', '871', '--dry-run'], {config})
    expect(dry.exitCode).toBe(0)
    expect(runs()).toEqual([])
    const list = await fleetJson(lab, ['incidents', 'list'], {config})
    expect(list.r.exitCode).toBe(0)
    expect(list.doc.runs).toEqual([])
  }, 300_000)
})

describe('fleet incidents list / show / report', () => {
  let heal: any
  let runId: string
  let failedTurnAt: number

  beforeAll(async () => {
    const root = lab.root
    // An orphan exec holds the main session's lock; a gateway turn on that session fails after 10 s and logs
    // `session file locked (timeout 10000ms): pid=N <path>` to docker logs: the trigger line.
    const orphan = await faults.orphan(871, {root})
    failedTurnAt = Date.now()
    const body = JSON.stringify({agent: 'main', message: 'user turn', sessionId: orphan.sessionId, timeoutSec: 30})
    const turn = await execa('docker', ['exec', containerName(871), 'wget', '-qO-', `--post-data=${body}`, 'http://127.0.0.1:18789/agent'], {reject: false})
    expect(turn.exitCode).not.toBe(0)
    await sleep(1_000) // past --timeout 1 + the lab's deadlineMargin 4s (the failed turn took 10 s)
    const r = await fleetJson(lab, ['heal', '--instances', '871-872'], {config})
    expect(r.r.exitCode, r.r.stdout + r.r.stderr).toBe(0)
    heal = r.doc
    runId = heal.runId
    expect(lockFiles(lab, 871)).toEqual([])
  }, 300_000)

  it('heal names the one incident dir it made', () => {
    expect(heal.incidentLog).toBe(path.join(incidents, runs()[0], 'incident.jsonl'))
    expect(runs()).toHaveLength(1)
    expect(runs()[0].endsWith(`-${runId}`)).toBe(true)
    // The order is kept: run-start, then every lock as judged, then intents and actions.
    const types = readFileSync(heal.incidentLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event)
    expect(types[0]).toBe('run-start')
    expect(types.lastIndexOf('lock')).toBeLessThan(types.indexOf('intent'))
    expect(types.at(-1)).toBe('run-end')
  })

  it('list shows the run with its cause and what was done', async () => {
    const {r, doc} = await fleetJson(lab, ['incidents', 'list'], {config})
    expect(r.exitCode).toBe(0)
    expect(doc.runs).toHaveLength(1)
    expect(doc.runs[0]).toMatchObject({run: runId, kind: 'heal', instances: ['oc871'], cause: 'orphan-exec', holdersEnded: 1, restarts: 0, healed: true})
    const text = await fleetIn(lab, ['incidents', 'list'], {config})
    expect(text.stdout).toMatch(new RegExp(`${runId}\\s+\\S+\\s+heal\\s+oc871\\s+orphan-exec`))
  })

  it('show prints the run log by run id or dir name', async () => {
    const {r, doc} = await fleetJson(lab, ['incidents', 'show', runId], {config})
    expect(r.exitCode).toBe(0)
    expect(doc.events.map((e: any) => e.event)).toContain('intent')
    const byDir = await fleetJson(lab, ['incidents', 'show', runs()[0]], {config})
    expect(byDir.doc.events).toEqual(doc.events)
  })

  it('report: the trigger line with its time, the detection gap, orphan exec as the cause, every action', async () => {
    const {r, doc} = await fleetJson(lab, ['incidents', 'report', runId], {config})
    expect(r.exitCode, r.stderr).toBe(0)
    expect(doc.trigger).toMatchObject({instance: 'oc871', signatures: {'session-file-locked': 1}})
    const at = Date.parse(doc.trigger.at)
    expect(at).toBeGreaterThanOrEqual(failedTurnAt - 2_000)
    expect(at).toBeLessThan(Date.parse(doc.startedAt))
    expect(doc.detection.gapMs).toBeGreaterThan(0)
    expect(doc.impact).toMatchObject({instances: ['oc871'], failedTurnLines: 1})
    expect(doc.impact.sessions.length).toBeGreaterThan(0)
    expect(doc.cause.primary).toBe('orphan-exec')
    expect(doc.actions.map((a: any) => a.type)).toContain('end-holder')
    expect(doc.restarts).toEqual([])
    expect(doc.outcome).toEqual([
      {instance: 'oc871', healed: true, restarted: false, failure: null, notDone: []},
      {instance: 'oc872', healed: true, restarted: false, failure: null, notDone: []},
    ])
    const out = path.join(lab.root, 'report.md')
    const md = await fleetIn(lab, ['incidents', 'report', runId, '--out', out], {config})
    expect(md.exitCode).toBe(0)
    const text = readFileSync(out, 'utf8')
    for (const h of ['## Trigger', '## Impact', '## Detection gap', '## Primary cause', '## Actions', '## Restarts', '## Recurred']) expect(text).toContain(h)
    expect(text).toContain('**orphan-exec**')
  })

  it('an unknown run: exit 2 naming it, nothing written', async () => {
    const before = runs()
    const {r, doc} = await fleetJson(lab, ['incidents', 'report', 'deadbeef'], {config})
    expect(r.exitCode).toBe(2)
    expect(doc.error.message).toContain('no incident run "deadbeef"')
    expect(runs()).toEqual(before)
  })
})

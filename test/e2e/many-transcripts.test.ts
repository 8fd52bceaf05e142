// fleet status, heal --dry-run and doctor on a sessions dir of 100,000 transcripts and 3 locks (issue 24), against
// the real engine, through this host's disk and through the Docker API (locks.access: docker): each sees exactly the
// 3 locks with their verdicts, and the transcripts stay as they were. The locks: a dead holder's, one whose pid is a
// string (invalid-pid), and the gateway's own, held past maxHold with a createdAt an hour ahead (future-createdAt:
// timed by its mtime, hung, not a young live lock). Timings are in bench/many-transcripts.mjs, not here.
// Lab range: 1381 only.
import {readdirSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {MANY_TRANSCRIPTS_ID, SEEDED_LOCKS, seedManyTranscripts} from '../../bench/many-transcripts.mjs'
import {configVariant, containerFacts, containerName, fleetIn, fleetJson, labDown, labUp, sleep, withLocks, type Lab} from './helpers.js'

const ID = MANY_TRANSCRIPTS_ID
const TRANSCRIPTS = 100_000
const MAX_HOLD_S = 5

let lab: Lab
let dir: string
let hostConfig: string
let dockerConfig: string
let gatewayPid: number
const container = containerName(ID)
const lockNames = [...SEEDED_LOCKS].sort()

/** The instance's locks by file name, from `status --json`. */
const locksOf = (doc: any): Record<string, any> => Object.fromEntries(doc.instances[0].locks.map((l: any) => [path.basename(l.path), l]))
const transcriptCount = () => readdirSync(dir).filter((n) => n.endsWith('.jsonl')).length

beforeAll(async () => {
  lab = await labUp(ID, 1)
  ;({dir, gatewayPid} = await seedManyTranscripts(lab, ID, {count: TRANSCRIPTS}))
  expect(transcriptCount()).toBeGreaterThan(TRANSCRIPTS)
  expect(
    readdirSync(dir)
      .filter((n) => n.endsWith('.lock'))
      .sort(),
  ).toEqual(lockNames)
  // probeTimeout: on a shared engine under load a docker exec alone took 3-20 s here (the default 15 s is for real hosts).
  const variant = (y: string) => withLocks(y, {maxHold: `${MAX_HOLD_S}s`}).replace(/^locks:\n/m, 'locks:\n  probeTimeout: 90s\n')
  hostConfig = configVariant(lab, 'fleet.many.yml', variant)
  dockerConfig = configVariant(lab, 'fleet.many-docker.yml', (y) => variant(y).replace(/^locks:\n/m, 'locks:\n  access: docker\n'))
  // Past maxHold and past the 5 s malformedGrace of the string-pid lock.
  await sleep((MAX_HOLD_S + 2) * 1000)
}, 300_000)

afterAll(async () => {
  await labDown(lab)
}, 120_000)

describe('100,000 transcripts and 3 locks in one sessions dir', () => {
  it.each([
    ['this host', () => hostConfig],
    ['the Docker API', () => dockerConfig],
  ])('status through %s sees exactly the 3 locks with their verdicts', async (_how, config) => {
    const {r, doc} = await fleetJson(lab, ['status'], {config: config()})
    expect(r.exitCode, r.stderr).toBe(1)
    const locks = locksOf(doc)
    expect(Object.keys(locks).sort()).toEqual(lockNames)
    expect(locks['dead-holder.jsonl.lock']).toMatchObject({verdict: 'stale', reasons: ['dead-pid']})
    expect(locks['string-pid.jsonl.lock']).toMatchObject({verdict: 'stale', reasons: ['invalid-pid'], pid: null, payloadProblems: ['invalid-pid']})
    const gw = locks['gateway-turn.jsonl.lock']
    expect(gw).toMatchObject({verdict: 'hung', reasons: ['hold-exceeded', 'future-createdAt'], pid: gatewayPid})
    expect(gw.ageMs).toBeGreaterThan(MAX_HOLD_S * 1000)
    expect(gw.ageMs).toBeLessThan(3_600_000)
    expect(doc.instances[0].unlisted).toEqual([])
  })

  it('heal --dry-run plans to delete the 2 stale locks and restart for the hung one, and changes nothing', async () => {
    const started = (await containerFacts([container]))[container].startedAt
    const {r, doc} = await fleetJson(lab, ['heal', '--dry-run'], {config: hostConfig})
    expect(r.exitCode, r.stderr).toBe(0)
    const plan = doc.instances[0].plan
    expect(plan.deleteLocks.map((l: any) => [path.basename(l.path), l.reasons])).toEqual([
      ['dead-holder.jsonl.lock', ['dead-pid']],
      ['string-pid.jsonl.lock', ['invalid-pid']],
    ])
    expect(plan.untouched.map((l: any) => [path.basename(l.path), l.verdict])).toEqual([['gateway-turn.jsonl.lock', 'hung']])
    expect(plan.restart).toBe('hung lock holder')
    expect(
      readdirSync(dir)
        .filter((n) => n.endsWith('.lock'))
        .sort(),
    ).toEqual(lockNames)
    expect((await containerFacts([container]))[container].startedAt).toBe(started)
  })

  it('doctor counts the entries of the sessions dir without a stat each, and finishes', async () => {
    const entries = readdirSync(dir, {withFileTypes: true}).filter((d) => d.isFile()).length
    expect(entries).toBeGreaterThan(TRANSCRIPTS)
    const {r, doc} = await fleetJson(lab, ['doctor'], {config: hostConfig})
    expect([0, 1]).toContain(r.exitCode)
    const disk = doc.checks.find((c: any) => c.check === 'disk' && c.message.startsWith(dir))
    expect(disk, JSON.stringify(doc.checks.map((c: any) => c.check))).toBeDefined()
    expect(disk.message).toContain(`${entries} files;`)
    expect(['pass', 'warn']).toContain(disk.status)
  })

  it('the transcripts are untouched', () => {
    expect(transcriptCount()).toBeGreaterThanOrEqual(TRANSCRIPTS)
    expect(readdirSync(dir).filter((n) => n.includes('.fleet-removing-'))).toEqual([])
  })

  it('plain status names the locks in its table', async () => {
    const r = await fleetIn(lab, ['status'], {config: dockerConfig})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/1 hung, 2 stale/)
  })
})

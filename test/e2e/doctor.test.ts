// fleet doctor against the real engine: it flags a shared sessions dir, a wrong mount and a small-context
// fallback model planted in the lab, reports the OpenClaw version and what it means for locks, and exits 1.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
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
    expect(find('openclaw-version', 'oc505')[0]).toMatchObject({status: 'pass', message: expect.stringContaining('OpenClaw 2026.4.29 (lab0429): JSONL session locks, 10 s acquire timeout')})
    expect(find('clock-skew', 'oc505')[0].status).toBe('pass')
    expect(find('process-evidence', 'oc505')[0]).toMatchObject({status: 'pass', message: expect.stringMatching(/this host's \/proc shows openclaw-openclaw-gateway-505-1 \(\d+ processes\)/)})
    expect(find('disk', 'oc505')[0].message).toMatch(/files, [\d.]+ MiB; [\d.]+ GiB free/)
    expect(doc.checks.find((c: {check: string}) => c.check === 'docker').status).toBe('pass')
    expect(doc.checks.find((c: {check: string}) => c.check === 'compose')).toMatchObject({status: 'pass', message: expect.stringMatching(/docker.compose/)})
  })

  it('a healthy instance alone passes (exit 0), and the text output lists only findings', async () => {
    const r = await fleetIn(lab, ['doctor', '--instances', '505'])
    expect(r.exitCode, r.stdout).toBe(0)
    expect(r.stdout).toMatch(/doctor: \d+ pass, 0 warn, 0 fail/)
  })
})

// fleet upgrade on the simulator lab (issue 27): ids 2001-2004, groups oc2001-2003 (shared OPENCLAW_IMAGE in its env
// file) and oc2004. Two images are made from the lab's own by `docker commit` (no registry): a "new version" (package
// 2026.4.30) and a broken one (2026.4.31, exits at once). Proven here:
// - preflight refusals (a missing image, a downgrade) exit 2 and change nothing;
// - --dry-run plans every step and changes nothing;
// - a drain waits for an exec'd turn in flight (its lock live) to answer before the stop; past --drain-timeout without
//   --force it gives up and changes nothing;
// - the upgrade: canary, then its group, then the next group; env file switched byte-exactly, state backed up, every
//   gateway answers on the new image, status ok;
// - a broken image: the canary is rolled back (file bytes as before, state restored, the old image answers), the
//   rollout stops there and the other instances are never touched.
import {execa} from 'execa'
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {containerName, deriveImage, fleetIn, labDown, labUp, type Lab} from './helpers.js'

const FIRST = 2001
const IDS = [2001, 2002, 2003, 2004]
const NEW = 'fleet-upgrade-test:2026.4.30'
const BROKEN = 'fleet-upgrade-test:broken'
let l: Lab
let oldImage = ''
let envFiles: string[] = []

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
const docker = (args: string[]) => execa('docker', args, {timeout: 120_000})
const imageIdOf = async (ref: string) => (await docker(['image', 'inspect', '-f', '{{.Id}}', ref])).stdout.trim()
const runningImage = async (id: number) => (await docker(['inspect', '-f', '{{.Image}}', containerName(id)])).stdout.trim()
const containerId = async (id: number) => (await docker(['inspect', '-f', '{{.Id}}', containerName(id)])).stdout.trim()

async function upgrade(args: string[], timeoutMs = 10 * 60_000) {
  const r = await fleetIn(l, ['upgrade', ...args, '--json'], {timeoutMs})
  let doc: any = null
  try {
    doc = JSON.parse(r.stdout)
  } catch {
    throw new Error(`fleet upgrade printed no JSON (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`)
  }
  return {exitCode: r.exitCode, doc, stderr: r.stderr}
}

beforeAll(async () => {
  l = await labUp(FIRST, 4)
  const lab = JSON.parse(readFileSync(path.join(l.root, 'lab.json'), 'utf8'))
  oldImage = lab.image
  envFiles = readdirSync(path.join(l.root, 'openclaw'))
    .filter((f) => f.startsWith('.env'))
    .map((f) => path.join(l.root, 'openclaw', f))
  await deriveImage(oldImage, NEW, '2026.4.30')
  await deriveImage(oldImage, BROKEN, '2026.4.31', {cmd: ['sh', '-c', 'echo "Gateway failed to start: broken build"; exit 3']})
}, 10 * 60_000)

afterAll(async () => {
  await labDown(l)
  await execa('docker', ['rmi', '-f', NEW, BROKEN], {reject: false})
})

describe('fleet upgrade on the simulator lab', () => {
  it('refuses a missing image and a downgrade in its preflight: exit 2, nothing changed', async () => {
    const before = envFiles.map(sha)
    const missing = await upgrade(['--image', 'openclaw-lab-gateway:does-not-exist', '--yes'])
    expect(missing.exitCode).toBe(2)
    expect(missing.doc.error.message).toContain('not on this instance')
    expect(envFiles.map(sha)).toEqual(before)
  })

  it('--dry-run plans every step and changes nothing', async () => {
    const before = envFiles.map(sha)
    const ids = await Promise.all(IDS.map(containerId))
    const {exitCode, doc} = await upgrade(['--image', NEW, '--dry-run'])
    expect(exitCode).toBe(0)
    expect(doc.dryRun).toBe(true)
    expect(doc.batches.map((b: any) => b.instances)).toEqual([['oc2001'], ['oc2002', 'oc2003'], ['oc2004']])
    for (const r of doc.instances) {
      expect(r.outcome).toBe('planned')
      expect(r.steps.map((s: any) => s.step)).toEqual(['drain', 'stop', 'backup', 'switch', 'recreate', 'gate', 'rollback'])
      expect(r.steps.every((s: any) => s.outcome === 'planned')).toBe(true)
      expect(r.from.version).toBe('2026.4.29')
      expect(r.to.version).toBe('2026.4.30')
    }
    expect(doc.incidentDir).toBeNull()
    expect(envFiles.map(sha)).toEqual(before)
    expect(await Promise.all(IDS.map(containerId))).toEqual(ids)
  })

  it('drain: past --drain-timeout with a turn in flight it gives up and changes nothing; the turn answers', async () => {
    const before = envFiles.map(sha)
    const id = await containerId(2001)
    const turn = await faults.attachedTurn(2001, {root: l.root, holdMs: 9_000})
    const {exitCode, doc} = await upgrade(['--image', NEW, '--yes', '--drain-timeout', '3s', '-i', '2001'])
    expect(exitCode).toBe(1)
    expect(doc.instances[0].outcome).toBe('gave-up')
    expect(doc.instances[0].steps.map((s: any) => [s.step, s.outcome])).toEqual([['drain', 'failed']])
    expect(doc.instances[0].steps[0].detail).toContain('session lock')
    // Its group's other services read the same OPENCLAW_IMAGE: the plan says they move too.
    expect(doc.instances[0].notes.join(' ')).toContain('also the image of openclaw-gateway-2002, openclaw-gateway-2003')
    expect(envFiles.map(sha)).toEqual(before)
    expect(await containerId(2001)).toBe(id)
    const ended = await turn.holder.exited
    expect(ended.code).toBe(0)
  })

  it('upgrades canary, group, next group: waits for a turn in flight, switches the env file, backs up, gates, status ok', async () => {
    const newId = await imageIdOf(NEW)
    const envBefore = new Map(envFiles.map((f) => [f, readFileSync(f, 'utf8')]))
    const turn = await faults.attachedTurn(2001, {root: l.root, holdMs: 6_000})
    const {exitCode, doc} = await upgrade(['--image', NEW, '--yes', '--drain-timeout', '2m'])
    expect(exitCode, JSON.stringify(doc, null, 1).slice(0, 3000)).toBe(0)
    expect((await turn.holder.exited).code).toBe(0) // the turn in flight answered: the stop came after it
    expect(doc.instances.map((r: any) => [r.name, r.outcome])).toEqual([
      ['oc2001', 'upgraded'],
      ['oc2002', 'upgraded'],
      ['oc2003', 'upgraded'],
      ['oc2004', 'upgraded'],
    ])
    expect(doc.instances[0].steps[0].detail).toContain('no live session lock')
    for (const id of IDS) expect(await runningImage(id)).toBe(newId)
    // Only OPENCLAW_IMAGE changed, in each env file.
    for (const [f, text] of envBefore) expect(readFileSync(f, 'utf8')).toBe(text.replace(/^OPENCLAW_IMAGE=.*$/m, `OPENCLAW_IMAGE=${NEW}`))
    for (const r of doc.instances) {
      expect(existsSync(r.backup)).toBe(true)
      expect(r.downtimeMs).toBeGreaterThan(0)
      expect(r.steps.filter((s: any) => s.outcome === 'failed')).toEqual([])
    }
    const status = await fleetIn(l, ['status', '--json'])
    expect(status.exitCode).toBe(0)
    const incident = readFileSync(path.join(doc.incidentDir, 'incident.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((x) => JSON.parse(x))
    expect(incident.filter((e) => e.event === 'action' && e.type === 'upgrade').map((e) => e.instance)).toEqual(['oc2001', 'oc2002', 'oc2003', 'oc2004'])
  })

  it('a downgrade is refused by the preflight', async () => {
    const r = await upgrade(['--image', oldImage, '--yes', '-i', '2004'])
    expect(r.exitCode).toBe(2)
    expect(r.doc.error.message).toContain('downgrade')
  })

  it('a broken image: the canary is rolled back (file bytes, state, old image answering), the rollout stops there', async () => {
    const newId = await imageIdOf(NEW)
    const before = envFiles.map(sha)
    const others = await Promise.all([2002, 2003, 2004].map(containerId))
    const {exitCode, doc} = await upgrade(['--image', BROKEN, '--yes', '--gate-timeout', '90s'])
    expect(exitCode).toBe(1)
    expect(doc.instances.map((r: any) => [r.name, r.outcome])).toEqual([['oc2001', 'rolled-back']])
    expect(doc.stoppedAt).toContain('oc2001')
    expect(doc.batches.filter((b: any) => b.outcome === 'not-started').flatMap((b: any) => b.instances)).toEqual(['oc2002', 'oc2003', 'oc2004'])
    const r = doc.instances[0]
    expect(r.rollback).toMatchObject({restoreFile: true, restoreState: true, recreate: true, outcome: 'answering'})
    expect(r.steps.find((s: any) => s.step === 'gate' && s.outcome === 'failed')).toBeTruthy()
    expect(envFiles.map(sha)).toEqual(before)
    expect(await runningImage(2001)).toBe(newId)
    expect(await Promise.all([2002, 2003, 2004].map(containerId))).toEqual(others)
    expect(existsSync(path.join(doc.incidentDir, 'upgrade', 'oc2001', 'state-after-failed-upgrade'))).toBe(true)
    const ping = await fleetIn(l, ['ping', '-i', '2001', '--json'])
    expect(ping.exitCode).toBe(0)
  })
})

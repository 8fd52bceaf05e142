// The doctor-fix cure of a start refusal (src/openclaw/doctor-fix.ts), on the simulator lab (1561-1562):
// - a gateway that refuses every start (fault start-refusal: a crash loop under `restart: unless-stopped`) is stopped,
//   `openclaw doctor --fix --non-interactive` runs in a one-off container of the same image with the same mounts, user
//   and working dir and OPENCLAW_SERVICE_REPAIR_POLICY=external, the refusal is gone, the gateway is started again
//   and becomes ready; the transcripts are byte-identical; the one-off is removed;
// - a doctor run that fails (here: times out) leaves the gateway stopped, saying why (a start would only loop), and
//   removes nothing of its state.
// The simulator is OpenClaw 2026.4.29, where fleet's decision (decide/start-cure.ts) never picks doctor-fix (it is read
// for 2026.8+ only): the test shows that, and then calls the I/O entry point directly.
import {execa} from 'execa'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {loadFleet} from '../../src/config/load.js'
import {instanceById, type Fleet} from '../../src/config/model.js'
import {dockerFor} from '../../src/docker/client.js'
import {decideStartCure} from '../../src/decide/start-cure.js'
import {runDoctorFix, DOCTOR_FIX_LABEL, SERVICE_REPAIR_POLICY_ENV} from '../../src/openclaw/doctor-fix.js'
import {containerFacts, containerName, fleetJson, labDown, labUp, sleep, transcriptChecksums, type Lab} from './helpers.js'

let lab: Lab
let fleet: Fleet
const CURED = 1561
const FAILS = 1562

beforeAll(async () => {
  lab = await labUp(CURED, 2)
  fleet = await loadFleet({configPath: lab.configFile, env: {}})
}, 600_000)

afterAll(() => labDown(lab), 300_000)

const statusOf = async (id: number) => (await fleetJson(lab, ['status', '-i', String(id)])).doc.instances[0]

/** Until fleet status says crash-loop (or failing) with the refusal, bounded. */
async function crashLooping(id: number) {
  const t0 = Date.now()
  for (;;) {
    const i = await statusOf(id)
    if (['crash-loop', 'failing'].includes(i.life.state) && i.life.refusal) return i
    if (Date.now() - t0 > 90_000) throw new Error(`instance ${id} never crash-looped: ${JSON.stringify(i.life)}`)
    await sleep(1000)
  }
}

const mountsOf = async (name: string) => {
  const {stdout} = await execa('docker', ['inspect', '--format', '{{json .Mounts}}', name])
  return (JSON.parse(stdout) as Array<{Type: string; Source: string; Destination: string; RW: boolean}>)
    .map((m) => ({type: m.Type, source: m.Source, destination: m.Destination, rw: m.RW}))
    .sort((a, b) => a.destination.localeCompare(b.destination))
}

const leftOvers = async () => (await execa('docker', ['ps', '-aq', '--filter', `label=${DOCTOR_FIX_LABEL}`])).stdout.trim()

describe('doctor --fix cures a start refusal', () => {
  it('stops the crash loop, runs doctor in a one-off with the same mounts and the policy var, starts it again: ready, transcripts untouched', async () => {
    const before = transcriptChecksums(lab)
    const name = containerName(CURED)
    const gatewayMounts = await mountsOf(name)
    const injected = await faults.startRefusal(CURED, {root: lab.root})
    const looping = await crashLooping(CURED)
    expect(looping.ok).toBe(false)
    expect(looping.life.refusal).toMatchObject({kind: 'startup-migrations-incomplete', cure: 'doctor-fix'})

    // fleet's own decision: never on the simulator's 2026.4.29; the same life and refusal on 2026.9.6 get the cure.
    const facts = {version: looping.openclaw.version, mountOk: looping.mount?.ok ?? true, liveTurns: [], activeWork: null, doctorFixRanFor: []}
    expect(looping.openclaw.version).toBe('2026.4.29')
    expect(decideStartCure(looping.life, looping.life.refusal, facts)).toMatchObject({cure: 'none'})
    expect(decideStartCure(looping.life, looping.life.refusal, {...facts, version: '2026.9.6'})).toMatchObject({cure: 'doctor-fix'})

    const inst = instanceById(fleet, CURED)
    const res = await runDoctorFix(dockerFor(inst.docker), inst.container, {
      stopTimeoutMs: fleet.restart.stopTimeoutMs,
      timeoutMs: 60_000,
      waitReadyMs: 60_000,
      port: fleet.gateway.port,
      refusal: looping.life.refusal,
    })
    expect(res.error, res.summary).toBeNull()
    expect(res.outcome).toBe('fixed')
    expect(res.ok).toBe(true)
    expect(res.before.up).toBe(true)
    expect(res.start.started).toBe(true)
    expect(res.ready?.ok).toBe(true)
    const oneOff = res.oneOff!
    expect(oneOff.exitCode).toBe(0)
    expect(oneOff.policy).toBe(`${SERVICE_REPAIR_POLICY_ENV}=external`)
    expect(oneOff.command).toEqual(['openclaw', 'doctor', '--fix', '--non-interactive'])
    expect(oneOff.user).toBe('1000:1000')
    expect(oneOff.workingDir).toBe('/app')
    // The engine's view of the one-off's mounts is the gateway's.
    expect([...oneOff.mounts].sort((a, b) => a.destination.localeCompare(b.destination))).toEqual(gatewayMounts)
    // What the simulated doctor said: the policy it ran under, and the repair of the refusal in the mounted state dir.
    expect(oneOff.output).toContain('[lab] service repair policy: external')
    expect(oneOff.output).toContain(`Repaired the start refusal: ${injected.text}`)
    expect(oneOff.output).toContain('/home/node/.openclaw/.lab/start-refusal')
    expect(oneOff.removed).toBe(true)
    expect(await leftOvers()).toBe('')
    expect(existsSync(injected.controlFile)).toBe(false)

    const after = await statusOf(CURED)
    expect(after.life.state).toBe('ready')
    expect(after.ok).toBe(true)
    expect(transcriptChecksums(lab)).toEqual(before)
  }, 300_000)

  it('the simulated doctor refuses while a gateway serves the state dir, as the real one does, and changes nothing', async () => {
    const injected = await faults.setControl(CURED, 'start-refusal', 'OpenClaw startup migrations did not complete cleanly; run openclaw doctor --fix', {
      root: lab.root,
    })
    try {
      const r = await execa('docker', ['exec', containerName(CURED), 'openclaw', 'doctor', '--fix', '--non-interactive'], {reject: false})
      expect(r.exitCode).toBe(1)
      expect(r.stdout).toContain('[lab] service repair policy: auto')
      expect(r.stderr).toContain('Doctor could not enter maintenance')
      expect(existsSync(injected.controlFile)).toBe(true)
    } finally {
      await faults.setControl(CURED, 'start-refusal', null, {root: lab.root})
    }
  }, 60_000)
})

describe('a doctor run that fails', () => {
  it('times out: the one-off is ended and removed, the gateway is left stopped (a start would only loop), and says so', async () => {
    const before = transcriptChecksums(lab)
    const injected = await faults.startRefusal(FAILS, {root: lab.root})
    const looping = await crashLooping(FAILS)
    const inst = instanceById(fleet, FAILS)
    const res = await runDoctorFix(dockerFor(inst.docker), inst.container, {
      stopTimeoutMs: fleet.restart.stopTimeoutMs,
      timeoutMs: 3_000,
      refusal: looping.life.refusal,
      command: ['sleep', '600'],
    })
    expect(res.outcome).toBe('failed')
    expect(res.ok).toBe(false)
    expect(res.oneOff?.timedOut).toBe(true)
    expect(res.oneOff?.removed).toBe(true)
    expect(res.start.started).toBe(false)
    expect(res.start.detail).toMatch(/left stopped: doctor --fix timed out.*would only crash-loop/)
    expect(res.summary).toContain('startup-migrations-incomplete')
    expect(await leftOvers()).toBe('')
    const facts = (await containerFacts([containerName(FAILS)]))[containerName(FAILS)]
    expect(facts.state).toBe('exited')
    // Nothing of its state was touched: the refusal is still there, the transcripts are the same.
    expect(existsSync(injected.controlFile)).toBe(true)
    expect(transcriptChecksums(lab)).toEqual(before)
    // With onFailure 'start' (the caller's choice), the same run starts it again: back to its crash loop.
    const again = await runDoctorFix(dockerFor(inst.docker), inst.container, {
      stopTimeoutMs: 5_000,
      timeoutMs: 3_000,
      command: ['sleep', '600'],
      onFailure: 'start',
    })
    expect(again.before.up).toBe(false)
    expect(again.start.started).toBe(false)
    expect(again.start.detail).toContain('not running before')
    expect(path.basename(injected.controlFile)).toBe('start-refusal')
  }, 300_000)
})

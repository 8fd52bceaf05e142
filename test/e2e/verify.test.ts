// fleet heal --verify on the simulator lab: the test turns run on sessions of fleet's own over the duration, and the
// verdict follows what the gateway really does during it: held when every turn answers, not held (exit 1) when the
// gateway starts answering wrongly in the middle of the verification.
import {execa} from 'execa'
import {readdirSync} from 'node:fs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {waitFor} from '../../lab/run.mjs'
import {BIN} from '../helpers/cli.js'
import {fleetJson, labDown, labUp, sessionsDir, type Lab} from './helpers.js'

let lab: Lab
beforeAll(async () => {
  lab = await labUp(421, 2)
}, 300_000)
afterAll(() => labDown(lab), 120_000)

describe('fleet heal --verify', () => {
  it('holds when every test turn answers: N turns on distinct sessions of its own, spread over the duration', async () => {
    const t0 = Date.now()
    const {r, doc} = await fleetJson(lab, ['heal', '--instances', '421', '--verify', '4s', '--verify-turns', '3'])
    expect(r.exitCode, r.stdout).toBe(0)
    expect(doc.verify.ok).toBe(true)
    const [v] = doc.verify.results
    expect(v).toMatchObject({instance: 'oc421', ok: true, newLockErrors: 0})
    expect(v.turns.map((t: any) => t.ok)).toEqual([true, true, true])
    expect(new Set(v.sessions).size).toBe(3)
    for (const s of v.sessions) expect(s).toMatch(/^openclaw-fleet-verify-[0-9a-f]{8}-\d$/)
    // spread over the duration, in order: the last turn was not sent before its place, about 4 s into the verification
    // (atMs is when each turn answered, from the verification's start: a slow first turn under load cannot make it fail)
    expect(v.turns[0].atMs).toBeLessThan(v.turns[1].atMs)
    expect(v.turns[1].atMs).toBeLessThan(v.turns[2].atMs)
    expect(v.turns[2].atMs).toBeGreaterThanOrEqual(3_500)
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4_000)
  }, 120_000)

  it('does not hold when the gateway fails in the middle of the verification: exit 1, the failed turns named', async () => {
    const run = execa('node', [BIN, 'heal', '--instances', '422', '--verify', '8s', '--verify-turns', '3', '--json', '--config', lab.configFile], {
      cwd: lab.root,
      reject: false,
    })
    // The first verify turn has run (its session's transcript exists): the model starts answering wrongly.
    await waitFor(() => readdirSync(sessionsDir(lab, 422)).some((f) => f.includes('openclaw-fleet-verify-')), {
      what: 'the first verify turn',
      timeoutMs: 60_000,
      intervalMs: 100,
    })
    await faults.wrongReply(422, {root: lab.root})
    const r = await run
    const doc = JSON.parse(r.stdout)
    expect(r.exitCode).toBe(1)
    expect(doc.instances[0].healed).toBe(true)
    expect(doc.verify.ok).toBe(false)
    const [v] = doc.verify.results
    expect(v.turns[0].ok).toBe(true)
    expect(v.turns.slice(1).map((t: any) => t.failure)).toEqual(['wrong-reply', 'wrong-reply'])
    expect(v.why).toContain('2/3 test turns failed')
  }, 120_000)

  it('bad input: --verify-turns without --verify, or a bad duration, is a usage error and changes nothing', async () => {
    for (const args of [
      ['--verify-turns', '3'],
      ['--verify', 'soon'],
    ]) {
      const {r, doc} = await fleetJson(lab, ['heal', '--instances', '421', ...args])
      expect(r.exitCode).toBe(2)
      expect(doc.error.code).toBe('USAGE')
    }
  }, 60_000)
})

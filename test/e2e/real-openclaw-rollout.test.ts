// fleet upgrade on REAL OpenClaw (issue 27, "Proven on real OpenClaw in the lab"): one compose lab instance (ID 841) on
// 2026.9.5, its compose file naming the image literally (the lab's real services do), so fleet switches `image:` in
// the compose file.
// 1. A user turn is in flight inside the gateway (the model stub answers after MODEL_DELAY_MS): fleet upgrade to
//    2026.9.6 drains first (the gateway's own report of its work), so the turn answers before its gateway is stopped;
//    then the stop, the state copy, the switch, the recreate, the gate (ready, a real ping turn, status ok). The
//    user's session answers again on 2026.9.6.
// 2. A broken image (2026.9.6 with its package at 2026.9.7 and a command that exits at once): the gate fails, the
//    rollback puts the compose file's bytes back, restores the state, recreates on 2026.9.6, and that answers again.
// Times go to the test output.
import {execa} from 'execa'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as lab from '../../lab/compose.mjs'
import {buildRealImage} from '../../lab/real/build.mjs'
import {loadFleet} from '../../src/config/load.js'
import {dockerFor} from '../../src/docker/client.js'
import {readGatewayWork, type GatewayWorkReading} from '../../src/openclaw/gateway-work.js'
import {deriveImage, fleetIn, realLabUp, realTurn, type Lab} from './helpers.js'

const FROM = '2026.9.5'
const TO = '2026.9.6'
const ID = 841
const MIN = 60_000
const MODEL_DELAY_MS = 45_000
const SESSION = 'roll-user-1'
const BROKEN = 'fleet-upgrade-test:real-broken'
const container = lab.containerName(ID) as string
const times: Record<string, number> = {}
let root = ''
let l: Lab
let composeFile = ''
let target = ''

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex')
const upgrade = async (args: string[]) => {
  const r = await fleetIn(l, ['upgrade', ...args, '--yes', '--json'], {timeoutMs: 30 * MIN})
  try {
    return {exitCode: r.exitCode, doc: JSON.parse(r.stdout)}
  } catch {
    throw new Error(`fleet upgrade printed no JSON (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`)
  }
}
const userTurn = (reply: string) => realTurn(container, FROM, {sessionId: SESSION, message: `Reply exactly ${reply}`, timeoutS: 900}, {timeoutMs: 20 * MIN})
const statusOf = async () => JSON.parse((await fleetIn(l, ['status', '--json', '-i', String(ID)])).stdout).instances[0]

beforeAll(async () => {
  const t0 = Date.now()
  target = (await buildRealImage(TO)).latest as string
  l = await realLabUp('fleet-real-rollout', ID, FROM, {onRoot: (r) => (root = r)})
  times.up = Date.now() - t0
  composeFile = path.join(root, 'openclaw', JSON.parse(readFileSync(path.join(root, 'lab.json'), 'utf8')).groups[0].composeFile)
  await deriveImage(target, BROKEN, '2026.9.7', {cmd: ['sh', '-c', 'echo "Gateway failed to start: broken build"; exit 3']})
}, 40 * MIN)

afterAll(async () => {
  console.log(`[real-openclaw-rollout] times (ms): ${JSON.stringify(times)}`)
  if (root && existsSync(path.join(root, 'lab.json'))) await lab.down({root})
  await execa('docker', ['rmi', '-f', BROKEN], {reject: false})
}, 5 * MIN)

describe(`real OpenClaw ${FROM} -> ${TO} with fleet upgrade`, () => {
  it(
    'waits for the turn in flight, then upgrades: the turn answers, the compose file names the new image, the gateway answers on 2026.9.6',
    async () => {
      const fleet = await loadFleet({configPath: l.configFile, env: {}})
      const handle = dockerFor(fleet.instances[0].docker)
      expect((await statusOf()).openclaw.version).toBe(FROM)
      const composeBefore = readFileSync(composeFile, 'utf8')
      await execa('docker', ['exec', container, 'sh', '-c', `mkdir -p /tmp/ocreal-model && echo ${MODEL_DELAY_MS} > /tmp/ocreal-model/delay-ms`], {
        timeout: MIN,
      })
      const t0 = Date.now()
      const turn = userTurn('ROLL_OK')
      let busy: GatewayWorkReading | null = null
      for (let i = 0; i < 60 && !(busy?.known && busy.tasks.length > 0); i++) {
        busy = await readGatewayWork(handle, container, 3 * MIN, FROM)
        if (!(busy?.known && busy.tasks.length > 0)) await new Promise((r) => setTimeout(r, 2000))
      }
      expect(busy, JSON.stringify(busy)).toMatchObject({known: true})
      expect(busy!.tasks.length).toBeGreaterThan(0)
      times.turnSeen = Date.now() - t0

      const u0 = Date.now()
      const {exitCode, doc} = await upgrade(['--image', target, '--drain-timeout', '10m'])
      times.upgrade = Date.now() - u0
      const answered = await turn
      expect(answered.exitCode, `${answered.stdout}\n${answered.stderr}`).toBe(0)
      expect(answered.stdout).toContain('ROLL_OK')
      expect(exitCode, JSON.stringify(doc, null, 1).slice(0, 4000)).toBe(0)
      const r = doc.instances[0]
      expect(r.outcome).toBe('upgraded')
      expect(r.steps.map((s: any) => s.step)).toEqual(['drain', 'stop', 'backup', 'switch', 'recreate', 'gate', 'ping', 'status'])
      expect(r.steps[0].detail).toContain('no active work')
      times.drain = r.drainMs
      times.downtime = r.downtimeMs
      console.log(`[real-openclaw-rollout] upgrade steps: ${JSON.stringify(r.steps.map((s: any) => [s.step, s.durationMs, s.detail.slice(0, 160)]))}`)
      console.log(`[real-openclaw-rollout] stop end: ${r.stopEnd}`)
      // Only the image value changed in the compose file.
      const after = readFileSync(composeFile, 'utf8')
      expect(after).not.toBe(composeBefore)
      expect(after.replace(target, '')).toBe(composeBefore.replace(/openclaw-real:2026\.9\.5-[0-9a-f]+/, ''))
      const st = await statusOf()
      expect(st.openclaw.version).toBe(TO)
      expect(st.ok).toBe(true)
      // The user's session is there and answers on the new version.
      const again = await userTurn('ROLL_AGAIN')
      expect(again.exitCode, `${again.stdout}\n${again.stderr}`).toBe(0)
      expect(again.stdout).toContain('ROLL_AGAIN')
    },
    60 * MIN,
  )

  it(
    'a broken image: gate fails, the compose file bytes, the state and 2026.9.6 come back, and it answers',
    async () => {
      const before = sha(composeFile)
      const u0 = Date.now()
      const {exitCode, doc} = await upgrade(['--image', BROKEN, '--gate-timeout', '3m'])
      times.brokenRollback = Date.now() - u0
      expect(exitCode, JSON.stringify(doc, null, 1).slice(0, 4000)).toBe(1)
      const r = doc.instances[0]
      console.log(
        `[real-openclaw-rollout] rollback steps: ${JSON.stringify(r.steps.map((s: any) => [s.step, s.outcome, s.durationMs, s.detail.slice(0, 160)]))}`,
      )
      expect(r.outcome).toBe('rolled-back')
      expect(r.rollback).toMatchObject({restoreFile: true, restoreState: true, recreate: true, outcome: 'answering'})
      expect(sha(composeFile)).toBe(before)
      const st = await statusOf()
      expect(st.openclaw.version).toBe(TO)
      expect(st.ok).toBe(true)
    },
    60 * MIN,
  )
})

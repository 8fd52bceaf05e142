// fleet's restart on REAL OpenClaw 2026.9.6 with a turn in flight (issue 25: "Work inside the gateway is live work",
// "Restart the way the gateway drains").
// One compose lab instance (ID 781) whose loopback model stub answers slowly, so a user turn sits inside the gateway
// (2026.9: no exec'd holder, no lock file). fleet reads that work from the gateway (readGatewayWork: the restart
// preflight), restarts with its own restart function (compose restart -t <restart.stopTimeout>), and then:
// the turn answered (its docker exec exits 0 with the reply), the boot row of the stopped gateway is a clean stop,
// and the gateway reports no work after. Times go to the test output.
import {execa} from 'execa'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as lab from '../../lab/compose.mjs'
import {loadFleet} from '../../src/config/load.js'
import type {Fleet} from '../../src/config/model.js'
import {dockerFor} from '../../src/docker/client.js'
import {inspectContainer} from '../../src/docker/discover.js'
import {breakerWarningNow, readBootHistory, readBootRows, restartGateway, stopOutcomeNow} from '../../src/docker/restart-gateway.js'
import {waitHealthy} from '../../src/openclaw/wait-ready.js'
import {readGatewayWork, type GatewayWorkReading} from '../../src/openclaw/gateway-work.js'
import {realLabUp, type Lab} from './helpers.js'

const VERSION = '2026.9.6'
const ID = 781
const MIN = 60_000
/** The model's answer delay: long enough for the preflight (2-110 s per CLI call on a busy 2-core host) and the restart to catch the turn in flight. */
const MODEL_DELAY_MS = 150_000
const container = lab.containerName(ID) as string
const times: Record<string, number> = {}
let root = ''
let l: Lab
let fleet: Fleet

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'run.js')
const fleet_ = (args: string[]) => execa('node', [BIN, ...args, '--config', l.configFile], {reject: false, timeout: 5 * MIN})
const model = (delayMs: number) =>
  execa('docker', ['exec', container, 'sh', '-c', `mkdir -p /tmp/ocreal-model && echo ${delayMs} > /tmp/ocreal-model/delay-ms`], {timeout: MIN})

beforeAll(async () => {
  const t0 = Date.now()
  l = await realLabUp('fleet-real-drain', ID, VERSION, {onRoot: (r) => (root = r)})
  times.up = Date.now() - t0
  fleet = await loadFleet({configPath: l.configFile, env: {}})
}, 30 * MIN)

afterAll(async () => {
  console.log(`[real-openclaw-drain] times (ms): ${JSON.stringify(times)}`)
  if (root && existsSync(path.join(root, 'lab.json'))) await lab.down({root})
}, 5 * MIN)

describe(`real OpenClaw ${VERSION}: a restart with a turn in flight`, () => {
  it(
    'fleet sees the turn inside the gateway, restarts with the drain budget, the turn answers, the stop is clean, and the work is 0 after',
    async () => {
      const handle = dockerFor(fleet.instances[0].docker)
      const inst = fleet.instances[0]
      const group = fleet.groups.find((g) => g.ids.includes(ID))
      expect(group).toBeDefined()
      expect(fleet.restart.stopTimeoutMs).toBe(330_000)

      const idle = await readGatewayWork(handle, container, 3 * MIN, VERSION)
      expect(idle, JSON.stringify(idle)).toMatchObject({known: true})
      times.workIdle = idle!.durationMs

      await model(MODEL_DELAY_MS)
      const t0 = Date.now()
      const turn = execa(
        'docker',
        [
          'exec',
          container,
          'openclaw',
          'agent',
          '--agent',
          'main',
          '--session-id',
          'fleet-e2e-drain',
          '--message',
          'Reply exactly DRAINED_OK',
          '--thinking',
          'low',
          '--json',
          '--timeout',
          '900',
        ],
        {
          reject: false,
          timeout: 20 * MIN,
        },
      )
      try {
        // The turn, as the gateway itself reports it: a running task with the message as its title.
        let busy: GatewayWorkReading | null = null
        for (let i = 0; i < 60 && !(busy?.known && busy.tasks.length > 0 && (busy.counts.embeddedRuns ?? 0) > 0); i++) {
          busy = await readGatewayWork(handle, container, 3 * MIN, VERSION)
          if (!(busy?.known && busy.tasks.length > 0)) await new Promise((r) => setTimeout(r, 2000))
        }
        expect(busy, JSON.stringify(busy)).toMatchObject({
          known: true,
          tasks: [expect.objectContaining({status: 'running', runtime: 'cli', title: 'Reply exactly DRAINED_OK'})],
        })
        expect(busy!.active).toBeGreaterThan(0)
        times.workBusy = busy!.durationMs
        times.turnSeenAfter = Date.now() - t0
        console.log(`[real-openclaw-drain] gateway work during the turn: ${busy!.known ? busy!.summary : ''}`)

        // fleet status --locks shows the same work, in the JSON and in the table (no lock file shows it on 2026.9).
        const st = await fleet_(['status', '--locks', '--json'])
        const work = JSON.parse(st.stdout).instances[0].work
        expect(work, JSON.stringify(work)).toMatchObject({known: true, tasks: [expect.objectContaining({title: 'Reply exactly DRAINED_OK'})]})
        expect(work.active).toBeGreaterThan(0)
        const text = await fleet_(['status', '--locks'])
        expect(text.stdout).toMatch(/GATEWAY WORK/)
        expect(text.stdout).toMatch(/\d+ active .*task running cli "Reply exactly DRAINED_OK"/)

        // heal's and watch's restart asks the boot history first: no unclean boot, so no breaker warning.
        expect(await breakerWarningNow(handle, inst, container, 3 * MIN)).toBeNull()
        const before = await inspectContainer(handle, container)
        const r0 = Date.now()
        const run = await restartGateway(fleet, handle, group, {project: before?.compose.project, services: [inst.service], container})
        times.restart = Date.now() - r0
        expect(run.exitCode, run.stderr).toBe(0)
        expect(run.detail).toMatch(/ restart -t 330 openclaw-gateway-781$/)

        const answered = await turn
        times.turn = Date.now() - t0
        expect(answered.exitCode, `${answered.stdout}\n${answered.stderr}`).toBe(0)
        expect(answered.stdout).toContain('DRAINED_OK')
        // The drain was the gateway's own: it logged its active work when SIGTERM came, before it stopped.
        const logs = await execa('docker', ['logs', '--since', new Date(r0 - 1000).toISOString(), container], {reject: false, timeout: MIN})
        expect(`${logs.stdout}\n${logs.stderr}`).toMatch(/draining active work before stop with timeout \d+ms: .*embeddedRuns=1/)

        // While the new gateway starts (20 s to minutes on this host), fleet status never says ok before the gateway's
        // own ready line: it is `starting` (issue 24, item 2, on real 2026.9.6).
        const polls: {atMs: number; ok: boolean; state: string; readiness: string}[] = []
        let readyAtMs: number | null = null
        for (let i = 0; i < 120 && readyAtMs === null; i++) {
          const st = await fleet_(['status', '--json', '-i', String(ID)])
          const inst0 = JSON.parse(st.stdout).instances[0]
          polls.push({atMs: Date.now(), ok: inst0.ok, state: inst0.life.state, readiness: inst0.life.readiness.state})
          const ready = await execa('docker', ['logs', '--timestamps', '--since', new Date(r0 - 1000).toISOString(), container], {reject: false, timeout: MIN})
          const line = `${ready.stdout}\n${ready.stderr}`.split('\n').find((x) => /\[gateway\] ready\b/.test(x))
          if (line) readyAtMs = Date.parse(line.split(' ')[0])
          else await new Promise((r) => setTimeout(r, 3000))
        }
        console.log(`[real-openclaw-drain] status during the start: ${JSON.stringify(polls.map((p) => [p.atMs - r0, p.state, p.ok]))}`)
        expect(readyAtMs).not.toBeNull()
        const beforeReady = polls.filter((p) => p.atMs < readyAtMs!)
        expect(beforeReady.length).toBeGreaterThan(0)
        for (const p of beforeReady) expect(p.ok, JSON.stringify(p)).toBe(false)
        expect(beforeReady.some((p) => p.state === 'starting')).toBe(true)

        const up = await waitHealthy(handle, container, 15 * MIN, {startedAfterMs: r0 - 1000})
        expect(up.ok, up.detail).toBe(true)
        times.readyAfterRestart = Date.now() - r0
        const boots = await readBootRows(handle, inst, container, 2 * MIN)
        expect(boots.error).toBeNull()
        const after = await inspectContainer(handle, container)
        console.log(`[real-openclaw-drain] boot rows: ${JSON.stringify(boots.rows)}`)
        // The newest row is the boot running now (open); the one before it is the stopped gateway's: a clean stop on
        // SIGTERM, completed after the restart began. No unclean boot was caused.
        const history = readBootHistory(boots.rows, {nowMs: Date.now(), runningPid: boots.rows[0]?.pid ?? null})
        expect(history.boots[0]).toMatchObject({completedAtMs: null, end: 'running'})
        expect(history.lastStop).toMatchObject({outcome: 'clean_stop', reason: 'stop (SIGTERM)', end: 'clean'})
        expect(history.lastStop!.completedAtMs!).toBeGreaterThanOrEqual(r0 - 5000)
        expect(history).toMatchObject({uncleanInWindow: 0, nearBreaker: false})
        // What heal and watch record after their restart (stop-outcome in the incident log): the same clean stop.
        expect(await stopOutcomeNow(handle, inst, container, r0, 3 * MIN)).toMatchObject({
          end: 'clean',
          detail: expect.stringContaining('clean_stop (stop (SIGTERM))'),
        })
        expect(after!.startedAtMs!).toBeGreaterThan(before!.startedAtMs!)

        // The turn is done and the new gateway is idle (a few tries: its own start-up work settles first).
        let w = await readGatewayWork(handle, container, 3 * MIN, VERSION)
        for (let i = 0; i < 5 && !(w?.known && w.active === 0); i++) w = await readGatewayWork(handle, container, 3 * MIN, VERSION)
        expect(w, JSON.stringify(w)).toMatchObject({known: true, active: 0, tasks: []})
        // Ready now: status says so, and ok.
        const final = JSON.parse((await fleet_(['status', '--json', '-i', String(ID)])).stdout).instances[0]
        expect(final.life).toMatchObject({state: 'ready', serves: true})
        expect(final.ok, JSON.stringify(final.errors)).toBe(true)
      } finally {
        await model(0).catch(() => undefined)
        await turn
      }
    },
    40 * MIN,
  )
})

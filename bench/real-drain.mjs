// Restarts with a turn in flight on REAL OpenClaw 2026.9.6 (issue 25, benchmark): fleet's restart (restartGateway, the
// call heal and watch make: `compose restart -t <restart.stopTimeout>`) against `docker restart` with Docker's default
// 10 s stop, on the same one-gateway real lab, under the same load: one user turn in a slow model (the loopback stub
// answers after --delay seconds) sent through the gateway the way users send it (`openclaw agent`, no --local).
// Per arm, per run: whether the turn in flight was killed (its `docker exec` did not exit 0 with the reply), whether
// the stopped boot was unclean (OpenClaw's own gateway_boot_lifecycle row: no completion, or forced_stop), and the
// downtime (the restart call's start to the new gateway's ready line).
//
//   node bench/real-drain.mjs [--runs 1] [--delay 60]      merges {realDrain} into bench/results.json
//
// Instance id 620; the lab lives under $TMPDIR/fleet-bench-real-drain-*/lab and is removed at the end, on failure and
// on SIGINT/SIGTERM.
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {containerName, up, waitHealthy as labWaitHealthy} from '../lab/compose.mjs'
import {DIST, log, machine, mergeResults, onSignals, removeBenchLab, ROOT_PREFIX, round, stats} from './lib.mjs'

const {values} = parseArgs({options: {runs: {type: 'string', default: '1'}, delay: {type: 'string', default: '60'}}})
const RUNS = Number(values.runs)
const DELAY_MS = Number(values.delay) * 1000
const VERSION = '2026.9.6'
const ID = 620
const MIN = 60_000
const container = containerName(ID)
const READY_RE = /\[gateway\]\S*\s+\S*ready\b/

const {loadFleet} = await import(path.join(DIST, 'config', 'load.js'))
const {dockerFor} = await import(path.join(DIST, 'docker', 'client.js'))
const {inspectContainer} = await import(path.join(DIST, 'docker', 'discover.js'))
const {readBootHistory, readBootRows, restartGateway} = await import(path.join(DIST, 'docker', 'restart-gateway.js'))
const {waitHealthy} = await import(path.join(DIST, 'openclaw', 'wait-ready.js'))
const {readGatewayWork} = await import(path.join(DIST, 'openclaw', 'gateway-work.js'))

const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}real-drain-`)), 'lab')
const unregister = onSignals(() => removeBenchLab(root))
const model = (ms) => execa('docker', ['exec', container, 'sh', '-c', `mkdir -p /tmp/ocreal-model && echo ${ms} > /tmp/ocreal-model/delay-ms`], {timeout: MIN})

/** The new gateway's first ready line after `sinceMs` (its Docker timestamp), polled; null past the cap. */
async function readyLineAfter(sinceMs, capMs = 15 * MIN) {
  const deadline = Date.now() + capMs
  while (Date.now() < deadline) {
    const r = await execa('docker', ['logs', '--timestamps', '--since', new Date(sinceMs - 1000).toISOString(), container], {reject: false, timeout: MIN})
    const line = `${r.stdout}\n${r.stderr}`.split('\n').find((x) => READY_RE.test(x) && Date.parse(x.split(' ')[0]) >= sinceMs)
    if (line) return Date.parse(line.split(' ')[0])
    await new Promise((res) => setTimeout(res, 2000))
  }
  return null
}

async function oneRun(arm, fleet, handle, group, inst) {
  await model(DELAY_MS)
  const session = `bench-drain-${arm}-${Date.now()}`
  const turn = execa('docker', ['exec', container, 'openclaw', 'agent', '--agent', 'main', '--session-id', session, '--message', 'Reply exactly DRAINED_OK', '--json', '--timeout', '900'], {
    reject: false,
    timeout: 20 * MIN,
  })
  // The turn is inside the gateway before the restart (the gateway's own report).
  let work = null
  for (let i = 0; i < 60 && !(work?.known && work.tasks.length > 0); i++) {
    work = await readGatewayWork(handle, container, 3 * MIN, VERSION)
    if (!(work?.known && work.tasks.length > 0)) await new Promise((r) => setTimeout(r, 2000))
  }
  const before = await inspectContainer(handle, container)
  const r0 = Date.now()
  if (arm === 'fleet') await restartGateway(fleet, handle, group, {project: before?.compose.project, services: [inst.service], container})
  else await execa('docker', ['restart', container], {timeout: 10 * MIN})
  const restartCallMs = Date.now() - r0
  const readyAt = await readyLineAfter(r0)
  await model(0).catch(() => undefined)
  const answered = await turn
  const killed = !(answered.exitCode === 0 && answered.stdout.includes('DRAINED_OK'))
  await waitHealthy(handle, container, 15 * MIN, {startedAfterMs: r0 - 1000})
  const boots = await readBootRows(handle, inst, container, 2 * MIN)
  const history = readBootHistory(boots.rows, {nowMs: Date.now(), runningPid: boots.rows[0]?.pid ?? null})
  const stop = history.lastStop
  // What the gateway said while it stopped (drain, close, forced): the evidence behind the boot row.
  const logs = await execa('docker', ['logs', '--timestamps', '--since', new Date(r0 - 1000).toISOString(), container], {reject: false, timeout: MIN})
  const stopLines = `${logs.stdout}\n${logs.stderr}`
    .split('\n')
    .filter((x) => /drain|forced|shutdown|shutting|clos|stop|SIGTERM|signal|timeout/i.test(x))
    .slice(0, 30)
    .map((x) => x.replace(/\x1b\[[0-9;]*m/g, '').slice(0, 300))
  const unclean = stop ? stop.end !== 'clean' : null
  const out = {
    arm,
    turnSeen: Boolean(work?.known && work.tasks.length > 0),
    killed,
    turnExit: answered.exitCode ?? answered.signal ?? null,
    stopOutcome: stop?.outcome ?? null,
    stopEnd: stop?.end ?? null,
    unclean,
    restartCallS: round(restartCallMs / 1000),
    downtimeS: readyAt === null ? null : round((readyAt - r0) / 1000),
    bootsError: boots.error,
    stopLines,
  }
  log(`${arm}: ${JSON.stringify({...out, stopLines: undefined})}`)
  for (const x of stopLines) log(`  ${x}`)
  return out
}

try {
  const t0 = Date.now()
  log(`lab: one real ${VERSION} gateway (oc${ID}) under ${root}`)
  try {
    await up({root, first: ID, size: 1, openclaw: VERSION})
  } catch (error) {
    if (!fs.existsSync(path.join(root, 'lab.json')) || !/healthy/.test(String(error))) throw error
    await labWaitHealthy([container], {timeoutMs: 15 * MIN})
  }
  const upS = round((Date.now() - t0) / 1000)
  const fleet = await loadFleet({configPath: path.join(root, 'fleet.config.yml'), env: {}})
  const inst = fleet.instances[0]
  const handle = dockerFor(inst.docker)
  const group = fleet.groups.find((g) => g.ids.includes(ID))
  const runs = []
  for (let i = 0; i < RUNS; i++) for (const arm of ['fleet', 'docker-restart']) runs.push(await oneRun(arm, fleet, handle, group, inst))
  const of = (arm) => runs.filter((r) => r.arm === arm)
  const summary = (arm) => ({
    runs: of(arm).length,
    turnsKilled: of(arm).filter((r) => r.killed).length,
    uncleanBoots: of(arm).filter((r) => r.unclean === true).length,
    downtimeS: stats(of(arm).map((r) => r.downtimeS)),
    restartCallS: stats(of(arm).map((r) => r.restartCallS)),
  })
  const result = {
    at: new Date().toISOString(),
    machine: machine(),
    version: VERSION,
    modelDelayS: DELAY_MS / 1000,
    stopTimeoutS: fleet.restart.stopTimeoutMs / 1000,
    labUpS: upS,
    fleet: summary('fleet'),
    dockerRestart: summary('docker-restart'),
    runs,
    note: "fleet: restartGateway (compose restart -t stopTimeout, as heal and watch restart); docker-restart: `docker restart` with Docker's 10 s default. Downtime: the restart call's start to the new gateway's ready line; it includes the drain (the turn's remaining model time) for fleet's arm, which keeps the turn.",
  }
  mergeResults({realDrain: result})
  console.log(JSON.stringify({fleet: result.fleet, dockerRestart: result.dockerRestart}, null, 2))
} finally {
  unregister()
  await removeBenchLab(root).catch((error) => log(`lab removal: ${error.message}`))
}

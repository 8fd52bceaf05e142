// `npm run bench`: fleet against the operators' hand-run runbook (bench/baseline-runbook.sh), side by side, on labs
// of 5, 20 and 50 instances, every figure from this one run. Writes bench/results.json, prints the table and
// regenerates the table in bench/README.md (bench/render.mjs).
//
// Usage: node bench/run.mjs [--sizes 5,20,50] [--runs 5] [--recovery-runs 5,5,5] [--no-readme]
//   --runs            runs of every timed figure (median reported)
//   --recovery-runs   recovery runs per size (each one: inject, baseline, reset, inject, fleet, reset); default --runs
//
// Per size, on one lab (ids from 700): inject the fault mix, time `fleet status` and the runbook's inspection;
// then per run inject the mix again before each tool and time it until every gateway answers SPEED_OK (order
// alternates per run), with downtime from docker events and the gateways' "ready" lines and live locks deleted;
// then `fleet ping` against the runbook's ping loop on the healed lab. Labs are removed even on failure or signal.
import {execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {LAB_LABEL, up} from '../lab/compose.mjs'
import {docker} from '../lab/run.mjs'
import {coldStart, inspectionOn, lockScan} from './status.mjs'
import {injectMix, kindOf, KINDS, recover, resetLab} from './recovery.mjs'
import {renderReadme, renderTable} from './render.mjs'
import {baseline, FIRST_ID, fleet, log, machine, median, mergeResults, onSignals, peakRssMB, ratio, removeBenchLab, RESULTS, round, ROOT_PREFIX, snapshotCli, stats, sum} from './lib.mjs'

const {values} = parseArgs({options: {sizes: {type: 'string', default: '5,20,50'}, runs: {type: 'string', default: '5'}, 'recovery-runs': {type: 'string'}, 'no-readme': {type: 'boolean', default: false}}})
const sizes = values.sizes.split(',').map(Number)
const runs = Number(values.runs)
const recoveryRuns = values['recovery-runs'] ? values['recovery-runs'].split(',').map(Number) : sizes.map(() => runs)
if (sizes.some((s) => !Number.isInteger(s) || s < 2 || s > 99) || !Number.isInteger(runs) || runs < 1 || recoveryRuns.length !== sizes.length) {
  console.error('usage: node bench/run.mjs [--sizes 5,20,50] [--runs 5] [--recovery-runs 5,5,5] [--no-readme]')
  process.exit(2)
}

const started = Date.now()
const active = new Set()
async function teardown(root) {
  if (!active.has(root)) return
  try {
    const r = await removeBenchLab(root)
    log(`lab down: ${r.removedContainers.length} containers removed in ${r.ms} ms`)
  } finally {
    active.delete(root)
  }
}
onSignals(async () => {
  for (const root of [...active]) await teardown(root).catch((e) => console.error(e.message))
})

/** Labs left by a bench that died without cleaning up (its pid is gone): removed, nothing else. */
async function clearCrashedBenchLabs() {
  const {stdout} = await docker(['ps', '-a', '--filter', `label=${LAB_LABEL}`, '--format', `{{.Label "${LAB_LABEL}"}}`])
  const prefix = path.join(os.tmpdir(), ROOT_PREFIX)
  for (const root of new Set(stdout.split('\n').filter((r) => r.startsWith(prefix)))) {
    const pidFile = path.join(path.dirname(root), 'bench.pid')
    const pid = fs.existsSync(pidFile) ? Number(fs.readFileSync(pidFile, 'utf8')) : null
    let alive = false
    try {
      if (pid) alive = process.kill(pid, 0)
    } catch {}
    if (alive) throw new Error(`another bench (pid ${pid}) runs a lab at ${root}: wait for it to finish`)
    log(`removing the lab a crashed bench left at ${root}`)
    await removeBenchLab(root)
  }
}

const versionOf = (cmd, args) => {
  try {
    return execFileSync(cmd, args, {encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim().split('\n')[0]
  } catch {
    return null
  }
}

/** Median figures of a list of recovery results. */
function summariseRecovery(list) {
  const pick = (k) => list.map((r) => r[k])
  return {
    recoveredMs: stats(pick('recoveredMs')),
    toolMs: stats(pick('toolMs')),
    downtimeS: stats(pick('downtimeS'), 2),
    downtimeStaleOrOrphanS: stats(pick('downtimeStaleOrOrphanS'), 2),
    maxDowntimePerGatewayS: stats(pick('maxDowntimePerGatewayS'), 2),
    gatewaysRestarted: stats(pick('gatewaysRestarted'), 0),
    staleOrOrphanRestarted: stats(pick('staleOrOrphanRestarted'), 0),
    locksDeleted: stats(pick('locksDeleted'), 0),
    liveLocksDeletedTotal: sum(pick('liveLocksDeleted')),
    liveLocksTotal: sum(pick('liveLocks')),
    liveLocksSurvivedTotal: sum(pick('liveLocksSurvived')),
    allAnsweredEveryRun: list.every((r) => r.allAnswered),
    exitCodes: pick('exitCode'),
    peakRssMB: list.some((r) => r.peakRssMB !== null) ? Math.max(...pick('peakRssMB').filter((x) => x !== null)) : null,
  }
}

/** What else runs on this machine and engine (the engine may be shared with other labs). */
async function context() {
  const {stdout} = await docker(['ps', '--format', '{{.Names}}'])
  const names = stdout.split('\n').filter(Boolean)
  const ours = new RegExp(`^openclaw-openclaw-gateway-(${Array.from({length: 100}, (_, i) => FIRST_ID + i).join('|')})-1$`)
  return {loadavg1m: round(os.loadavg()[0], 2), otherContainers: names.filter((n) => !ours.test(n)).length}
}

async function benchSize(size, nRecovery) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}${size}-`))
  fs.writeFileSync(path.join(tmp, 'bench.pid'), `${process.pid}\n`)
  const root = path.join(tmp, 'lab')
  active.add(root)
  const phases = {}
  const t = () => Date.now()
  const ctx = {atStart: await context()}
  try {
    let t0 = t()
    log(`${size} instances: lab up (ids ${FIRST_ID}-${FIRST_ID + size - 1})`)
    const lab = await up({root, first: FIRST_ID, size})
    phases.labUpMs = t() - t0

    t0 = t()
    let injected = await injectMix(lab)
    log(`${size}: fault mix injected in ${injected.ms} ms; inspection x${runs}`)
    const inspection = await inspectionOn(lab, {runs})
    log(`${size}: fleet status ${inspection.fleetMs.median} ms, runbook inspection ${inspection.baselineMs.median} ms`)
    await resetLab(lab, injected, null)
    phases.inspectionMs = t() - t0

    t0 = t()
    const runsOut = {baseline: [], fleet: []}
    for (let i = 0; i < nRecovery; i++) {
      const order = i % 2 === 0 ? ['baseline', 'fleet'] : ['fleet', 'baseline']
      for (const tool of order) {
        injected = await injectMix(lab)
        const r = await recover(lab, tool, injected)
        r.injectMs = injected.ms
        runsOut[tool].push(r)
        log(`${size}: run ${i + 1}/${nRecovery} ${tool}: recovered in ${r.recoveredMs} ms (exit ${r.exitCode}), downtime ${r.downtimeS} s, ${r.gatewaysRestarted} restarted, live locks deleted ${r.liveLocksDeleted}/${r.liveLocks}`)
        if (!r.allAnswered) log(`${size}: WARNING ${tool}: not every gateway answered within 3 min`)
        await resetLab(lab, injected, r)
      }
    }
    phases.recoveryMs = t() - t0

    t0 = t()
    const fleetPing = []
    const basePing = []
    for (let i = 0; i < runs; i++) {
      fleetPing.push(await fleet(['ping', '--json', '--config', lab.configFile, '--instances', 'all'], {labRoot: root}))
      basePing.push(await baseline(root, 'ping'))
    }
    // `fleet status` once more on the healed fleet (no lock anywhere: no probe exec at all).
    const clean = []
    for (let i = 0; i < runs; i++) clean.push(await fleet(['status', '--json', '--config', lab.configFile], {labRoot: root}))
    const cleanStatus = {fleetMs: stats(clean.map((c) => c.ms)), fleetInternalMs: stats(clean.map((c) => JSON.parse(c.stdout).durationMs)), peakRssMB: peakRssMB(clean), runs}
    log(`${size}: fleet status on the healed fleet ${cleanStatus.fleetMs.median} ms`)
    const pingDocs = fleetPing.map((p) => JSON.parse(p.stdout))
    const ping = {
      fleetMs: stats(fleetPing.map((p) => p.ms)),
      baselineMs: stats(basePing.map((p) => p.ms)),
      fleetAllPassed: pingDocs.every((d) => d.ok),
      baselineAllPassed: basePing.every((p) => p.code === 0),
      baselineFailures: basePing.flatMap((p) => p.lines.filter((l) => / FAIL/.test(l))),
      fleetFailures: pingDocs.flatMap((d) => d.results.filter((x) => !x.ok).map((x) => `${x.container} ${x.failure}: ${x.detail ?? ''}`.slice(0, 300))),
      peakRssMB: peakRssMB(fleetPing),
      concurrency: 4,
      runs,
    }
    ping.ratio = ratio(ping.fleetMs.median, ping.baselineMs.median)
    log(`${size}: fleet ping ${ping.fleetMs.median} ms, runbook ping loop ${ping.baselineMs.median} ms`)
    phases.pingMs = t() - t0
    ctx.atEnd = await context()

    const rb = summariseRecovery(runsOut.baseline)
    const rf = summariseRecovery(runsOut.fleet)
    const recovery = {
      runs: nRecovery,
      baseline: rb,
      fleet: rf,
      ratio: {
        recovered: ratio(rf.recoveredMs.median, rb.recoveredMs.median),
        downtime: ratio(rf.downtimeS.median, rb.downtimeS.median),
        gatewaysRestarted: ratio(rf.gatewaysRestarted.median, rb.gatewaysRestarted.median),
        pairedRecoveredMedian: round(median(runsOut.fleet.map((f, i) => f.recoveredMs / runsOut.baseline[i].recoveredMs)), 2),
      },
      baselineSteps: Object.fromEntries(['list', 'locks', 'restart', 'ping'].map((k) => [k, round(median(runsOut.baseline.map((r) => r.steps?.[k] ?? 0)))])),
      injectMs: stats([...runsOut.baseline, ...runsOut.fleet].map((r) => r.injectMs), 0),
      perRun: runsOut,
    }
    const mix = Object.fromEntries(KINDS.map((k) => [k, lab.ids.filter((_, i) => kindOf(i) === k).length]))
    return {instances: size, groups: lab.groups.length, mix, labUpMs: lab.timings.totalMs, inspection, cleanStatus, recovery, ping, phases, context: ctx}
  } finally {
    await teardown(root)
  }
}

// ---- main --------------------------------------------------------------------------------------------------
if (!fs.existsSync('/usr/bin/time')) {
  console.error('bench: GNU time (/usr/bin/time) is needed for peak RSS: apt-get install time')
  process.exit(2)
}
if ((await docker(['info', '--format', '{{.ServerVersion}}'], {reject: false, timeoutMs: 30_000})).code !== 0) {
  console.error('bench: no Docker engine answers: run `npm run lab:engine` (as root) first')
  process.exit(2)
}
await clearCrashedBenchLabs()
// The CLI under test is a copy of this build, so a rebuild of the working tree during the bench cannot break it.
const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}cli-`))
process.on('exit', () => fs.rmSync(cliDir, {recursive: true, force: true}))
snapshotCli(cliDir)
const results = {
  machine: {...machine(), docker: versionOf('docker', ['version', '--format', '{{.Server.Version}}']), compose: versionOf('docker-compose', ['version', '--short']) ?? versionOf('docker', ['compose', 'version', '--short'])},
  settings: {sizes, runs, recoveryRuns, firstId: FIRST_ID, kinds: KINDS, labLocks: {maxHold: '20s', orphanAfter: '5s'}, gatewayStartupMs: Number(process.env.OPENCLAW_LAB_STARTUP_MS ?? 1500)},
}
log(`cold start x${runs * 4}`)
const coldCtx = await context()
results.coldStart = {...(await coldStart({runs: runs * 4})), context: coldCtx}
log(JSON.stringify(results.coldStart))
log(`lock scan of 10,000 transcripts x${runs}`)
results.lockScan = await lockScan({runs})
log(JSON.stringify(results.lockScan))
results.sizes = []
for (const [i, size] of sizes.entries()) results.sizes.push(await benchSize(size, recoveryRuns[i]))
results.totalMs = Date.now() - started
// The storm (storm.mjs) and the real recovery (real-recovery.mjs) keep their own keys of the file.
const merged = mergeResults(results)
log(`written to ${path.relative(process.cwd(), RESULTS)} (total ${round(results.totalMs / 60000, 1)} min)`)
console.log(`\n${renderTable(merged)}`)
if (!values['no-readme']) {
  renderReadme(merged)
  log('bench/README.md table regenerated')
}

// `node bench/watch-slow.mjs`: how long `fleet watch --react` takes to clear a stale lock on one gateway while
// another gateway is in a restart loop (target: under 2 s, docs/watch.md's promise for --react). A lab of two: gateway A
// crash-loops (the lab's crash-after-ms control: exit 1 at each start, restart policy unless-stopped), so watch
// --auto-restart restarts it and then waits for a readiness that never comes (heal.waitTimeout, 3m by default); while
// that wait runs, an exec'd holder on gateway B is SIGKILLed, leaving its lock (stale: dead pid). Measured from the
// moment the kill has returned (the holder is dead, its lock stale) to the lock file's removal, per sample; also the interval scans done during A's wait (per minute, against
// 60/interval). Merges `watchSlow.<label>` into bench/results.json.
//
// Usage: node bench/watch-slow.mjs [--first 1364] [--samples 3] [--interval 10s] [--label after] [--bin path/to/bin/run.js] [--no-write]
// (--bin: the CLI under test, e.g. a build of another commit, for a before/after comparison; default: this repo's
// build, snapshotted.)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {instanceOf, loadLab, up} from '../lab/compose.mjs'
import * as faults from '../lab/faults.mjs'
import {docker, sleep, start} from '../lab/run.mjs'
import {BIN, fleetEnv, log, machine, mergeResults, onSignals, removeBenchLab, RESULTS, ROOT_PREFIX, round, snapshotCli, stats} from './lib.mjs'

const {values} = parseArgs({
  options: {
    first: {type: 'string', default: '1364'},
    samples: {type: 'string', default: '3'},
    interval: {type: 'string', default: '10s'},
    label: {type: 'string', default: 'after'},
    bin: {type: 'string'},
    'no-write': {type: 'boolean', default: false},
  },
})
const first = Number(values.first)
const samples = Number(values.samples)
if (!Number.isInteger(first) || first < 1 || !Number.isInteger(samples) || samples < 1 || !/^\d+s$/.test(values.interval)) {
  console.error('usage: node bench/watch-slow.mjs [--first ID] [--samples N] [--interval 10s] [--label NAME] [--bin PATH] [--no-write]')
  process.exit(2)
}
const intervalMs = Number(values.interval.slice(0, -1)) * 1000
const [A, B] = [first, first + 1]
/** Give a clear this long at most (before the fix it waited for A's whole restart wait: about 3 min). */
const CLEAR_TIMEOUT_MS = 300_000
const END_EVENTS = ['restarted', 'restart-unhealthy', 'restart-failed', 'restart-interrupted']

const events = (file) =>
  fs.existsSync(file)
    ? fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l))
    : []

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(20)
  }
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}watch-slow-`))
fs.writeFileSync(path.join(tmp, 'bench.pid'), `${process.pid}\n`)
const root = path.join(tmp, 'lab')
let bin = values.bin ? path.resolve(values.bin) : null
if (!bin) {
  const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}watch-slow-cli-`))
  process.on('exit', () => fs.rmSync(cliDir, {recursive: true, force: true}))
  snapshotCli(cliDir)
  bin = BIN
}
let watchProc = null
const cleanup = async () => {
  watchProc?.child.kill('SIGKILL')
  await removeBenchLab(root).catch((e) => console.error(e.message))
}
onSignals(cleanup)

try {
  log(`watch-slow: lab up (ids ${A}-${B})`)
  const lab = await up({root, first: A, size: 2})
  const config = path.join(root, 'fleet.watch-slow.yml')
  fs.writeFileSync(config, `${fs.readFileSync(lab.configFile, 'utf8')}heal:\n  incidentDir: incidents\n`)
  await faults.crashLoop(A, {root, afterMs: 0})
  const file = path.join(tmp, 'watch-events.jsonl')
  const argv = [bin, 'watch', '--config', config, '--events', file, '--instances', `${A}-${B}`, '--interval', values.interval, '--react', '--auto-restart']
  log(`watch-slow: ${argv.slice(1).join(' ')}`)
  watchProc = start('node', argv, {env: {CI: 'true', ...fleetEnv(root)}})
  const restart = await until(`the restart of oc${A}`, () => events(file).find((e) => e.event === 'restart' && e.instance === `oc${A}`), 360_000)
  // The restart step (compose restart) takes a few seconds; then the wait for readiness runs (3 min by default).
  await sleep(8000)
  const runs = []
  const instB = instanceOf(loadLab(root), B)
  for (let k = 0; k < samples; k++) {
    // fault (a) dead-pid, timed from the moment the holder is dead: an exec'd holder takes the lock, is SIGKILLed.
    const {holder, lock} = await faults.startHolder(instB, 3_600_000)
    const f = faults.mainSession(instB)
    await docker(['exec', instB.container, 'kill', '-KILL', `${lock.pid}`])
    const t0 = Date.now()
    void holder.exited
    let gone = null
    while (Date.now() - t0 < CLEAR_TIMEOUT_MS) {
      if (!fs.existsSync(f.hostLockPath)) {
        gone = Date.now()
        break
      }
      await sleep(20)
    }
    const all = events(file)
    const endOfWait = all.find((e) => END_EVENTS.includes(e.event) && e.instance === `oc${A}`)
    const waitEnded = endOfWait ? Date.parse(endOfWait.ts) : null
    const run = {
      clearMs: gone === null ? null : gone - t0,
      // Whether A was still in its restart wait when B's lock went (the measurement's premise).
      duringWait: gone !== null && (waitEnded === null || gone < waitEnded),
      clearedEvent: all.some((e) => e.event === 'lock-cleared' && e.instance === `oc${B}` && Date.parse(e.ts) >= t0),
    }
    runs.push(run)
    log(`watch-slow: sample ${k + 1}: cleared after ${run.clearMs === null ? 'never' : `${run.clearMs} ms`}${run.duringWait ? ", inside oc" + A + "'s restart wait" : ' (after the wait ended)'}`)
    await sleep(3000)
  }
  watchProc.child.kill('SIGTERM')
  await Promise.race([watchProc.exited, sleep(60_000)])
  const all = events(file)
  const endOfWait = all.find((e) => END_EVENTS.includes(e.event) && e.instance === `oc${A}`)
  const tEnd = endOfWait ? Date.parse(endOfWait.ts) : Date.parse(all.at(-1).ts)
  const tRestart = Date.parse(restart.ts)
  const scansInWait = all.filter((e) => e.event === 'scan' && e.reason === 'interval' && Date.parse(e.ts) > tRestart && Date.parse(e.ts) < tEnd).length
  const inWait = runs.filter((r) => r.duringWait).map((r) => r.clearMs)
  const result = {
    ...machine(),
    cli: values.bin ? values.bin : 'this repo (snapshot)',
    settings: {interval: values.interval, samples, waitTimeout: '3m (default)', lab: `ids ${A}-${B}; oc${A} crash-loops (crash-after-ms 0); a dead-pid lock on oc${B}`},
    clearMs: stats(runs.map((r) => r.clearMs).filter((x) => x !== null), 0),
    clearMsDuringWait: stats(inWait, 0),
    targetMs: 2000,
    metTarget: inWait.length > 0 && inWait.every((x) => x < 2000),
    restartWait: {event: endOfWait?.event ?? null, seconds: round((tEnd - tRestart) / 1000), intervalScans: scansInWait, expected: Math.floor((tEnd - tRestart) / intervalMs)},
    runs,
  }
  console.log(JSON.stringify(result, null, 2))
  if (!values['no-write']) {
    const old = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, 'utf8')) : {}
    mergeResults({watchSlow: {...(old.watchSlow ?? {}), [values.label]: result}})
    log(`watch-slow: written to ${RESULTS} (watchSlow.${values.label})`)
  }
} finally {
  await cleanup()
}

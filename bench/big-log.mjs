// `npm run bench:biglog`: `fleet status` on a small lab (3 instances, ids 1303-1305) where one gateway's json-file
// log is 2 GiB, against the same lab without it (issue 24: at 1.39 GB status reached 4.76 GB RSS and crashed).
// Targets: at most 1.5x the time, peak RSS under 200 MB. Merges `bigLog` into bench/results.json.
//
// The 2 GiB are lines of this incarnation (timestamps from its start to now, three lock errors at the end), written
// as the json-file driver writes them into a file beside the container's log; each big run swaps it in (rename) and
// each base run swaps the original back, so the runs alternate on one lab and the load of the machine hits both.
// (Docker 20.10 reads the file at the path, at its size: checked before timing.)
//
// Usage: node bench/big-log.mjs [--runs 5] [--gib 2]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {up} from '../lab/compose.mjs'
import {appendJsonLog, jsonLogPath} from '../lab/big-log.mjs'
import {docker} from '../lab/run.mjs'
import {fleet, log, machine, mergeResults, onSignals, peakRssMB, ratio, removeBenchLab, ROOT_PREFIX, round, snapshotCli, stats} from './lib.mjs'

const {values} = parseArgs({options: {runs: {type: 'string', default: '5'}, gib: {type: 'string', default: '2'}}})
const runs = Number(values.runs)
const gib = Number(values.gib)
if (!Number.isInteger(runs) || runs < 1 || !(gib > 0)) {
  console.error('usage: node bench/big-log.mjs [--runs 5] [--gib 2]')
  process.exit(2)
}
const FIRST = 1303
const SIZE = 3
const TARGET_RATIO = 1.5
const TARGET_RSS_MB = 200
const started = Date.now()

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}biglog-`))
fs.writeFileSync(path.join(tmp, 'bench.pid'), `${process.pid}\n`)
const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}biglog-cli-`))
snapshotCli(cliDir)
const root = path.join(tmp, 'lab')
let logFile = null
const restore = () => {
  // The original log back at its path (the big one is removed with the lab or here).
  if (logFile && fs.existsSync(`${logFile}.orig`)) fs.renameSync(`${logFile}.orig`, logFile)
  if (logFile) fs.rmSync(`${logFile}.big`, {force: true})
}
const cleanup = async () => {
  restore()
  await removeBenchLab(root)
  fs.rmSync(cliDir, {recursive: true, force: true})
}
onSignals(cleanup)

try {
  log(`lab ${FIRST}-${FIRST + SIZE - 1} up`)
  const lab = await up({root, first: FIRST, size: SIZE})
  const big = lab.containers[0]
  logFile = await jsonLogPath(big)
  const startedAt = Date.parse((await docker(['inspect', '--format', '{{.State.StartedAt}}', big])).stdout.trim())
  // The big log: a copy of the original, then ~N GiB of this incarnation's lines, three lock errors at the end.
  const bigFile = `${logFile}.big`
  fs.copyFileSync(logFile, bigFile)
  const now = Date.now()
  const lock = (n) => `[agent/embedded] SessionWriteLockTimeoutError: session file locked (timeout 10000ms): pid=6 /home/node/.openclaw/agents/main/sessions/b${n}.jsonl.lock`
  const t0 = Date.now()
  const made = await appendJsonLog(big, {bytes: gib * 1024 ** 3, fromMs: startedAt + 10, toMs: now - 2000, lines: [1, 2, 3].map((n) => ({text: lock(n), atMs: now - 1000 + n})), file: bigFile})
  log(`${(made.bytes / 1024 ** 3).toFixed(2)} GiB, ${made.lines} lines written in ${round((Date.now() - t0) / 1000)} s`)
  const swap = (toBig) => {
    if (toBig) {
      fs.renameSync(logFile, `${logFile}.orig`)
      fs.renameSync(bigFile, logFile)
    } else {
      fs.renameSync(logFile, bigFile)
      fs.renameSync(`${logFile}.orig`, logFile)
    }
  }
  const status = () => fleet(['status', '--json', '--config', lab.configFile], {labRoot: root})
  // Warm-up and check: the engine reads the swapped-in file (its last line is a lock error), and fleet counts it.
  swap(true)
  const tail = (await docker(['logs', '--tail', '1', big])).stdout
  if (!tail.includes('b3.jsonl.lock')) throw new Error(`the engine does not read the swapped-in log (last line: ${tail.slice(0, 200)})`)
  const check = JSON.parse((await status()).stdout).instances.find((i) => i.container === big).logSignature
  swap(false)
  await status()
  log(`check: ${check.count} lock errors, capped ${check.capped?.by ?? 'no'}`)
  const base = []
  const bigRuns = []
  for (let i = 0; i < runs; i++) {
    base.push(await status())
    swap(true)
    bigRuns.push(await status())
    swap(false)
    log(`run ${i + 1}/${runs}: base ${round(base.at(-1).ms)} ms ${round(base.at(-1).rssKb / 1024)} MB, big ${round(bigRuns.at(-1).ms)} ms ${round(bigRuns.at(-1).rssKb / 1024)} MB`)
  }
  const failed = [...base, ...bigRuns].filter((r) => r.code > 1)
  if (failed.length > 0) throw new Error(`fleet status failed: ${failed[0].stderr.slice(0, 500)}`)
  const baseMs = stats(base.map((r) => r.ms))
  const bigMs = stats(bigRuns.map((r) => r.ms))
  // fleet's own durationMs (the scan, without node's start): the part the log read adds to.
  const internal = (rs) => stats(rs.map((r) => JSON.parse(r.stdout).durationMs))
  const result = {
    machine: machine(),
    lab: {instances: SIZE, first: FIRST, logBytes: made.bytes, logLines: made.lines},
    baseMs,
    bigMs,
    ratio: ratio(bigMs.median, baseMs.median),
    baseInternalMs: internal(base),
    bigInternalMs: internal(bigRuns),
    internalRatio: ratio(internal(bigRuns).median, internal(base).median),
    targetRatio: TARGET_RATIO,
    basePeakRssMB: peakRssMB(base),
    bigPeakRssMB: peakRssMB(bigRuns),
    targetRssMB: TARGET_RSS_MB,
    count: {lockErrors: check.count, capped: check.capped},
    met: ratio(bigMs.median, baseMs.median) <= TARGET_RATIO && peakRssMB(bigRuns) < TARGET_RSS_MB,
    runs,
    totalMs: Date.now() - started,
  }
  mergeResults({bigLog: result})
  console.log(JSON.stringify(result, null, 2))
  log(`ratio ${result.ratio} (target <= ${TARGET_RATIO}), peak RSS ${result.bigPeakRssMB} MB (target < ${TARGET_RSS_MB}); written to bench/results.json (bigLog)`)
} finally {
  await cleanup()
}

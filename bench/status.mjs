// Benchmark: full `fleet status` on labs of 5, 20 and 50 instances with faults injected (median of 5 runs,
// peak RSS), CLI cold start against `node -e 0`, and the lock scan of a 10,000-transcript dir against find.
// Usage: node bench/status.mjs [--sizes 5,20,50] [--runs 5]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {down, up} from '../lab/compose.mjs'
import * as faults from '../lab/faults.mjs'
import {BIN, median, repeat, round, saveSection, timed} from './lib.mjs'

const {values} = parseArgs({options: {sizes: {type: 'string', default: '5,20,50'}, runs: {type: 'string', default: '5'}}})
const sizes = values.sizes.split(',').map(Number)
const runs = Number(values.runs)
const log = (s) => console.log(`[bench] ${s}`)

async function coldStart() {
  const node = await repeat(runs * 2, () => timed(['node', '-e', '0']))
  const version = await repeat(runs * 2, () => timed(['node', BIN, '--version']))
  const help = await repeat(runs * 2, () => timed(['node', BIN, 'status', '--help']))
  const r = {nodeMs: round(median(node.map((x) => x.ms))), versionMs: round(median(version.map((x) => x.ms))), statusHelpMs: round(median(help.map((x) => x.ms)))}
  return {...r, versionRatio: round(r.versionMs / r.nodeMs, 2), statusHelpRatio: round(r.statusHelpMs / r.nodeMs, 2), target: '<= 3x node -e 0'}
}

async function statusAt(size) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `fleet-bench-status-${size}-`))
  const first = 600
  const lab = await up({root: path.join(root, 'lab'), first, size})
  try {
    const r = lab.root
    // A few real faults so the probe and judge have work: dead pid, orphan, malformed locks.
    await faults.deadPid(first, {root: r})
    await faults.orphan(first + 1, {root: r})
    await faults.malformedLocks(first + 2, {root: r})
    const samples = await repeat(runs, () => timed(['node', BIN, 'status', '--json', '--config', lab.configFile]))
    const doc = JSON.parse(samples.at(-1).stdout)
    return {
      instances: size,
      wallMs: round(median(samples.map((s) => s.ms))),
      internalMs: round(median(samples.map((s) => JSON.parse(s.stdout).durationMs))),
      peakRssMB: round(Math.max(...samples.map((s) => s.rssKb)) / 1024),
      locks: doc.summary.locks,
      runs,
      labUpMs: lab.timings.totalMs,
    }
  } finally {
    await down({root: lab.root})
  }
}

async function lockScan() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-scan-'))
  const sessions = path.join(dir, 'data', 'oc1', 'config', 'agents', 'main', 'sessions')
  fs.mkdirSync(sessions, {recursive: true})
  for (let i = 0; i < 10_000; i++) fs.writeFileSync(path.join(sessions, `${String(i).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd.jsonl`), '{"type":"message"}\n')
  for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(sessions, `lock${i}.jsonl.lock`), JSON.stringify({pid: 99999, createdAt: new Date().toISOString(), starttime: 1}, null, 2))
  const script = `import('${path.join(path.dirname(BIN), '..', 'dist', 'locks', 'scan.js')}').then(async (m) => { const t = process.hrtime.bigint(); const r = await m.scanSessionsDir({dir: ${JSON.stringify(sessions)}, containerDir: '/c', agent: 'main'}); console.log(JSON.stringify({n: r.locks.length, ms: Number(process.hrtime.bigint() - t) / 1e6})) })`
  const fleetScan = await repeat(runs, () => timed(['node', '-e', script]))
  const find = await repeat(runs, () => timed(['find', sessions, '-name', '*.jsonl.lock']))
  fs.rmSync(dir, {recursive: true, force: true})
  return {
    transcripts: 10_000,
    fleetScanMs: round(median(fleetScan.map((s) => JSON.parse(s.stdout).ms)), 2),
    findProcessMs: round(median(find.map((s) => s.ms)), 2),
    locksFound: JSON.parse(fleetScan[0].stdout).n,
    note: 'fleetScanMs is the in-process scan (one readdir, names filtered before any stat); findProcessMs includes spawning find',
  }
}

log('cold start')
const cold = await coldStart()
log(JSON.stringify(cold))
const status = []
for (const size of sizes) {
  log(`status at ${size} instances`)
  status.push(await statusAt(size))
  log(JSON.stringify(status.at(-1)))
}
log('lock scan of 10,000 transcripts')
const scan = await lockScan()
log(JSON.stringify(scan))
saveSection('status', {coldStart: cold, status, lockScan: scan, targets: {status50Ms: 2000, peakRssMB: 150, coldStartRatio: 3}})
log('written to bench/results.json')

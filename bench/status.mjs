// Inspection benchmarks, importable by bench/run.mjs: `fleet status` against the runbook's inspection (docker ps
// | grep | sort -V, then find -print per instance) on a lab, CLI cold start against `node -e 0`, and the lock scan
// of a 10,000-transcript sessions dir against find.
// Standalone: node bench/status.mjs [--sizes 5,20,50] [--runs 5]  (prints JSON; `npm run bench` writes results.json)
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {up} from '../lab/compose.mjs'
import {injectMix} from './recovery.mjs'
import {baseline, BIN, DIST, FIRST_ID, fleet, log, median, peakRssMB, ratio, removeBenchLab, ROOT_PREFIX, round, stats, timed} from './lib.mjs'

/** `node -e 0`, `fleet --version`, `fleet status --help`: median wall ms of `runs` each, interleaved; ratios to node. */
export async function coldStart({runs = 10} = {}) {
  const node = []
  const version = []
  const help = []
  await timed(['node', BIN, '--version']) // warm the page cache once
  for (let i = 0; i < runs; i++) {
    node.push((await timed(['node', '-e', '0'])).ms)
    version.push((await timed(['node', BIN, '--version'])).ms)
    help.push((await timed(['node', BIN, 'status', '--help'])).ms)
  }
  const r = {nodeMs: round(median(node)), versionMs: round(median(version)), statusHelpMs: round(median(help)), runs}
  return {...r, versionRatio: ratio(r.versionMs, r.nodeMs), statusHelpRatio: ratio(r.statusHelpMs, r.nodeMs)}
}

/**
 * On a running (faulty) lab: `fleet status --json` and the runbook's inspection (`baseline-runbook.sh --mode
 * inspect`), `runs` each, interleaved. Wall ms (process start to exit), fleet's own durationMs, peak RSS.
 */
export async function inspectionOn(lab, {runs = 5} = {}) {
  const fleetRuns = []
  const baseRuns = []
  for (let i = 0; i < runs; i++) {
    fleetRuns.push(await fleet(['status', '--json', '--config', lab.configFile], {labRoot: lab.root}))
    baseRuns.push(await baseline(lab.root, 'inspect'))
  }
  const docs = fleetRuns.map((s) => JSON.parse(s.stdout))
  const fleetMs = stats(fleetRuns.map((s) => s.ms))
  const baselineMs = stats(baseRuns.map((s) => s.ms))
  return {
    fleetMs,
    fleetInternalMs: stats(docs.map((d) => d.durationMs)),
    baselineMs,
    ratio: ratio(fleetMs.median, baselineMs.median),
    peakRssMB: peakRssMB(fleetRuns),
    locksSeen: {fleet: docs.at(-1).summary.locks, baseline: baseRuns.at(-1).lines.filter((l) => l.endsWith('.jsonl.lock')).length},
    runs,
  }
}

/** 10,000 transcripts + 3 locks: fleet's scanner (in process, dist/locks/scan.js) against `find -name '*.jsonl.lock'`. */
export async function lockScan({runs = 5} = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}scan-`))
  try {
    const sessions = path.join(dir, 'data', 'oc1', 'config', 'agents', 'main', 'sessions')
    fs.mkdirSync(sessions, {recursive: true})
    for (let i = 0; i < 10_000; i++) fs.writeFileSync(path.join(sessions, `${String(i).padStart(8, '0')}-aaaa-bbbb-cccc-dddddddddddd.jsonl`), '{"type":"message"}\n')
    for (let i = 0; i < 3; i++) fs.writeFileSync(path.join(sessions, `lock${i}.jsonl.lock`), JSON.stringify({pid: 99999, createdAt: new Date().toISOString(), starttime: 1}, null, 2))
    const scanJs = path.join(DIST, 'locks', 'scan.js')
    const script = `import(${JSON.stringify(scanJs)}).then(async (m) => { const t = process.hrtime.bigint(); const r = await m.scanSessionsDir({dir: ${JSON.stringify(sessions)}, containerDir: '/c', agent: 'main'}); console.log(JSON.stringify({n: r.locks.length, ms: Number(process.hrtime.bigint() - t) / 1e6})) })`
    const fleetScan = []
    const find = []
    for (let i = 0; i < runs; i++) {
      fleetScan.push(await timed(['node', '-e', script]))
      find.push(await timed(['find', sessions, '-name', '*.jsonl.lock']))
    }
    const parsed = fleetScan.map((s) => JSON.parse(s.stdout))
    const r = {transcripts: 10_000, locks: 3, fleetScanMs: round(median(parsed.map((p) => p.ms)), 2), findProcessMs: round(median(find.map((s) => s.ms)), 2), locksFound: {fleet: parsed[0].n, find: find[0].stdout.split('\n').filter(Boolean).length}, runs}
    return {...r, ratio: ratio(r.fleetScanMs, r.findProcessMs), note: "fleetScanMs: the scan in process (one readdir, names filtered before any stat); findProcessMs: `find` as a process, spawn included"}
  } finally {
    fs.rmSync(dir, {recursive: true, force: true})
  }
}

// ---- standalone --------------------------------------------------------------------------------------------
async function main() {
  const {values} = parseArgs({options: {sizes: {type: 'string', default: '5,20,50'}, runs: {type: 'string', default: '5'}}})
  const runs = Number(values.runs)
  const out = {coldStart: await coldStart({runs: runs * 2}), lockScan: await lockScan({runs}), inspection: []}
  for (const size of values.sizes.split(',').map(Number)) {
    log(`status at ${size} instances`)
    const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}status-${size}-`)), 'lab')
    try {
      const lab = await up({root, first: FIRST_ID, size})
      await injectMix(lab) // the same fault mix as `npm run bench`
      out.inspection.push({instances: size, ...(await inspectionOn(lab, {runs}))})
    } finally {
      await removeBenchLab(root)
    }
  }
  console.log(JSON.stringify(out, null, 2))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main()

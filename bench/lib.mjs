// Shared benchmark helpers: timing under GNU time (wall ms, peak RSS), medians, the CLI snapshot, the runbook,
// signal cleanup.
import {execFile, execFileSync} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {down} from '../lab/compose.mjs'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const RESULTS = path.join(REPO, 'bench', 'results.json')
/** The CLI under test: bin/run.js of the repo, or of the snapshot snapshotCli() made. */
export let BIN = path.join(REPO, 'bin', 'run.js')
/** dist/ of the CLI under test. */
export let DIST = path.join(REPO, 'dist')

/**
 * Copies the built CLI (package.json, oclif.manifest.json, bin/, dist/; node_modules linked) to dir and points
 * BIN/DIST there, so that a rebuild of the working tree during a long bench (rm -rf dist) cannot break it.
 */
export function snapshotCli(dir) {
  for (const f of ['package.json', 'oclif.manifest.json']) fs.copyFileSync(path.join(REPO, f), path.join(dir, f))
  for (const d of ['bin', 'dist']) fs.cpSync(path.join(REPO, d), path.join(dir, d), {recursive: true})
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'))
  BIN = path.join(dir, 'bin', 'run.js')
  DIST = path.join(dir, 'dist')
  return dir
}

/** Runs argv under /usr/bin/time -f '%e %M'; resolves {ms, rssKb, code, stdout, stderr}. */
export function timed(argv, {cwd = REPO, env = {}} = {}) {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint()
    execFile('/usr/bin/time', ['-f', 'TIME %e %M', ...argv], {cwd, env: {...process.env, CI: 'true', ...env}, maxBuffer: 256 * 1024 * 1024}, (error, stdout, stderr) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6
      const m = /TIME (\S+) (\d+)\s*$/.exec(stderr)
      resolve({ms, rssKb: m ? Number(m[2]) : null, code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr: m ? stderr.slice(0, m.index) : stderr})
    })
  })
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  const n = s.length
  return n === 0 ? null : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
}

export function machine() {
  return {date: new Date().toISOString(), commit: gitCommit(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release()}
}

/** The commit the bench ran from, `+dirty` when the working tree had changes (null outside git). */
function gitCommit() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim()
    // The bench's own outputs (written by an earlier part of the same `npm run bench`) do not make the code dirty.
    const outputs = new Set(['bench/results.json', 'bench/README.md'])
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
      .split('\n')
      .filter((l) => l.trim() !== '' && !outputs.has(l.slice(3)))
    const dirty = changed.length > 0
    return dirty ? `${head}+dirty` : head
  } catch {
    return null
  }
}

export const round = (x, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d)

// ---- shared by run.mjs, status.mjs and recovery.mjs ----------------------------------------------------------
export const BASELINE = path.join(REPO, 'bench', 'baseline-runbook.sh')
/** Bench labs use instance ids from 700 (other labs on the shared engine use other ranges). */
export const FIRST_ID = 700
/** Prefix of every bench lab root (under os.tmpdir()); a crashed bench's labs are recognised by it. */
export const ROOT_PREFIX = 'fleet-bench-'
// Progress lines go to stderr: stdout carries the results (the table, or the JSON of a standalone part).
export const log = (s) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`)
export const ratio = (a, b) => (a === null || b === null || b === 0 ? null : round(a / b, 2))
export const sum = (xs) => xs.reduce((a, b) => a + b, 0)
/** Peak RSS (MB) over timed runs (`timed` records each one's rssKb). */
export const peakRssMB = (runs) => round(Math.max(...runs.map((r) => r.rssKb)) / 1024)

/** Removes a bench lab: its containers, then its temp dir (the lab root's parent). Resolves down()'s answer. */
export async function removeBenchLab(root) {
  try {
    return await down({root})
  } finally {
    fs.rmSync(path.dirname(root), {recursive: true, force: true})
  }
}

/** Environment of every fleet run: incident logs and run locks under the lab root, not in $HOME. */
export const fleetEnv = (labRoot) => ({XDG_STATE_HOME: path.join(labRoot, 'fleet-state')})

/** `node bin/run.js <args>` under GNU time. */
export const fleet = (args, {labRoot} = {}) => timed(['node', BIN, ...args], {env: labRoot ? fleetEnv(labRoot) : {}})

/**
 * bench/baseline-runbook.sh under GNU time; adds steps: {list, locks, restart, ping} in ms (from the script's
 * `STEP <name> <epoch>` lines) and the runbook's stdout lines.
 */
export async function baseline(root, mode = 'full') {
  const r = await timed(['bash', BASELINE, '--root', root, '--mode', mode])
  const marks = [...r.stderr.matchAll(/^STEP (\S+) (\d+\.\d+)$/gm)].map((m) => ({name: m[1], at: Number(m[2]) * 1000}))
  const steps = {}
  for (let i = 0; i + 1 < marks.length; i++) steps[marks[i].name] = round(marks[i + 1].at - marks[i].at)
  return {...r, steps, lines: r.stdout.split('\n').filter(Boolean)}
}

/**
 * Sets the given top-level keys of bench/results.json and keeps every other one: the table (bench/run.mjs), the
 * storm (storm.mjs) and the real recovery (real-recovery.mjs) run apart and share the file.
 */
export function mergeResults(parts, file = RESULTS) {
  const old = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}
  const merged = {...old, ...parts}
  fs.writeFileSync(file, `${JSON.stringify(merged, null, 2)}\n`)
  return merged
}

/** Stats of a list of numbers: {median, min, max, n}. */
export const stats = (xs, d = 1) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x))
  return {median: round(median(v), d), min: v.length ? round(Math.min(...v), d) : null, max: v.length ? round(Math.max(...v), d) : null, n: v.length}
}

/** Runs cleanups (once) on SIGINT/SIGTERM/SIGHUP, then exits 130; returns an unregister function. */
export function onSignals(cleanup) {
  let running = false
  const handler = async (signal) => {
    if (running) return
    running = true
    console.error(`[bench] ${signal}: cleaning up`)
    try {
      await cleanup()
    } finally {
      process.exit(130)
    }
  }
  for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, handler)
  return () => {
    for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(s, handler)
  }
}

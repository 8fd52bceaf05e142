// Shared benchmark helpers: timing with medians, peak RSS through GNU time, results file merging.
import {execFile} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const RESULTS = path.join(REPO, 'bench', 'results.json')
export const BIN = path.join(REPO, 'bin', 'run.js')

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

export async function repeat(n, fn) {
  const out = []
  for (let i = 0; i < n; i++) out.push(await fn(i))
  return out
}

export function machine() {
  return {date: new Date().toISOString(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kernel: os.release()}
}

/** Merges one section into bench/results.json (other sections stay). */
export function saveSection(name, value) {
  const all = fs.existsSync(RESULTS) ? JSON.parse(fs.readFileSync(RESULTS, 'utf8')) : {}
  all.machine = machine()
  all[name] = value
  fs.writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`)
}

export const round = (x, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d)

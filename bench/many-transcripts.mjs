// Many transcripts (issue 24): `fleet status`, `fleet heal --dry-run` and `fleet doctor` on one instance whose sessions
// dir holds 100,000 transcripts and 3 locks, through this host's disk (locks.access: host) and through the Docker API
// (locks.access: docker), against the same lab with the transcripts moved away. Only lock files should cost anything:
// the "with" and "without" times should be close. --baseline <dir> also times another build (a checkout of an
// older commit, built: <dir>/bin/run.js) on the same lab, interleaved, for before/after figures under the same load.
// Lab range: 1381 (the range of test/e2e/many-transcripts.test.ts: do not run both at once).
// Usage: node bench/many-transcripts.mjs [--runs 3] [--count 100000] [--baseline DIR] [--no-write]
import {execFileSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {up} from '../lab/compose.mjs'
import {gatewayInfo} from '../lab/faults.mjs'
import {BIN, fleetEnv, log, machine, mergeResults, onSignals, peakRssMB, removeBenchLab, ROOT_PREFIX, round, stats, timed} from './lib.mjs'

export const MANY_TRANSCRIPTS_ID = 1381
/** The 3 locks seedManyTranscripts writes, by file name. */
export const SEEDED_LOCKS = ['dead-holder.jsonl.lock', 'gateway-turn.jsonl.lock', 'string-pid.jsonl.lock']

/**
 * Fills the sessions dir of instance `id` with `count` empty transcripts (the directory entry is what costs) and 3 locks:
 * a dead holder's (pid 4242), one whose pid is a string (invalid-pid), and the gateway's own with a createdAt an hour
 * ahead (future-createdAt; its mtime, now, times the hold). Returns the dir and the gateway's pid.
 */
export async function seedManyTranscripts(lab, id, {count = 100_000} = {}) {
  const dir = path.join(lab.root, 'data', `oc${id}`, 'config', 'agents', 'main', 'sessions')
  for (let i = 0; i < count; i++) fs.closeSync(fs.openSync(path.join(dir, `${randomUUID()}.jsonl`), 'w'))
  const gw = await gatewayInfo(`openclaw-openclaw-gateway-${id}-1`)
  const now = Date.now()
  const write = (name, payload) => fs.writeFileSync(path.join(dir, name), JSON.stringify(payload, null, 2))
  write('dead-holder.jsonl.lock', {pid: 4242, createdAt: new Date(now).toISOString(), starttime: 12345})
  write('string-pid.jsonl.lock', {pid: String(gw.pid), createdAt: new Date(now).toISOString()})
  write('gateway-turn.jsonl.lock', {pid: gw.pid, createdAt: new Date(now + 3_600_000).toISOString(), starttime: gw.starttime})
  return {dir, gatewayPid: gw.pid}
}

/** A copy of the lab's config with locks.access set (probeTimeout 90s: a busy shared engine must not turn a slow scan into a fast error). */
function accessConfig(lab, access) {
  const file = path.join(lab.root, `fleet.${access}.yml`)
  fs.writeFileSync(file, fs.readFileSync(lab.configFile, 'utf8').replace(/^locks:\n/m, `locks:\n  access: ${access}\n  probeTimeout: 90s\n`))
  return file
}

const COMMANDS = {status: ['status', '--json'], heal: ['heal', '--dry-run', '--json'], doctor: ['doctor', '--json']}
/** doctor reads a sessions dir only through this host's disk (its disk check); through the Docker API it does not list it. */
const ACCESS_COMMANDS = {host: ['status', 'heal', 'doctor'], docker: ['status', 'heal']}

/** The verdict counts a status run saw ({stale: 2, hung: 1} with the 3 locks), else null. */
const verdictsOf = (r) => {
  try {
    const counts = JSON.parse(r.stdout).summary?.locks ?? {}
    return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0))
  } catch {
    return null
  }
}

/** Each command of each CLI `runs` times, interleaved; wall ms, peak RSS, exit codes, and the verdicts status saw. */
async function timeAll(lab, clis, configs, runs) {
  const out = {}
  for (let i = 0; i < runs; i++)
    for (const [cli, bin] of Object.entries(clis))
      for (const [access, config] of Object.entries(configs))
        for (const name of ACCESS_COMMANDS[access]) {
          const r = await timed(['node', bin, ...COMMANDS[name], '--config', config], {env: fleetEnv(lab.root)})
          const key = `${cli}.${access}.${name}`
          ;(out[key] ??= []).push(r)
          log(`${key}: ${round(r.ms)} ms, exit ${r.code}${name === 'status' ? `, locks ${JSON.stringify(verdictsOf(r))}` : ''}`)
        }
  return Object.fromEntries(
    Object.entries(out).map(([k, rs]) => [
      k,
      {ms: stats(rs.map((r) => r.ms)), peakRssMB: peakRssMB(rs), exitCodes: [...new Set(rs.map((r) => r.code))], ...(k.endsWith('.status') ? {verdicts: rs.map(verdictsOf)} : {})},
    ]),
  )
}

async function main() {
  const {values} = parseArgs({options: {runs: {type: 'string', default: '3'}, count: {type: 'string', default: '100000'}, baseline: {type: 'string'}, 'no-write': {type: 'boolean', default: false}}})
  const runs = Number(values.runs)
  const count = Number(values.count)
  const clis = {current: BIN, ...(values.baseline ? {baseline: path.join(path.resolve(values.baseline), 'bin', 'run.js')} : {})}
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}many-`)), 'lab')
  const unregister = onSignals(() => removeBenchLab(root))
  const context = () => ({date: new Date().toISOString(), loadavg: os.loadavg().map((x) => round(x, 2))})
  const result = {settings: {count, locks: SEEDED_LOCKS.length, runs, instance: MANY_TRANSCRIPTS_ID, clis: Object.keys(clis)}, machine: {...machine(), atStart: context()}}
  try {
    log(`lab up (id ${MANY_TRANSCRIPTS_ID})`)
    const lab = await up({root, first: MANY_TRANSCRIPTS_ID, size: 1})
    const t0 = Date.now()
    const {dir} = await seedManyTranscripts(lab, MANY_TRANSCRIPTS_ID, {count})
    log(`${count} transcripts and 3 locks in ${Date.now() - t0} ms`)
    await new Promise((r) => setTimeout(r, 6_000)) // the string-pid lock past the 5 s malformedGrace
    const configs = {host: accessConfig(lab, 'host'), docker: accessConfig(lab, 'docker')}
    // warm the page cache and the lab's node once
    await timed(['node', BIN, 'status', '--config', configs.host])
    result.with = await timeAll(lab, clis, configs, runs)
    // The same lab without the transcripts: the dir moved aside, the locks and the index copied into a new one.
    const aside = `${dir}.aside`
    fs.renameSync(dir, aside)
    fs.mkdirSync(dir)
    for (const n of fs.readdirSync(aside).filter((x) => !x.endsWith('.jsonl'))) {
      fs.copyFileSync(path.join(aside, n), path.join(dir, n))
      const st = fs.statSync(path.join(aside, n))
      fs.utimesSync(path.join(dir, n), st.atime, st.mtime)
    }
    log(`without the transcripts: ${fs.readdirSync(dir).join(', ')}`)
    execFileSync('chmod', ['--reference', aside, dir])
    result.without = await timeAll(lab, {current: BIN}, configs, runs)
    result.machine.atEnd = context()
    result.summary = Object.fromEntries(
      Object.keys(result.with).map((k) => {
        const w = result.with[k].ms.median
        const wo = result.without[k.replace(/^baseline\./, 'current.')]?.ms.median ?? null
        return [k, {withMs: w, withoutMs: wo, transcriptCostMs: wo === null ? null : round(w - wo)}]
      }),
    )
  } finally {
    await removeBenchLab(root)
    unregister()
  }
  console.log(JSON.stringify(result, null, 2))
  if (!values['no-write']) mergeResults({manyTranscripts: result})
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main()

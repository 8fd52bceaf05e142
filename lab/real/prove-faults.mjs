#!/usr/bin/env node
// Prove the faults of lab/real/faults.mjs on real OpenClaw and measure what users see:
//   node lab/real/prove-faults.mjs <version> [fault...] [--first ID] [--root DIR] [--keep]
// Brings up a real lab (instances 801+, root /tmp/wt-b-faults-<version> unless --root; two instances when
// shared-state is asked for), then for each fault that applies to the version (all of them by default): a fresh
// instance (clearFaults), inject, OpenClaw's own judgement, one real smoke turn (exit code, error text, time), the
// gateway log and OpenClaw's file log, the host's /proc/locks for the SQLite faults, then end the fault the way a
// heal would, judge again, and one more real turn (must answer SPEED_OK). Prints a JSON report (also written next
// to the lab root as faults-report-<version>.json) and takes the lab down unless --keep.
import fs from 'node:fs'
import {parseArgs} from 'node:util'
import {down, up} from '../compose.mjs'
import {clearFaults} from '../faults.mjs'
import {FAULTS, faultApplies, hostSqliteLocks, printable, realLogs, realTurn} from './faults.mjs'

const USAGE = 'usage: node lab/real/prove-faults.mjs <version> [fault...] [--first ID] [--root DIR] [--keep]'
const {values: o, positionals} = parseArgs({options: {first: {type: 'string'}, root: {type: 'string'}, keep: {type: 'boolean'}, help: {type: 'boolean', short: 'h'}}, allowPositionals: true})
const [version, ...asked] = positionals
if (o.help || !version || !/^\d{4}\.\d{1,2}\.\d{1,3}$/.test(version)) {
  console.error(USAGE)
  process.exit(o.help ? 0 : 2)
}
const unknown = asked.filter((f) => !FAULTS[f])
if (unknown.length) {
  console.error(`unknown fault(s) ${unknown.join(', ')}; one of: ${Object.keys(FAULTS).join(', ')}\n${USAGE}`)
  process.exit(2)
}
const faults = (asked.length ? asked : Object.keys(FAULTS)).filter((f) => faultApplies(f, version))
const first = Number(o.first ?? 801)
const root = o.root ?? `/tmp/wt-b-faults-${version}`
const log = (line) => console.error(`[prove-faults ${version}] ${line}`)
const SQLITE = {'sqlite-writer': 'agent', 'state-writer': 'state'}

/** Variants run per fault (options to inject). */
const VARIANTS = {
  'sqlite-writer': [{timeout: 30}, {timeout: 30, stop: true, killClient: true}],
  'state-writer': [{timeout: 30}],
  'live-holder': [{timeout: 30}],
  'previous-incarnation': [{legacy: false}, {legacy: true}],
  frozen: [{midTurn: false}],
  paused: [{midTurn: false}],
}

async function proveOne(name, opts, instance) {
  const entry = FAULTS[name]
  const row = {fault: name, options: opts}
  const t0 = Date.now()
  row.fresh = await clearFaults(instance, {root})
  const fault = await entry.inject(instance, {root, ...opts})
  row.injected = {...printable(fault), ms: Date.now() - t0 - row.fresh.ms}
  if (entry.judge) row.openclawJudgement = await entry.judge(instance, {root}).catch((error) => ({error: error.message}))
  const since = Date.now()
  // A turn on a stopped or paused container fails at docker exec; a frozen gateway's turn waits its --timeout.
  row.turn = await realTurn(instance, {root, timeoutMs: 240_000, timeoutS: ['frozen', 'paused', 'orphan'].includes(name) ? 60 : undefined})
  if (SQLITE[name]) row.hostLocksDuringTurn = hostSqliteLocks(instance, {root, db: SQLITE[name]}).lines
  row.logs = await realLogs(instance, {root, since}).catch((error) => ({error: error.message}))
  const t1 = Date.now()
  row.end = await entry.end(fault)
  if (entry.judge) row.openclawJudgementAfterEnd = await entry.judge(instance, {root}).catch((error) => ({error: error.message}))
  row.turnAfterEnd = await realTurn(instance, {root, timeoutMs: 240_000})
  row.recoveredMs = Date.now() - t1
  if (SQLITE[name]) row.hostLocksAfterEnd = hostSqliteLocks(instance, {root, db: SQLITE[name]}).lines
  // ok: the fault was made, and once ended the next real turn answers (whether the turn during the fault failed is
  // the finding, recorded in turn; some faults are reclaimed by OpenClaw itself, e.g. dead-pid)
  row.ok = row.turnAfterEnd.ok
  log(`${name} ${JSON.stringify(opts)}: turn exit ${row.turn.code} in ${row.turn.ms} ms (${row.turn.error ?? row.turn.text}); after end: ${row.turnAfterEnd.text || row.turnAfterEnd.error} in ${row.turnAfterEnd.ms} ms`)
  return row
}

const report = {version, at: new Date().toISOString(), faults: []}
let exit = 0
try {
  const size = faults.includes('shared-state') ? 2 : 1
  log(`up: ${size} instance(s) from ${first} under ${root}`)
  report.up = (await up({root, first, size, openclaw: version, log})).timings
  for (const name of faults) {
    for (const opts of VARIANTS[name] ?? [{}]) {
      try {
        report.faults.push(await proveOne(name, opts, name === 'shared-state' ? first + 1 : first))
      } catch (error) {
        log(`${name} FAILED: ${error.message}`)
        report.faults.push({fault: name, options: opts, error: error.message})
      }
    }
  }
  report.ok = report.faults.every((f) => f.ok)
} catch (error) {
  report.error = error.message
  report.ok = false
} finally {
  if (!o.keep) await down({root}).catch((error) => log(`down failed: ${error.message}`))
  else log(`kept the lab at ${root}: node lab/lab.mjs down --root ${root}`)
}
if (!report.ok) exit = 1
const out = JSON.stringify(report, null, 2)
fs.writeFileSync(`${root.replace(/\/$/, '')}-report.json`, `${out}\n`)
console.log(out)
process.exit(exit)

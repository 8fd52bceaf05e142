#!/usr/bin/env node
// Restarts avoided by the one restart rule (issue: heal restarted on any failed ping), measured on the lab:
// the same fault mix, healed by a given fleet build (`--bin`, default this repo's) with `heal --probe --json`.
// Mix per 6 instances: 2 gateways with no API key (auth), 1 answering a wrong reply, each with a stale lock too;
// 1 frozen gateway (hung: must restart); 2 with only a stale lock. A restart cures only the frozen one.
//   node bench/restart-decisions.mjs [--bin path/to/bin/run.js] [--strip-keys deadlineMargin,execClients] [--out file.json]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {execFile} from 'node:child_process'
import * as lab from '../lab/compose.mjs'
import * as faults from '../lab/faults.mjs'
import {REPO} from './lib.mjs'

const {values} = parseArgs({options: {bin: {type: 'string'}, 'strip-keys': {type: 'string'}, out: {type: 'string'}, first: {type: 'string', default: '881'}}})
const bin = values.bin ?? path.join(REPO, 'bin', 'run.js')
const first = Number(values.first)
const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-restarts-')), 'lab')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

const l = await lab.up({root, first, size: 6})
try {
  const ids = l.ids
  let config = fs.readFileSync(l.configFile, 'utf8').replace(/maxHold: \S+/, 'maxHold: 8s')
  // An older fleet refuses config keys it does not know: strip them for it.
  for (const key of (values['strip-keys'] ?? '').split(',').filter(Boolean)) config = config.replace(new RegExp(`^\\s*${key}:.*\\n`, 'm'), '')
  const cfg = path.join(root, 'fleet.bench.yml')
  fs.writeFileSync(cfg, `${config}heal:\n  incidentDir: incidents\n  waitTimeout: 60s\n`)
  await faults.frozen(ids[4], {root})
  for (const id of [ids[0], ids[1], ids[2], ids[3], ids[5]]) await faults.deadPid(id, {root})
  await faults.modelError(ids[0], {root})
  await faults.modelError(ids[1], {root})
  await faults.wrongReply(ids[2], {root})
  await sleep(9_000) // the frozen gateway's lock past maxHold
  const started = Date.now()
  const r = await new Promise((resolve) => execFile('node', [bin, 'heal', '--config', cfg, '--probe', '--json'], {env: {...process.env, CI: 'true'}, maxBuffer: 64 * 1024 * 1024, timeout: 600_000}, (error, stdout, stderr) => resolve({code: error?.code ?? 0, stdout, stderr})))
  const doc = JSON.parse(r.stdout)
  const restarted = doc.instances.filter((i) => i.restarted).map((i) => i.name)
  const waits = doc.instances.flatMap((i) => i.actions.filter((a) => a.type === 'wait').map((a) => ({instance: i.name, ms: a.durationMs, detail: a.detail})))
  const result = {bin, exitCode: r.code, restarted, restartsNeeded: [`oc${ids[4]}`], restartsAvoidable: restarted.filter((n) => n !== `oc${ids[4]}`).length, waits, healMs: Date.now() - started}
  console.log(JSON.stringify(result, null, 2))
  if (values.out) fs.writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`)
} finally {
  await lab.down({root})
}

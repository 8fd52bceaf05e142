#!/usr/bin/env node
// The lab CLI (npm run lab:up / lab:down / lab:break):
//   node lab/lab.mjs up     [--size 5] [--first 7] [--root DIR] [--openclaw sim|VERSION[,VERSION...]]
//   node lab/lab.mjs down   [--root DIR]
//   node lab/lab.mjs status [--root DIR | --all] [--json]
//   node lab/lab.mjs break  <fault> --instance N [--root DIR] [--hold-ms MS] [--ms MS] [--other M] [--count N] [--legacy] [--text T]
//                           (real OpenClaw instances: lab/real/faults.mjs, [--timeout S] [--stop] [--kill-client] [--keep-start-time] [--mid-turn])
//   node lab/lab.mjs clear  --instance N [--root DIR]
//   node lab/lab.mjs image  [--force]
// The root defaults to $LAB_ROOT, else <repo>/.lab.
import {parseArgs} from 'node:util'
import {down, instanceOf, labRoot, loadLab, status, up, versionOf} from './compose.mjs'
import {clearFaults, FAULTS} from './faults.mjs'
import {buildImage} from './image/build.mjs'
import {faultApplies, FAULTS as REAL_FAULTS, printable} from './real/faults.mjs'

const USAGE = `usage: node lab/lab.mjs <up|down|status|break|clear|image> [options]
  up      [--size 5] [--first 7] [--root DIR] [--openclaw sim|2026.4.29[,2026.9.6...]]
                                                build the image(s) if needed, write the layout, compose up, wait healthy;
                                                --openclaw: the simulator (default) or real OpenClaw from npm, round-robin
  down    [--root DIR]                          remove the lab's containers (by label) and its root
  status  [--root DIR | --all] [--json]         list lab containers
  break   <fault> --instance N [--root DIR]     inject a fault; faults:
          ${Object.entries(FAULTS).map(([name, f]) => (f.letter ? `${name} (${f.letter})` : name)).join(', ')}
          options: --hold-ms MS (a,b,c,d,g)  --legacy (d)  --other M (e)  --ms MS (f)  --count N (i)  --text T (wrong-reply)
          on a real OpenClaw instance (up --openclaw VERSION): ${Object.keys(REAL_FAULTS).join(', ')}
          options: --timeout S (live-holder, sqlite-writer, state-writer, orphan)  --stop, --kill-client (same)
                   --legacy (previous-incarnation)  --keep-start-time (gateway-lock-reuse)  --mid-turn (frozen, paused)
                   --other M (shared-state)
  clear   --instance N [--root DIR]             undo every fault of an instance (fresh container and data)
  image   [--force]                             build openclaw-lab-gateway:<hash> (offline)`

const options = {
  root: {type: 'string'},
  openclaw: {type: 'string'},
  size: {type: 'string'},
  first: {type: 'string'},
  instance: {type: 'string', short: 'i'},
  'hold-ms': {type: 'string'},
  ms: {type: 'string'},
  other: {type: 'string'},
  count: {type: 'string'},
  text: {type: 'string'},
  legacy: {type: 'boolean'},
  timeout: {type: 'string'},
  stop: {type: 'boolean'},
  'kill-client': {type: 'boolean'},
  'keep-start-time': {type: 'boolean'},
  'mid-turn': {type: 'boolean'},
  force: {type: 'boolean'},
  all: {type: 'boolean'},
  json: {type: 'boolean'},
  help: {type: 'boolean', short: 'h'},
}

const num = (value, name) => {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, got "${value}"`)
  return n
}

class UsageError extends Error {}
const log = (line) => console.log(`[lab] ${line}`)
const print = (value, json) => console.log(json ? JSON.stringify(value, null, 2) : value)

/** `break` on a real OpenClaw instance: the faults of lab/real/faults.mjs that apply to its version. */
function breakReal(name, instance, version, o) {
  const entry = REAL_FAULTS[name]
  if (!entry) throw new UsageError(`unknown real fault "${name ?? ''}" (instance ${instance} runs OpenClaw ${version}); one of: ${Object.keys(REAL_FAULTS).join(', ')}`)
  if (!faultApplies(name, version)) throw new UsageError(`${name} does not apply to OpenClaw ${version} (${entry.upTo ? `up to ${entry.upTo}` : `from ${entry.from}`})`)
  const opts = {root: o.root, timeout: num(o.timeout, 'timeout'), stop: o.stop, killClient: o['kill-client'], legacy: o.legacy, keepStartTime: o['keep-start-time'], midTurn: o['mid-turn'], other: num(o.other, 'other'), holdMs: num(o['hold-ms'], 'hold-ms')}
  return entry.inject(instance, Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)))
}

async function main() {
  const {values: o, positionals} = parseArgs({options, allowPositionals: true})
  const [command, faultName] = positionals
  if (o.help || !command) return console.log(USAGE)
  const root = o.root
  switch (command) {
    case 'up': {
      const r = await up({root, first: num(o.first, 'first') ?? 7, size: num(o.size, 'size') ?? 5, openclaw: o.openclaw ?? 'sim', log})
      log(`lab up at ${r.root}: ${r.containers.length} instances ${r.ids[0]}-${r.ids.at(-1)} in ${r.groups.length} groups; fleet config ${r.configFile}`)
      log(`timings (ms): image ${r.timings.imageMs}, layout ${r.timings.layoutMs}, compose ${r.timings.composeMs}, healthy ${r.timings.healthyMs}, total ${r.timings.totalMs}`)
      return o.json && print(r, true)
    }
    case 'down': {
      const r = await down({root, log})
      return log(`lab at ${r.root} down in ${r.ms} ms (${r.removedContainers.length} containers removed)`)
    }
    case 'status': {
      const rows = await status({root: o.all ? null : root})
      if (o.json) return print(rows, true)
      if (!rows.length) return log(`no lab containers${o.all ? '' : ` for ${labRoot(root)}`}`)
      return rows.forEach((r) => console.log(`${r.name.padEnd(36)} ${r.status.padEnd(10)} ${r.health}`))
    }
    case 'break': {
      const instance = num(o.instance, 'instance')
      if (instance === undefined) throw new UsageError('break needs --instance N')
      const lab = loadLab(root)
      const version = versionOf(lab, instanceOf(lab, instance).id)
      if (version !== 'sim') return print(printable(await breakReal(faultName, instance, version, o)), true)
      const entry = FAULTS[faultName] ?? Object.values(FAULTS).find((f) => f.letter && f.letter === faultName)
      if (!entry) throw new UsageError(`unknown fault "${faultName ?? ''}"; one of: ${Object.keys(FAULTS).join(', ')}`)
      const result = await entry.inject(instance, {root, holdMs: num(o['hold-ms'], 'hold-ms'), ms: num(o.ms, 'ms'), other: num(o.other, 'other'), count: num(o.count, 'count'), legacy: o.legacy, text: o.text})
      return print(result, true)
    }
    case 'clear': {
      const instance = num(o.instance, 'instance')
      if (instance === undefined) throw new UsageError('clear needs --instance N')
      return print(await clearFaults(instance, {root}), true)
    }
    case 'image':
      return print(await buildImage({force: o.force, log}), true)
    default:
      throw new UsageError(`unknown command "${command}"`)
  }
}

main().catch((error) => {
  console.error(`[lab] ${error.message}`)
  if (error instanceof UsageError || error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') console.error(USAGE)
  process.exit(error instanceof UsageError ? 2 : 1)
})

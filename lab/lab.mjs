#!/usr/bin/env node
// The lab CLI (npm run lab:up / lab:down / lab:break):
//   node lab/lab.mjs up     [--size 5] [--first 7] [--root DIR] [--openclaw sim|VERSION[,VERSION...]]
//   node lab/lab.mjs down   [--root DIR]
//   node lab/lab.mjs status [--root DIR | --all] [--json]
//   node lab/lab.mjs break  <fault> --instance N [--root DIR] [--hold-ms MS] [--ms MS] [--other M] [--count N] [--legacy] [--text T]
//   node lab/lab.mjs clear  --instance N [--root DIR]
//   node lab/lab.mjs image  [--force]
// The root defaults to $LAB_ROOT, else <repo>/.lab.
import {parseArgs} from 'node:util'
import {down, labRoot, status, up} from './compose.mjs'
import {clearFaults, FAULTS} from './faults.mjs'
import {buildImage} from './image/build.mjs'

const USAGE = `usage: node lab/lab.mjs <up|down|status|break|clear|image> [options]
  up      [--size 5] [--first 7] [--root DIR] [--openclaw sim|2026.4.29[,2026.9.6...]]
                                                build the image(s) if needed, write the layout, compose up, wait healthy;
                                                --openclaw: the simulator (default) or real OpenClaw from npm, round-robin
  down    [--root DIR]                          remove the lab's containers (by label) and its root
  status  [--root DIR | --all] [--json]         list lab containers
  break   <fault> --instance N [--root DIR]     inject a fault; faults:
          ${Object.entries(FAULTS).map(([name, f]) => (f.letter ? `${name} (${f.letter})` : name)).join(', ')}
          options: --hold-ms MS (a,b,c,d,g)  --legacy (d)  --other M (e)  --ms MS (f)  --count N (i)  --text T (wrong-reply)
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
      const entry = FAULTS[faultName] ?? Object.values(FAULTS).find((f) => f.letter && f.letter === faultName)
      if (!entry) throw new UsageError(`unknown fault "${faultName ?? ''}"; one of: ${Object.keys(FAULTS).join(', ')}`)
      const instance = num(o.instance, 'instance')
      if (instance === undefined) throw new UsageError('break needs --instance N')
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

// Profiling aid for the `fleet status` target, not part of `npm run bench`: what the process evidence of a 50-gateway
// fleet costs through one `docker exec` per container (what fleet does: src/docker/probe.ts) against reading the
// host's /proc once (a possible fast path when the engine is local), on a lab with the fault mix.
// Usage: node bench/probe-proto.mjs [--size 50] [--runs 5]
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {down, up} from '../lab/compose.mjs'
import {docker, mapLimit} from '../lab/run.mjs'
import {FIRST_ID, log, median, round, ROOT_PREFIX} from './lib.mjs'
import {injectMix} from './recovery.mjs'

const {values} = parseArgs({options: {size: {type: 'string', default: '50'}, runs: {type: 'string', default: '5'}}})
const size = Number(values.size)
const runs = Number(values.runs)

/** The lock pids of each instance (namespace pids), as fleet's scanner would read them. */
function lockPids(root, ids) {
  return ids.map((id) => {
    const dir = path.join(root, 'data', `oc${id}`, 'config', 'agents', 'main', 'sessions')
    const pids = []
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.jsonl.lock'))) {
      try {
        const pid = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')).pid
        if (Number.isInteger(pid)) pids.push(pid)
      } catch {}
    }
    return pids
  })
}

const PROBE = "const fs=require('fs');const r=(p)=>{try{return fs.readFileSync(p,'latin1')}catch{return null}};process.stdout.write(JSON.stringify(process.argv.slice(1).map((pid)=>[pid,r('/proc/'+pid+'/stat'),r('/proc/'+pid+'/cmdline')])))"

/** fleet's way: one exec per container holding locks, 8 at a time. */
async function viaExec(containers, pids) {
  const t = process.hrtime.bigint()
  const todo = containers.map((c, i) => [c, pids[i]]).filter(([, p]) => p.length > 0)
  await mapLimit(todo, 8, ([c, p]) => docker(['exec', c, 'node', '-e', PROBE, ...p.map(String)]))
  return {ms: Number(process.hrtime.bigint() - t) / 1e6, execs: todo.length}
}

/** Host /proc: container id from /proc/<pid>/cgroup, namespace pid from NSpid in /proc/<pid>/status; all world-readable. */
async function viaHostProc(containers, pids) {
  const t = process.hrtime.bigint()
  const {stdout} = await docker(['inspect', '--format', '{{.Id}} {{.Name}}', ...containers])
  const idOf = new Map(stdout.split('\n').filter(Boolean).map((l) => l.split(' ')).map(([id, name]) => [id, name.replace(/^\//, '')]))
  const table = new Map() // name -> Map(nspid -> {stat, cmdline})
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    try {
      const cg = fs.readFileSync(`/proc/${d}/cgroup`, 'latin1')
      const m = /([0-9a-f]{64})/.exec(cg)
      const name = m && idOf.get(m[1])
      if (!name) continue
      const status = fs.readFileSync(`/proc/${d}/status`, 'latin1')
      const ns = /^NSpid:\s+(.*)$/m.exec(status)?.[1].trim().split(/\s+/).at(-1)
      if (!table.has(name)) table.set(name, new Map())
      table.get(name).set(Number(ns), {stat: fs.readFileSync(`/proc/${d}/stat`, 'latin1'), cmdline: fs.readFileSync(`/proc/${d}/cmdline`, 'latin1')})
    } catch {}
  }
  let found = 0
  containers.forEach((c, i) => {
    for (const p of pids[i]) if (table.get(c)?.has(p)) found++
  })
  return {ms: Number(process.hrtime.bigint() - t) / 1e6, found, asked: pids.flat().length}
}

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}probe-`))
fs.writeFileSync(path.join(tmp, 'bench.pid'), `${process.pid}\n`)
const root = path.join(tmp, 'lab')
try {
  const lab = await up({root, first: FIRST_ID, size})
  await injectMix(lab)
  const pids = lockPids(root, lab.ids)
  const exec = []
  const host = []
  for (let i = 0; i < runs; i++) {
    exec.push(await viaExec(lab.containers, pids))
    host.push(await viaHostProc(lab.containers, pids))
  }
  const out = {
    instances: size,
    containersWithLockPids: exec[0].execs,
    lockPids: host[0].asked,
    execProbesMs: round(median(exec.map((e) => e.ms))),
    hostProcMs: round(median(host.map((h) => h.ms))),
    hostProcFound: host[0].found,
    runs,
  }
  log(JSON.stringify(out))
} finally {
  await down({root})
  fs.rmSync(tmp, {recursive: true, force: true})
}

// `node bench/storm.mjs`: failed turns during a fault storm, on four simulator labs of 20 gateways at once, one per
// mode: nothing at all; the cron sniffer operators deploy today (bench/cron-sniffer.sh every 5 min); `fleet watch`
// polling; `fleet watch` reacting to events. The same seeded storm (bench/storm-plan.mjs) runs in each lab at the
// same moments: a steady chat load (one turn per gateway every few seconds, through the gateway's own turn route)
// and one fault per gateway at a random time. Merges `storm` into bench/results.json.
//
// Usage: node bench/storm.mjs [--instances 20] [--minutes 10] [--turn-every 4] [--seed 1] [--no-write]
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {instanceOf, loadLab, ownForContainer, REPO_DIR, up} from '../lab/compose.mjs'
import * as faults from '../lab/faults.mjs'
import {run, sleep, start} from '../lab/run.mjs'
import {renderReadme} from './render.mjs'
import {analyseTurns, OPENCLAW_LOCK_WAIT_MS, PROVABLE_AFTER_MS, STORM_KINDS, stormPlan, turnClass} from './storm-plan.mjs'
import {BIN, fleetEnv, log, machine, mergeResults, onSignals, ratio, removeBenchLab, REPO, ROOT_PREFIX, round, snapshotCli} from './lib.mjs'

const {values} = parseArgs({
  options: {instances: {type: 'string', default: '20'}, minutes: {type: 'string', default: '10'}, 'turn-every': {type: 'string', default: '4'}, seed: {type: 'string', default: '1'}, 'no-write': {type: 'boolean', default: false}},
})
const n = Number(values.instances)
const durationMs = Number(values.minutes) * 60_000
const turnEveryMs = Number(values['turn-every']) * 1000
const seed = Number(values.seed)
if (!Number.isInteger(n) || n < 1 || n > 20 || !(durationMs >= 180_000) || !(turnEveryMs >= 500) || !Number.isInteger(seed)) {
  console.error('usage: node bench/storm.mjs [--instances 1-20] [--minutes >=3] [--turn-every SECONDS >=0.5] [--seed N] [--no-write]')
  process.exit(2)
}

/** The client gives a turn this long (a chat client's patience; OpenClaw's own lock wait is 10 s). */
const TURN_TIMEOUT_MS = 30_000
const CRON_EVERY_MS = 5 * 60_000
const WATCH = ['watch', '--instances', 'all', '--auto-restart', '--no-ping']
/** One lab per mode, ids first..first+19. The watch modes differ only in how they learn of a change. */
export const MODES = [
  {mode: 'nothing', first: 300},
  {mode: 'cron', first: 320, cron: true},
  {mode: 'watch-polling', first: 340, watch: ['--no-react', '--interval', '5s']},
  {mode: 'watch-events', first: 360, watch: ['--react', '--interval', '30s']},
]

// ---- the chat load: POST /agent on the gateway's lab socket (no docker exec between the user and the gateway) ----
function sendTurn(socketPath, message) {
  return new Promise((resolve) => {
    const data = JSON.stringify({agent: 'main', message})
    const t0 = Date.now()
    const done = (out) => resolve({ms: Date.now() - t0, ...out})
    const req = http.request({socketPath, path: '/agent', method: 'POST', headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(data)}}, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (c) => (text += c))
      res.on('end', () => {
        let body = null
        try {
          body = JSON.parse(text)
        } catch {}
        done({status: res.statusCode, body})
      })
      res.on('error', (e) => done({error: e.message}))
    })
    req.setTimeout(TURN_TIMEOUT_MS, () => req.destroy(new Error(`timeout after ${TURN_TIMEOUT_MS} ms`)))
    req.on('error', (e) => done({error: `${e.code ?? ''} ${e.message}`.trim()}))
    req.end(data)
  })
}

// ---- faults (lab/faults.mjs, on the chat session the load uses) ----
const FIXTURES = faults.FIXTURE_LOCKS

/** A malformed lock on the chat session itself: created exclusively (never over a turn's live lock), owned by the container user. */
async function malformedChatLock(id, root, k) {
  const inst = instanceOf(loadLab(root), id)
  const {hostLockPath} = faults.mainSession(inst)
  const content = fs.readFileSync(path.join(REPO_DIR, 'test', 'fixtures', 'locks', `${FIXTURES[k % FIXTURES.length]}.jsonl.lock`))
  for (let i = 0; ; i++) {
    try {
      fs.writeFileSync(hostLockPath, content, {flag: 'wx'})
      break
    } catch (error) {
      if (error.code !== 'EEXIST' || i > 200) throw error
      await sleep(50)
    }
  }
  await ownForContainer([hostLockPath])
}

async function inject(kind, id, root, k) {
  switch (kind) {
    case 'dead-holder':
      return faults.deadPid(id, {root})
    case 'orphan-exec':
      return faults.orphan(id, {root})
    case 'frozen-gateway':
      return faults.frozen(id, {root})
    case 'previous-incarnation':
      return faults.previousIncarnation(id, {root, legacy: true})
    case 'malformed-lock':
      return malformedChatLock(id, root, k)
    default:
      throw new Error(`unknown storm fault ${kind}`)
  }
}

/** What an injection reported, in short: the lock's pid, the gateway's, whether it is the same number again. */
const faultDetail = (res) => (res ? {pid: res.pid ?? null, gatewayPid: res.gatewayPid ?? null, samePid: res.samePid ?? null, restarts: res.restarts ?? null, legacy: res.legacy ?? null} : null)

// ---- the modes' machinery ----
/** The cron sniffer at every wall-clock multiple of 5 min (as `*\/5 * * * *` fires), while the storm runs. */
function cronLoop(root, t0) {
  const runs = []
  let stopped = false
  let timer
  const schedule = () => {
    const next = Math.ceil((Date.now() + 1) / CRON_EVERY_MS) * CRON_EVERY_MS
    timer = setTimeout(async () => {
      if (stopped) return
      const at = Date.now() - t0
      const r = await run('bash', [path.join(REPO, 'bench', 'cron-sniffer.sh'), '--root', root], {reject: false, timeoutMs: 120_000})
      const lines = r.stdout.split('\n').filter(Boolean)
      runs.push({at, ms: Math.round(r.ms), code: r.code, deleted: lines.filter((l) => l.startsWith('deleted')).length, kept: lines.filter((l) => l.startsWith('kept')).length, lines})
      schedule()
    }, next - Date.now())
  }
  schedule()
  return {
    runs,
    stop: () => {
      stopped = true
      clearTimeout(timer)
    },
  }
}

async function startWatch(lab, flags, eventsFile) {
  const p = start('node', [BIN, ...WATCH, ...flags, '--config', lab.configFile, '--events', eventsFile], {env: {...process.env, CI: 'true', ...fleetEnv(lab.root)}})
  const deadline = Date.now() + 60_000
  while (!(fs.existsSync(eventsFile) && fs.readFileSync(eventsFile, 'utf8').includes('"scan"'))) {
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`fleet watch did not start its first scan: ${p.output.stderr.slice(-500)}`)
    await sleep(200)
  }
  return p
}

function watchSummary(eventsFile) {
  const events = fs.existsSync(eventsFile) ? fs.readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []
  const count = (name) => events.filter((e) => e.event === name).length
  return {
    scans: count('scan'),
    eventScans: events.filter((e) => e.event === 'scan' && e.reason === 'event').length,
    triggers: count('trigger'),
    locksCleared: count('lock-cleared'),
    holdersEnded: count('holder-ended'),
    restarts: count('restart'),
    restartsFailed: count('restart-failed'),
    restartReasons: events.filter((e) => e.event === 'restart').map((e) => `${e.instance}: ${e.reason}`),
    errors: events.filter((e) => e.event === 'error').map((e) => e.message).slice(0, 10),
    eventNames: [...new Set(events.map((e) => e.event))].sort(),
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc (null when it is gone). */
function cpuSeconds(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return round((Number(f[11]) + Number(f[12])) / 100, 1)
  } catch {
    return null
  }
}

// ---- main ----
const labs = []
onSignals(async () => {
  for (const l of labs) await removeBenchLab(l.root).catch((e) => console.error(e.message))
})
const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}storm-cli-`))
process.on('exit', () => fs.rmSync(cliDir, {recursive: true, force: true}))
snapshotCli(cliDir)
const plan = stormPlan({instances: n, durationMs, turnEveryMs, seed})
const started = Date.now()
try {
  for (const m of MODES) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}storm-${m.mode}-`))
    fs.writeFileSync(path.join(tmp, 'bench.pid'), `${process.pid}\n`)
    const root = path.join(tmp, 'lab')
    labs.push({...m, root})
    log(`storm: ${m.mode}: lab up (ids ${m.first}-${m.first + n - 1})`)
    Object.assign(labs.at(-1), await up({root, first: m.first, size: n}))
  }
  for (const l of labs) {
    l.sockets = l.ids.map((id) => path.join(instanceOf(loadLab(l.root), id).stateDir, '.lab', 'gateway.sock'))
    l.turns = []
    l.faults = []
    l.eventsFile = path.join(path.dirname(l.root), 'watch-events.jsonl')
    if (l.watch) l.watchProc = await startWatch(l, l.watch, l.eventsFile)
  }
  const loadAtStart = round(os.loadavg()[0], 2)
  log(`storm: ${plan.turns.length} turns and ${plan.faults.length} faults per lab over ${values.minutes} min, 4 labs at once`)
  const t0 = Date.now()
  for (const l of labs) if (l.cron) l.cronLoop = cronLoop(l.root, t0)
  const at = (ms) => sleep(Math.max(0, t0 + ms - Date.now()))
  const pending = []
  const loadSamples = []
  const sampler = setInterval(() => loadSamples.push(os.loadavg()[0]), 15_000)
  const turnsDone = (async () => {
    for (const [k, t] of plan.turns.entries()) {
      await at(t.at)
      for (const l of labs) {
        const sentAt = Date.now() - t0
        pending.push(sendTurn(l.sockets[t.index], `storm turn ${k}`).then((r) => l.turns.push({index: t.index, sentAt, ms: r.ms, cls: turnClass(r), error: r.error ?? r.body?.error ?? null})))
      }
    }
  })()
  const faultsDone = (async () => {
    const injections = []
    for (const [k, f] of plan.faults.entries()) {
      await at(f.at)
      log(`storm: t+${Math.round((Date.now() - t0) / 1000)} s: ${f.kind} on index ${f.index}`)
      for (const l of labs) {
        const startAt = Date.now() - t0
        injections.push(
          inject(f.kind, l.ids[f.index], l.root, k).then(
            (res) => l.faults.push({index: f.index, kind: f.kind, startAt, endAt: Date.now() - t0, error: null, detail: faultDetail(res)}),
            (e) => l.faults.push({index: f.index, kind: f.kind, startAt, endAt: Date.now() - t0, error: e.message.slice(0, 300)}),
          ),
        )
      }
    }
    await Promise.all(injections)
  })()
  await Promise.all([turnsDone, faultsDone])
  await at(durationMs)
  await Promise.all(pending)
  clearInterval(sampler)
  const stormMs = Date.now() - t0
  for (const l of labs) {
    l.cronLoop?.stop()
    if (l.watchProc) {
      l.watchCpuS = cpuSeconds(l.watchProc.pid)
      l.watchProc.child.kill('SIGTERM')
      await Promise.race([l.watchProc.exited, sleep(20_000)])
    }
  }
  const modes = {}
  for (const l of labs) {
    const a = analyseTurns(l.turns, l.faults)
    modes[l.mode] = {
      ...a,
      faults: l.faults.sort((x, y) => x.startAt - y.startAt),
      injectionErrors: l.faults.filter((f) => f.error).length,
      ...(l.cronLoop ? {cron: {runs: l.cronLoop.runs.length, deleted: l.cronLoop.runs.reduce((s, r) => s + r.deleted, 0), kept: l.cronLoop.runs.reduce((s, r) => s + r.kept, 0), detail: l.cronLoop.runs}} : {}),
      ...(l.watch ? {watch: {flags: [...WATCH, ...l.watch].join(' '), cpuS: l.watchCpuS, ...watchSummary(l.eventsFile)}} : {}),
      failureSamples: [...new Set(l.turns.filter((t) => t.cls !== 'ok').map((t) => `${t.cls}: ${String(t.error).slice(0, 160)}`))].slice(0, 8),
    }
    log(`storm: ${l.mode}: ${a.failed} of ${a.turns} turns failed (${JSON.stringify(a.failedByCause)}), p50 ${a.latencyOkMs.p50} ms, p95 ${a.latencyOkMs.p95} ms`)
  }
  const f = (mode) => modes[mode].failed
  const storm = {
    date: new Date().toISOString(),
    machine: machine(),
    settings: {instances: n, labs: MODES.map(({mode, first}) => ({mode, ids: `${first}-${first + n - 1}`})), minutes: Number(values.minutes), turnEveryS: turnEveryMs / 1000, turnTimeoutMs: TURN_TIMEOUT_MS, seed, kinds: STORM_KINDS, provableAfterMs: PROVABLE_AFTER_MS, openclawLockWaitMs: OPENCLAW_LOCK_WAIT_MS, cronEveryMin: 5, cronOlderThanMin: 5, labLocks: {maxHold: '20s', orphanAfter: '5s', deadlineMargin: '4s', malformedGrace: '5s'}, gatewayStartupMs: Number(process.env.OPENCLAW_LAB_STARTUP_MS ?? 1500)},
    stormMs,
    totalMs: Date.now() - started,
    load: {atStart: loadAtStart, mean: round(loadSamples.reduce((s, x) => s + x, 0) / Math.max(1, loadSamples.length), 2), max: round(Math.max(...loadSamples), 2)},
    modes,
    ratioWatchEventsToCron: ratio(f('watch-events'), f('cron')),
    ratioWatchPollingToCron: ratio(f('watch-polling'), f('cron')),
    ratioCronToNothing: ratio(f('cron'), f('nothing')),
    ratioP95WatchEventsToCron: ratio(modes['watch-events'].latencyOkMs.p95, modes.cron.latencyOkMs.p95),
    // Every mode against the sniffer, measured in this run: failed turns, and p50/p95 of the answered ones.
    ratiosToCron: Object.fromEntries(Object.entries(modes).map(([k, m]) => [k, {failed: ratio(m.failed, modes.cron.failed), p50: ratio(m.latencyOkMs.p50, modes.cron.latencyOkMs.p50), p95: ratio(m.latencyOkMs.p95, modes.cron.latencyOkMs.p95)}])),
    targets: {
      watchAtMostTenthOfCron: {value: ratio(Math.max(f('watch-events'), f('watch-polling')), f('cron')), met: Math.max(f('watch-events'), f('watch-polling')) <= 0.1 * f('cron')},
      noFailedTurnFromProvableFault: {value: modes['watch-events'].failedFromProvableInTime, polling: modes['watch-polling'].failedFromProvableInTime, met: modes['watch-events'].failedFromProvableInTime === 0},
    },
  }
  console.log(JSON.stringify(storm, null, 2))
  if (!values['no-write']) {
    const merged = mergeResults({storm})
    if (merged.sizes) renderReadme(merged)
    log('storm: written to bench/results.json (storm), bench/README.md regenerated')
  }
} finally {
  for (const l of labs) {
    l.cronLoop?.stop()
    l.watchProc?.child.kill('SIGKILL')
    await removeBenchLab(l.root).catch((e) => console.error(e.message))
  }
}

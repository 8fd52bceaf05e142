// Recovery on REAL OpenClaw: `fleet heal` against the operators' runbook (bench/baseline-runbook.sh, unchanged) on one
// real lab of gateways of two OpenClaw versions, the same fault mix (made with OpenClaw's own code, lab/real/faults.mjs)
// injected before each tool. Figures: the time until every gateway answers a real SPEED_OK turn, the summed gateway
// downtime (docker events to the real gateway's next `[gateway] ready` line), gateways restarted, each as a
// fleet/runbook ratio from the same run; plus each gateway's real start-up time, the tools' exit codes and wall times.
//
//   node bench/real-recovery.mjs [--per-version 3] [--runs 1]      merges {realRecovery} into bench/results.json
//
// Instance ids 600.. (600 + 2 * perVersion - 1): the first perVersion run versions[0], the next versions[1] (so each
// compose group of three holds one version). The lab lives under $TMPDIR/fleet-bench-real-*/lab with a bench.pid
// beside it, and is removed at the end, on failure and on SIGINT/SIGTERM.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {fileURLToPath} from 'node:url'
import {inspectStates, instanceOf, LAB_LABEL, loadLab, up, waitHealthy} from '../lab/compose.mjs'
import {endHolder, FAULTS, gatewayLockReuse, realDeadPid, realFrozen, realLiveHolder, realTurn, sqliteWriterFault} from '../lab/real/faults.mjs'
import {processTree, sessionLocks} from '../lab/real/gateway.mjs'
import {quickPreviousIncarnation} from '../lab/real/quick-faults.mjs'
import {docker, mapLimit, sleep, waitFor} from '../lab/run.mjs'
import {eventStream} from './recovery.mjs'
import {baseline, BIN, fleet, log as benchLog, machine, median, mergeResults, onSignals, ratio, removeBenchLab, RESULTS, round, ROOT_PREFIX, snapshotCli, sum} from './lib.mjs'
import {renderReadme} from './render.mjs'

export const FIRST_ID = 600
export const LAST_ID = 619
export const REAL_PREFIX = `${ROOT_PREFIX}real-`
/** The --timeout of the exec'd holders: past it plus the lab's locks.deadlineMargin (4 s) fleet ends them. */
const HOLDER_TIMEOUT_S = 20
const DEADLINE_MARGIN_MS = 4_000
/** Cap of the independent check (the clock runs on while a gateway does not answer). */
const CHECK_CAP_MS = 600_000
/** Cap of one tool run (killed past it; the run is then recorded as failed). */
const TOOL_CAP_MS = 900_000
const TURN_TIMEOUT_MS = 300_000
const READY_RE = /\[gateway\]\S*\s+\S*ready\b/
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '')

/**
 * The fault kinds per version, one per gateway, cycled over perVersion gateways. Up to 2026.7: a stale dead-pid
 * lock, an orphan holder past its own deadline (its docker exec client killed), a previous incarnation's 2026.2 lock
 * (the gateway has the lock's pid again: OpenClaw cannot reclaim it). 2026.8+: an orphan SQLite writer past its
 * deadline (client killed), the #135133 gateway-lock reuse (the gateway refuses to start), a frozen gateway (SIGSTOP:
 * the one that must restart).
 */
export const MIX = {
  lockFiles: ['dead-pid', 'orphan-past-deadline', 'previous-incarnation'],
  sqlite: ['sqlite-writer-orphan', 'gateway-lock-reuse', 'frozen'],
}
const isSqlite = (version) => {
  const [y, m] = version.split('.').map(Number)
  return y > 2026 || (y === 2026 && m >= 8)
}
export const kindsFor = (version) => (isSqlite(version) ? MIX.sqlite : MIX.lockFiles)

/** The plan: [{id, version, kind}], versions in blocks of perVersion. */
export function planMix({perVersion, versions, kinds}) {
  return versions.flatMap((version, v) => Array.from({length: perVersion}, (_, i) => {
    const list = kinds?.[version] ?? kindsFor(version)
    return {id: FIRST_ID + v * perVersion + i, version, kind: list[i % list.length]}
  }))
}

/** One fault, injected with lab/real/faults.mjs. Resolves the fault's own result (with a live `client` when there is one). */
async function injectOne(m, root) {
  switch (m.kind) {
    case 'dead-pid':
      return realDeadPid(m.id, {root})
    case 'orphan-past-deadline':
      return realLiveHolder(m.id, {root, timeout: HOLDER_TIMEOUT_S, killClient: true})
    case 'previous-incarnation':
      return quickPreviousIncarnation(m.id, {root})
    case 'sqlite-writer-orphan':
      return sqliteWriterFault(m.id, {root, timeout: HOLDER_TIMEOUT_S, killClient: true})
    case 'gateway-lock-reuse':
      return gatewayLockReuse(m.id, {root})
    case 'frozen':
      return realFrozen(m.id, {root})
    case 'healthy':
      return {fault: 'healthy', instance: m.id}
    default:
      throw new Error(`unknown fault kind ${m.kind}`)
  }
}
/** Kinds whose gateway is not ready when the tool starts (frozen: no /readyz answer; lock reuse: refuses to start). */
const DOWN_KINDS = new Set(['frozen', 'gateway-lock-reuse'])
/** Kinds aged past their holder's --timeout + deadlineMargin before the tool starts. */
const DEADLINE_KINDS = new Set(['orphan-past-deadline', 'sqlite-writer-orphan'])

const jsonable = ({client, originals, payload, hostLocks, ...rest}) => rest

/**
 * Injects the mix (the slow previous incarnations first), then waits until every fault is as it should be when the
 * tool starts: the deadline holders past --timeout + deadlineMargin (+3 s), frozen gateways unhealthy, every other
 * gateway (lock reuse excepted: it refuses to start) running and ready.
 */
async function injectMix(plan, lab) {
  const t0 = Date.now()
  const order = [...plan.filter((m) => m.kind === 'previous-incarnation'), ...plan.filter((m) => m.kind !== 'previous-incarnation')]
  const injected = new Map()
  await mapLimit(order, 6, async (m) => {
    const started = Date.now()
    const r = await injectOne(m, lab.root)
    injected.set(m.id, {...m, fault: r, injectMs: Date.now() - started, at: Date.now()})
  })
  const deadline = Math.max(0, ...[...injected.values()].filter((f) => DEADLINE_KINDS.has(f.kind)).map((f) => f.at + HOLDER_TIMEOUT_S * 1000 + DEADLINE_MARGIN_MS + 3_000))
  if (deadline > Date.now()) await sleep(deadline - Date.now())
  const byKind = (pred) => plan.filter(pred).map((m) => instanceOf(lab, m.id).container)
  await waitHealthy(byKind((m) => !DOWN_KINDS.has(m.kind)), {timeoutMs: 300_000})
  const frozen = byKind((m) => m.kind === 'frozen')
  if (frozen.length) await waitFor(async () => (await inspectStates(frozen)).every((s) => s.health === 'unhealthy'), {timeoutMs: 120_000, intervalMs: 1000, what: `frozen gateways unhealthy (${frozen.join(', ')})`})
  return {ms: Date.now() - t0, byId: injected}
}

/** Times (ms) of the real gateway's `[gateway] ready` log lines since sinceMs (docker's own timestamps). */
async function readyTimes(container, sinceMs) {
  const r = await docker(['logs', '--timestamps', '--since', (sinceMs / 1000).toFixed(3), container], {reject: false, timeoutMs: 30_000})
  return strip(`${r.stdout}\n${r.stderr}`).split('\n').filter((l) => READY_RE.test(l)).map((l) => Date.parse(l.slice(0, l.indexOf(' ')))).filter(Number.isFinite).sort((a, b) => a - b)
}

/**
 * Per gateway from t0: downtime (not ready at t0 -> down from t0; kill/die -> down; the next ready line ends it),
 * tool restarts (kill events: docker/compose stop or restart; a crash loop dies without one), starts, and each start's
 * time to ready (the real start-up time).
 */
function timeline(events, readies, {t0, endMs, downAtStart}) {
  const all = [...events, ...readies.map((at) => ({type: 'ready', at}))].sort((a, b) => a.at - b.at)
  let downMs = 0
  let downSince = downAtStart ? t0 : null
  let lastStart = null
  const startups = []
  for (const e of all) {
    if (e.type === 'kill' || e.type === 'die') downSince ??= e.at
    else if (e.type === 'start') lastStart = e.at
    else if (e.type === 'ready') {
      if (lastStart !== null) startups.push(e.at - lastStart)
      lastStart = null
      if (downSince !== null) downMs += e.at - downSince
      downSince = null
    }
  }
  const stillDown = downSince !== null
  if (stillDown) downMs += endMs - downSince
  return {downMs, stillDown, kills: events.filter((e) => e.type === 'kill').length, starts: events.filter((e) => e.type === 'start').length, startupMs: startups}
}

/** SIGKILLs the processes this bench started whose argv contains marker (a tool past TOOL_CAP_MS). */
function killOwnChildren(marker) {
  const kids = []
  const walk = (ppid) => {
    for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8')
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== ppid) continue
        kids.push(Number(d))
        walk(Number(d))
      } catch {}
    }
  }
  walk(process.pid)
  for (const pid of kids) {
    try {
      if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) process.kill(pid, 'SIGKILL')
    } catch {}
  }
}

async function runTool(tool, lab) {
  const marker = tool === 'runbook' ? 'baseline-runbook.sh' : BIN
  const timer = setTimeout(() => killOwnChildren(marker), TOOL_CAP_MS)
  try {
    return tool === 'runbook' ? await baseline(lab.root, 'full') : await fleet(['heal', '--instances', 'all', '--json', '--config', path.join(lab.root, 'fleet.config.yml')], {labRoot: lab.root})
  } finally {
    clearTimeout(timer)
  }
}

/** The independent check: one real SPEED_OK turn per gateway, all at once; each failing one again until it answers (cap). */
async function checkAll(plan, lab, t0) {
  const res = new Map()
  const capAt = Date.now() + CHECK_CAP_MS
  await Promise.all(plan.map(async (m) => {
    const attempts = []
    for (;;) {
      const r = await realTurn(m.id, {root: lab.root, timeoutMs: TURN_TIMEOUT_MS}).catch((e) => ({ok: false, ms: 0, error: e.message}))
      attempts.push({ok: r.ok, ms: r.ms, error: r.ok ? undefined : (r.error ?? r.text ?? '').slice(0, 200)})
      if (r.ok || Date.now() > capAt) {
        res.set(m.id, {answered: r.ok, answeredMs: r.ok ? Date.now() - t0 : null, firstTry: attempts[0].ok, attempts})
        return
      }
      await sleep(2000)
    }
  }))
  return res
}

/** fleet's own proof: the incident log's successful ping per instance (ms after t0), when heal wrote one. */
function fleetPingTimes(heal, t0) {
  const out = {}
  if (!heal?.incidentLog || !fs.existsSync(heal.incidentLog)) return out
  for (const line of fs.readFileSync(heal.incidentLog, 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(line)
    if (e.event === 'ping' && e.ok) out[e.instance] ??= Date.parse(e.ts) - t0
  }
  return out
}

/** What the tool did per gateway, from its own record (fleet: heal --json actions; the runbook: its output lines). */
function toolRecord(tool, r, plan, lab) {
  if (tool === 'runbook') {
    const lines = r.lines
    return Object.fromEntries(plan.map((m) => {
      const c = instanceOf(lab, m.id).container
      const ping = lines.find((l) => l.startsWith(`${c} `)) ?? null
      return [m.id, {locksDeleted: lines.filter((l) => l.endsWith('.jsonl.lock') && l.includes(`/oc${m.id}/`)), pingOk: ping ? / OK$/.test(ping) : null, pingLine: ping?.slice(0, 260) ?? null}]
    }))
  }
  let heal = null
  try {
    heal = JSON.parse(r.stdout)
  } catch {}
  return Object.fromEntries(plan.map((m) => {
    const i = heal?.instances?.find((x) => x.id === m.id)
    if (!i) return [m.id, {error: 'no heal --json result'}]
    return [m.id, {
      before: i.before?.worst ?? null,
      plan: {deleteLocks: i.plan.deleteLocks.map((l) => `${path.basename(l.path)} ${l.verdict} (${l.reasons.join(',')})`), endHolders: i.plan.endHolders.map((h) => `pid ${h.pid}`), untouched: i.plan.untouched.map((u) => `${path.basename(u.path)} ${u.verdict}: ${u.why}`), restart: i.plan.restart},
      actions: i.actions.map((a) => `${a.type} ${a.type === 'delete-lock' ? path.basename(a.target) : a.target}: ${a.outcome}`),
      restarted: i.restarted,
      restartWhy: i.restartDecision?.why ?? null,
      pingOk: i.ping?.ok ?? null,
      pingFailure: i.ping?.failure ?? null,
      healed: i.healed,
    }]
  }))
}

/** One timed recovery by one tool on the injected lab. */
async function recoverOnce(tool, plan, lab, injected) {
  const containers = plan.map((m) => instanceOf(lab, m.id).container)
  const stream = await eventStream(lab.root)
  try {
    const states = await inspectStates(containers)
    const atStart = Object.fromEntries(plan.map((m, i) => [m.id, states.find((s) => s.name === containers[i]) ?? {status: 'missing'}]))
    const t0 = Date.now()
    const r = await runTool(tool, lab)
    const toolMs = Date.now() - t0
    const checked = await checkAll(plan, lab, t0)
    // Every gateway is ready again (or the cap): the ready lines of the last incarnations are in the logs.
    await waitHealthy(containers, {timeoutMs: 120_000}).catch(() => {})
    await sleep(500)
    const endMs = Date.now()
    const events = stream.byName(t0 - 50)
    const per = await mapLimit(plan, 6, async (m, i) => {
      const c = containers[i]
      const downAtStart = atStart[m.id].health !== 'healthy'
      const tl = timeline(events.get(c) ?? [], await readyTimes(c, t0 - 50), {t0, endMs, downAtStart})
      return {id: m.id, version: m.version, kind: m.kind, atStart: atStart[m.id], downAtStart, ...tl, ...checked.get(m.id)}
    })
    const record = toolRecord(tool, r, plan, lab)
    let heal = null
    if (tool === 'fleet') {
      try {
        heal = JSON.parse(r.stdout)
      } catch {}
    }
    const own = tool === 'fleet' ? fleetPingTimes(heal, t0) : {}
    for (const p of per) {
      p.tool = record[p.id]
      if (tool === 'fleet') p.fleetPingOkMs = own[`oc${p.id}`] ?? null
    }
    const answered = per.every((p) => p.answered)
    return {
      tool,
      exitCode: r.code,
      toolMs: round(toolMs),
      allAnsweredMs: answered ? round(Math.max(...per.map((p) => p.answeredMs))) : null,
      allAnswered: answered,
      notAnsweringFirstTry: per.filter((p) => !p.firstTry).map((p) => p.id),
      downtimeS: round(sum(per.map((p) => p.downMs)) / 1000, 1),
      maxDowntimePerGatewayS: round(Math.max(0, ...per.map((p) => p.downMs)) / 1000, 1),
      gatewaysRestarted: per.filter((p) => p.kills > 0).length,
      restartedIds: per.filter((p) => p.kills > 0).map((p) => p.id),
      locksRemoved: tool === 'runbook' ? sum(per.map((p) => p.tool.locksDeleted.length)) : (heal?.summary?.locksRemoved ?? null),
      holdersEnded: tool === 'runbook' ? 0 : (heal?.summary?.holdersEnded ?? null),
      runbookPing: tool === 'runbook' ? {ok: per.filter((p) => p.tool.pingOk).map((p) => p.id), failed: per.filter((p) => p.tool.pingOk === false).map((p) => ({id: p.id, line: p.tool.pingLine}))} : undefined,
      runbookSteps: tool === 'runbook' ? r.steps : undefined,
      healSummary: heal?.summary,
      stderrTail: r.code !== 0 && tool === 'fleet' ? r.stderr.slice(-800) : undefined,
      perGateway: per.map((p) => ({...p, downMs: round(p.downMs), startupMs: p.startupMs.map((x) => round(x))})),
      faults: [...injected.byId.values()].map((f) => ({id: f.id, kind: f.kind, injectMs: f.injectMs, detail: jsonable(f.fault)})),
      injectMs: injected.ms,
    }
  } finally {
    await stream.stop()
  }
}

/**
 * Back to a clean lab (not timed): ends leftover exec'd holders (the same pid still running its fault-agent/openclaw
 * argv), removes leftover session lock files, clears a still refused gateway lock, restarts what is not ready (or
 * still SIGSTOPped), waits until every gateway answers a real turn.
 */
async function resetLab(plan, lab, injected) {
  const t0 = Date.now()
  const did = []
  await mapLimit([...injected.byId.values()], 6, async (f) => {
    const c = instanceOf(lab, f.id).container
    if (f.fault.pid && DEADLINE_KINDS.has(f.kind)) {
      const tree = await processTree(c)
      const alive = [f.fault.pid, f.fault.parentPid].filter((pid) => tree.some((p) => p.pid === pid && /openclaw|fault-agent/.test(p.args)))
      if (alive.length) {
        await endHolder({container: c, pid: alive.includes(f.fault.pid) ? f.fault.pid : undefined, parentPid: alive.includes(f.fault.parentPid) ? f.fault.parentPid : undefined})
        did.push(`${f.id}: ended leftover holder ${alive.join(',')}`)
      }
    }
    for (const l of sessionLocks(instanceOf(lab, f.id).stateDir)) {
      fs.rmSync(path.join(instanceOf(lab, f.id).stateDir, l.path), {force: true})
      did.push(`${f.id}: removed ${path.basename(l.path)}`)
    }
  })
  const states = await inspectStates(plan.map((m) => instanceOf(lab, m.id).container))
  const touched = []
  await mapLimit(plan, 6, async (m) => {
    const c = instanceOf(lab, m.id).container
    const s = states.find((x) => x.name === c)
    const stopped = (await docker(['exec', c, 'sh', '-c', "grep -l '^State:[[:space:]]*T' /proc/[0-9]*/status"], {reject: false, timeoutMs: 30_000})).stdout.trim() !== ''
    if (s?.health === 'healthy' && !stopped) return
    if (m.kind === 'gateway-lock-reuse') await FAULTS['gateway-lock-reuse'].end(injected.byId.get(m.id).fault)
    else await docker(['restart', '--time', '5', c], {timeoutMs: 120_000})
    touched.push(m.id)
    did.push(`${m.id}: restarted (${s?.status}/${s?.health}${stopped ? ', stopped process' : ''})`)
  })
  await waitHealthy(plan.map((m) => instanceOf(lab, m.id).container), {timeoutMs: 300_000})
  if (touched.length) {
    const check = await checkAll(plan.filter((m) => touched.includes(m.id)), lab, t0)
    const failing = [...check].filter(([, v]) => !v.answered)
    if (failing.length) throw new Error(`reset: ${failing.map(([id]) => id).join(', ')} do not answer`)
  }
  return {ms: Date.now() - t0, did}
}

/** Labs a real-recovery bench left when it died (its bench.pid gone): removed; a live one: refuse. */
async function clearCrashed(log) {
  const {stdout} = await docker(['ps', '-a', '--filter', `label=${LAB_LABEL}`, '--format', `{{.Label "${LAB_LABEL}"}}`], {timeoutMs: 30_000})
  const prefix = path.join(os.tmpdir(), REAL_PREFIX)
  for (const root of new Set(stdout.split('\n').filter((r) => r.startsWith(prefix)))) {
    const pid = Number(fs.readFileSync(path.join(path.dirname(root), 'bench.pid'), 'utf8').trim() || 0)
    let alive = false
    try {
      alive = pid > 0 && process.kill(pid, 0)
    } catch {}
    if (alive) throw new Error(`another real-recovery bench (pid ${pid}) runs a lab at ${root}`)
    log(`removing the lab a crashed real-recovery bench left at ${root}`)
    await removeBenchLab(root)
  }
}

export async function benchRealRecovery({perVersion = 3, runs = 1, versions = ['2026.4.29', '2026.9.6'], kinds, log = benchLog} = {}) {
  const started = Date.now()
  const plan = planMix({perVersion, versions, kinds})
  if (plan.at(-1).id > LAST_ID) throw new Error(`ids ${FIRST_ID}-${plan.at(-1).id} exceed ${LAST_ID}: lower --per-version`)
  await clearCrashed(log)
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), REAL_PREFIX))
  fs.writeFileSync(path.join(tmp, 'bench.pid'), `${process.pid}\n`)
  const root = path.join(tmp, 'lab')
  const cliDir = fs.mkdtempSync(path.join(os.tmpdir(), `${REAL_PREFIX}cli-`))
  snapshotCli(cliDir)
  let removed = false
  const cleanup = async () => {
    if (removed) return
    removed = true
    const r = await removeBenchLab(root).catch((e) => ({error: e.message}))
    fs.rmSync(cliDir, {recursive: true, force: true})
    log(`lab down: ${r.removedContainers?.length ?? 0} containers removed${r.error ? ` (${r.error})` : ''}`)
  }
  const unregister = onSignals(cleanup)
  const context = () => ({date: new Date().toISOString(), loadavg: os.loadavg().map((x) => round(x, 2))})
  const out = {settings: {versions, perVersion, runs, ids: plan.map((m) => m.id), mix: plan, holderTimeoutS: HOLDER_TIMEOUT_S, checkCapMs: CHECK_CAP_MS, turnTimeoutMs: TURN_TIMEOUT_MS}, machine: {...machine(), atStart: context()}, phases: {}, runs: []}
  try {
    log(`real lab up: ids ${plan[0].id}-${plan.at(-1).id} (${plan.map((m) => `${m.id}=${m.version}`).join(' ')})`)
    let t = Date.now()
    const labUp = await up({root, first: FIRST_ID, size: plan.length, openclaw: plan.map((m) => m.version).join(','), log})
    out.phases.labUpMs = Date.now() - t
    out.phases.labTimings = labUp.timings
    const lab = loadLab(root)
    const cfg = fs.readFileSync(path.join(root, 'fleet.config.yml'), 'utf8')
    out.settings.fleetConfig = {locks: cfg.slice(cfg.indexOf('locks:')).trim(), ping: cfg.slice(cfg.indexOf('ping:'), cfg.indexOf('locks:')).trim()}
    // Warm-up (not timed): the first real turn of a container stages plugins (2026.4.x) and creates the main session.
    t = Date.now()
    const warm = await checkAll(plan, lab, t)
    out.phases.warmUp = {ms: Date.now() - t, turnsMs: Object.fromEntries([...warm].map(([id, v]) => [id, v.attempts.map((a) => a.ms)]))}
    log(`warm-up turns done in ${round((Date.now() - t) / 1000)} s`)
    // What the runbook's own ping (`openclaw agent --local ...`) does on each version, once, on a healthy gateway.
    out.phases.runbookLocalTurn = Object.fromEntries(await mapLimit([...new Set(plan.map((m) => m.version))], 2, async (v) => {
      const m = plan.find((x) => x.version === v)
      const r = await realTurn(m.id, {root, local: true, timeoutMs: TURN_TIMEOUT_MS}).catch((e) => ({ok: false, error: e.message}))
      return [v, {id: m.id, ok: r.ok, code: r.code, ms: r.ms, error: r.error, stderrTail: r.stderrTail}]
    }))
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? ['runbook', 'fleet'] : ['fleet', 'runbook']
      const results = {}
      for (const tool of order) {
        log(`run ${run + 1}/${runs}, ${tool}: injecting the mix`)
        const injected = await injectMix(plan, lab)
        log(`run ${run + 1}/${runs}, ${tool}: mix in (${round(injected.ms / 1000)} s); the tool runs`)
        results[tool] = await recoverOnce(tool, plan, lab, injected)
        results[tool].context = context()
        log(`run ${run + 1}/${runs}, ${tool}: exit ${results[tool].exitCode} after ${round(results[tool].toolMs / 1000)} s; all answered at ${round(results[tool].allAnsweredMs / 1000)} s; downtime ${results[tool].downtimeS} s; restarted ${results[tool].gatewaysRestarted}`)
        results[tool].reset = await resetLab(plan, lab, injected)
        log(`reset in ${round(results[tool].reset.ms / 1000)} s: ${results[tool].reset.did.join('; ') || 'nothing to do'}`)
      }
      out.runs.push({run: run + 1, order, ...results, ratios: ratiosOf(results.fleet, results.runbook)})
    }
    out.summary = summarise(out.runs)
  } finally {
    out.machine.atEnd = context()
    await cleanup()
    unregister()
  }
  out.totalMs = Date.now() - started
  return out
}

const ratiosOf = (f, b) => ({allAnswered: ratio(f.allAnsweredMs, b.allAnsweredMs), downtime: ratio(f.downtimeS, b.downtimeS), gatewaysRestarted: ratio(f.gatewaysRestarted, b.gatewaysRestarted)})

function summarise(runs) {
  const fig = (tool, key) => median(runs.map((r) => r[tool][key]).filter((x) => typeof x === 'number'))
  const both = (key) => ({fleet: fig('fleet', key), runbook: fig('runbook', key)})
  const s = {allAnsweredMs: both('allAnsweredMs'), downtimeS: both('downtimeS'), gatewaysRestarted: both('gatewaysRestarted'), toolMs: both('toolMs'), locksRemoved: both('locksRemoved'), holdersEnded: both('holdersEnded')}
  s.ratios = {allAnswered: ratio(s.allAnsweredMs.fleet, s.allAnsweredMs.runbook), downtime: ratio(s.downtimeS.fleet, s.downtimeS.runbook), gatewaysRestarted: ratio(s.gatewaysRestarted.fleet, s.gatewaysRestarted.runbook)}
  s.ratiosPerRun = runs.map((r) => r.ratios)
  const startups = {}
  for (const r of runs) for (const tool of ['fleet', 'runbook']) for (const p of r[tool].perGateway) (startups[p.version] ??= []).push(...p.startupMs)
  s.startupMsByVersion = Object.fromEntries(Object.entries(startups).map(([v, xs]) => [v, {median: xs.length ? round(median(xs)) : null, min: xs.length ? Math.min(...xs) : null, max: xs.length ? Math.max(...xs) : null, n: xs.length}]))
  s.exitCodes = runs.map((r) => ({fleet: r.fleet.exitCode, runbook: r.runbook.exitCode}))
  s.runbookPingFailed = runs.map((r) => r.runbook.runbookPing.failed.map((f) => f.id))
  return s
}

// ---- as a script ----
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const {values} = parseArgs({options: {'per-version': {type: 'string', default: '3'}, runs: {type: 'string', default: '1'}, versions: {type: 'string'}, kinds: {type: 'string'}}})
  const perVersion = Number(values['per-version'])
  const runs = Number(values.runs)
  if (!Number.isInteger(perVersion) || perVersion < 1 || perVersion > 10 || !Number.isInteger(runs) || runs < 1) {
    console.error('usage: node bench/real-recovery.mjs [--per-version 3] [--runs 1] [--versions 2026.4.29,2026.9.6] [--kinds 2026.4.29=dead-pid+frozen,2026.9.6=frozen]')
    process.exit(2)
  }
  const versions = values.versions ? values.versions.split(',') : undefined
  const kinds = values.kinds ? Object.fromEntries(values.kinds.split(',').map((kv) => kv.split('=')).map(([v, k]) => [v, k.split('+')])) : undefined
  const result = await benchRealRecovery({perVersion, runs, versions, kinds})
  const merged = mergeResults({realRecovery: result})
  if (merged.sizes) renderReadme(merged)
  benchLog(`realRecovery merged into ${RESULTS}, bench/README.md regenerated (total ${round(result.totalMs / 60000, 1)} min)`)
  console.log(JSON.stringify(result, null, 2))
}

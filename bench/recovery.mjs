// The recovery comparison on one lab: the same fault mix injected before each tool, then the tool is timed until
// every gateway answers SPEED_OK; gateway downtime from docker events + the gateways' own "ready" log lines; live
// locks deleted from each tool's own record. Used by bench/run.mjs; importable pieces only.
import fs from 'node:fs'
import path from 'node:path'
import {instanceOf, LAB_LABEL, loadLab, waitHealthy} from '../lab/compose.mjs'
import * as faults from '../lab/faults.mjs'
import {docker, mapLimit, sleep, start, waitFor} from '../lab/run.mjs'
import {baseline, fleet, round, sum} from './lib.mjs'

/**
 * Fault kinds by instance index (cycled): four kinds of trouble a careful tool fixes without a restart, a live
 * turn, a frozen gateway (SIGSTOPped mid-turn: hung, it must restart), a healthy gateway.
 */
export const KINDS = ['dead-pid', 'orphan', 'live-lock', 'malformed', 'legacy-lock', 'frozen', 'healthy']
export const kindOf = (index) => KINDS[index % KINDS.length]
/** Instances whose only trouble is a stale lock or an orphan holder: the zero-downtime target applies to them. */
export const STALE_OR_ORPHAN = new Set(['dead-pid', 'orphan', 'malformed', 'legacy-lock'])
/** The session a gateway is in the middle of a turn on (its own main process holds the lock): nobody may delete it. */
export const LIVE_SESSION = 'live-chat'
const LIVE_HOLD_MS = 600_000
/** Lab config: locks.orphanAfter 5s, locks.malformedGrace 5s (default); the faults are aged past both before a tool runs. */
const AGE_BEFORE_TOOL_MS = 6_500
/** Lab config: locks.maxHold 20s; a frozen gateway's lock is aged past it (hung) before a tool runs. */
const HUNG_AFTER_MS = 21_500
const INJECT_CONCURRENCY = 8

const liveLockPath = (inst) => path.join(inst.sessionsDir, `${LIVE_SESSION}.jsonl.lock`)
const readOrNull = (file) => {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return null
  }
}

/** Plan of the mix for a lab: [{id, container, kind}]. */
export function mixOf(up) {
  return up.ids.map((id, i) => ({id, container: up.containers[i], kind: kindOf(i)}))
}

/**
 * Injects the mix: dead-pid (a), orphan (b), malformed locks (h), previous incarnation with a 2026.2 lock (d
 * --legacy), frozen gateway (c), then waits until the orphans and malformed locks are older than the lab's
 * orphanAfter/malformedGrace and the frozen gateways' locks older than its maxHold, waits every other container healthy, and last makes each live-lock gateway take the `live-chat` session's lock for
 * 10 min (well under locks.maxHold old when the tool starts). Resolves {ms, faults, live: [{id, container, hostPath, raw}]}.
 */
export async function injectMix(up) {
  const root = up.root
  const lab = loadLab(root)
  const t0 = Date.now()
  const mix = mixOf(up)
  // The slowest first (previous incarnation restarts its container until the gateway has pid 7 again).
  const first = ['legacy-lock', 'frozen']
  const order = [...mix.filter((m) => first.includes(m.kind)), ...mix.filter((m) => !first.includes(m.kind))]
  const injected = await mapLimit(order, INJECT_CONCURRENCY, async (m) => {
    const started = Date.now()
    switch (m.kind) {
      case 'dead-pid':
        await faults.deadPid(m.id, {root})
        break
      case 'orphan':
        await faults.orphan(m.id, {root})
        break
      case 'malformed':
        await faults.malformedLocks(m.id, {root})
        break
      case 'legacy-lock':
        await faults.previousIncarnation(m.id, {root, legacy: true})
        break
      case 'frozen':
        await faults.frozen(m.id, {root})
        break
      default:
        return {...m, ms: 0}
    }
    return {...m, ms: Date.now() - started, at: Date.now()}
  })
  const agingLast = Math.max(0, ...injected.filter((m) => m.kind === 'orphan' || m.kind === 'malformed').map((m) => m.at))
  const frozenLast = Math.max(0, ...injected.filter((m) => m.kind === 'frozen').map((m) => m.at))
  const wait = Math.max(agingLast + AGE_BEFORE_TOOL_MS, frozenLast + HUNG_AFTER_MS) - Date.now()
  if (wait > 0) await sleep(wait)
  // A frozen gateway answers no health check: every other container must be healthy.
  const frozen = new Set(mix.filter((m) => m.kind === 'frozen').map((m) => m.container))
  await waitHealthy(up.containers.filter((c) => !frozen.has(c)), {timeoutMs: 60_000})
  const live = await mapLimit(mix.filter((m) => m.kind === 'live-lock'), INJECT_CONCURRENCY, async (m) => {
    const res = await faults.gatewayGet(m.container, `/lab/turn?holdMs=${LIVE_HOLD_MS}&sessionId=${LIVE_SESSION}`, {post: true})
    if (!res.ok) throw new Error(`${m.container}: the gateway could not take the ${LIVE_SESSION} lock: ${res.error}`)
    const hostPath = liveLockPath(instanceOf(lab, m.id))
    return {id: m.id, container: m.container, hostPath, raw: readOrNull(hostPath), gatewayPid: res.pid}
  })
  return {ms: Date.now() - t0, live, faults: injected.map(({id, kind, ms}) => ({id, kind, ms}))}
}

/** Every gateway answers SPEED_OK (`docker exec ... openclaw agent --local ...`, 4 at a time)? Resolves the ids that did not. */
async function failingPings(up) {
  const res = await mapLimit(up.containers, 6, async (c, i) => {
    const r = await faults.agentTurn(c, {timeoutMs: 60_000})
    return r.code === 0 && r.json?.payloads?.[0]?.text === 'SPEED_OK' ? null : up.ids[i]
  })
  return res.filter((x) => x !== null)
}

/**
 * Streams the container kill/die/start events of one lab from now on (dockerd keeps only its last 256 events for
 * `--since` queries, and 50 health checks fill that in seconds, so a query afterwards would miss restarts).
 * Resolves once the stream runs: {byName(sinceMs) -> Map(name -> [{type, at}]), stop()}.
 */
export async function eventStream(root) {
  const since = Date.now()
  const p = start('docker', ['events', '--since', (since / 1000).toFixed(3), '--filter', `label=${LAB_LABEL}=${root}`, '--filter', 'type=container', '--filter', 'event=kill', '--filter', 'event=die', '--filter', 'event=start', '--format', '{{json .}}'])
  await sleep(300)
  if (p.child.exitCode !== null) throw new Error(`docker events exited: ${p.output.stderr}`)
  const byName = (sinceMs) => {
    const map = new Map()
    for (const line of p.output.stdout.split('\n').filter(Boolean)) {
      const e = JSON.parse(line)
      const name = e.Actor?.Attributes?.name
      const at = Number(BigInt(e.timeNano) / 1_000_000n)
      if (!name || at < sinceMs) continue
      if (e.Action === 'kill' && !['15', '9', 'SIGTERM', 'SIGKILL', 'TERM', 'KILL'].includes(String(e.Actor.Attributes.signal))) continue
      if (!map.has(name)) map.set(name, [])
      map.get(name).push({type: e.Action, at})
    }
    return map
  }
  return {
    byName,
    async stop() {
      p.child.kill('SIGTERM')
      await p.exited
    },
  }
}

/** Times (ms) of the gateway's `[gateway] ready` log lines since sinceMs. */
async function readyTimes(container, sinceMs) {
  const r = await docker(['logs', '--timestamps', '--since', (sinceMs / 1000).toFixed(3), container], {reject: false, timeoutMs: 30_000})
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l.includes('[gateway] ready')).map((l) => Date.parse(l.slice(0, l.indexOf(' ')))).filter(Number.isFinite).sort((a, b) => a - b)
}

/**
 * Seconds each gateway was not running and ready from t0: from a SIGTERM/SIGKILL (kill event) or its death
 * (die) to the next `[gateway] ready` line of the new incarnation. Waits (up to 90 s) until every restarted
 * gateway is ready again. Every gateway was running and ready at t0 (injectMix waits for it).
 * Resolves {byId: {id: {downMs, restarts}}, untilMs, notReady: []}.
 */
async function downtime(up, t0, stream) {
  const deadline = Date.now() + 90_000
  for (;;) {
    await sleep(300) // events reach the stream a little after they happen
    const now = Date.now()
    const events = stream.byName(t0 - 50)
    const byId = {}
    const notReady = []
    await mapLimit(up.containers, 8, async (c, i) => {
      const evs = events.get(c) ?? []
      let downMs = 0
      let downSince = null
      const restarts = evs.filter((e) => e.type === 'start').length
      if (evs.length > 0) {
        const readies = await readyTimes(c, t0 - 50)
        const timeline = [...evs, ...readies.map((at) => ({type: 'ready', at}))].sort((a, b) => a.at - b.at)
        for (const e of timeline) {
          if ((e.type === 'kill' || e.type === 'die') && downSince === null) downSince = e.at
          else if (e.type === 'ready' && downSince !== null) {
            downMs += e.at - downSince
            downSince = null
          }
        }
        if (downSince !== null) {
          notReady.push(up.ids[i])
          downMs += now - downSince
        }
      }
      byId[up.ids[i]] = {downMs, restarts}
    })
    if (notReady.length === 0 || Date.now() > deadline) return {byId, untilMs: now, notReady}
    await sleep(200)
  }
}

/**
 * One timed recovery: the tool runs on the injected lab, then every gateway must answer SPEED_OK (checked
 * independently; if one does not, the clock keeps running until it does, up to 3 min). Resolves the figures.
 */
export async function recover(up, tool, injected) {
  const mix = mixOf(up)
  const stream = await eventStream(up.root)
  try {
    return await timeTool(up, tool, injected, mix, stream)
  } finally {
    await stream.stop()
  }
}

async function timeTool(up, tool, injected, mix, stream) {
  const t0 = Date.now()
  const r = tool === 'baseline' ? await baseline(up.root, 'full') : await fleet(['heal', '--config', up.configFile, '--instances', 'all', '--json'], {labRoot: up.root})
  const toolMs = r.ms
  const survived = injected.live.filter((l) => l.raw !== null && readOrNull(l.hostPath) === l.raw).length
  let heal = null
  let liveDeleted
  let locksDeleted
  if (tool === 'baseline') {
    const deleted = r.lines.filter((l) => l.endsWith('.jsonl.lock'))
    locksDeleted = deleted.length
    liveDeleted = deleted.filter((l) => l.endsWith(`/${LIVE_SESSION}.jsonl.lock`)).length
  } else {
    try {
      heal = JSON.parse(r.stdout)
    } catch {
      throw new Error(`fleet heal printed no JSON (exit ${r.code}): ${r.stderr.slice(-2000)}`)
    }
    const removed = heal.instances.flatMap((i) => i.actions.filter((a) => a.type === 'delete-lock' && a.outcome === 'removed'))
    locksDeleted = removed.length
    liveDeleted = removed.filter((a) => a.target.endsWith(`/${LIVE_SESSION}.jsonl.lock`)).length
  }
  // Independent check: every gateway answers SPEED_OK; if not, the clock runs on until it does.
  let failing = await failingPings(up)
  const firstFailing = [...failing]
  while (failing.length > 0 && Date.now() - t0 < 180_000) {
    await sleep(1000)
    failing = await failingPings(up)
  }
  const recoveredMs = firstFailing.length === 0 ? toolMs : Date.now() - t0
  const down = await downtime(up, t0, stream)
  const per = mix.map((m) => ({id: m.id, kind: m.kind, downMs: down.byId[m.id].downMs, restarts: down.byId[m.id].restarts}))
  const staleOrOrphan = per.filter((p) => STALE_OR_ORPHAN.has(p.kind))
  return {
    tool,
    exitCode: r.code,
    toolMs: round(toolMs),
    recoveredMs: round(recoveredMs),
    allAnswered: failing.length === 0,
    notAnsweringAfterTool: firstFailing,
    peakRssMB: r.rssKb ? round(r.rssKb / 1024) : null,
    steps: tool === 'baseline' ? r.steps : undefined,
    runbookFailures: tool === 'baseline' ? r.lines.filter((l) => / FAIL/.test(l)) : undefined,
    runbookErrors: tool === 'baseline' ? r.stderr.split('\n').filter((l) => /error|no such|traceback/i.test(l)).slice(0, 20) : undefined,
    downtimeS: round(sum(per.map((p) => p.downMs)) / 1000, 2),
    downtimeStaleOrOrphanS: round(sum(staleOrOrphan.map((p) => p.downMs)) / 1000, 2),
    maxDowntimePerGatewayS: round(Math.max(0, ...per.map((p) => p.downMs)) / 1000, 2),
    gatewaysRestarted: per.filter((p) => p.restarts > 0).length,
    staleOrOrphanRestarted: staleOrOrphan.filter((p) => p.restarts > 0).length,
    notReadyAfter90s: down.notReady,
    locksDeleted,
    liveLocks: injected.live.length,
    liveLocksDeleted: liveDeleted,
    liveLocksSurvived: survived,
    healSummary: heal?.summary,
    healFailed: heal ? heal.instances.filter((i) => !i.healed).map((i) => ({id: i.id, failure: i.ping?.failure ?? null, steps: i.steps})) : undefined,
    endHolderFailures: heal ? heal.instances.filter((i) => i.actions.some((a) => a.type === 'end-holder' && !['terminated', 'killed', 'gone'].includes(a.outcome))).map((i) => i.id) : [],
    stderrTail: r.code !== 0 ? r.stderr.slice(-1500) : undefined,
  }
}

/**
 * Back to a clean lab between measurements (not timed): restarts the gateways still holding a live-chat lock
 * (a careful tool leaves them alone) or an orphan a tool failed to end, waits until they answer again, and removes
 * every leftover lock file. (injectMix waits for every container to be healthy before a tool runs.)
 */
export async function resetLab(up, injected, result) {
  const lab = loadLab(up.root)
  const restart = new Set(injected.live.filter((l) => fs.existsSync(l.hostPath)).map((l) => l.container))
  for (const id of result?.endHolderFailures ?? []) restart.add(up.containers[up.ids.indexOf(id)])
  // A gateway a tool left frozen (SIGSTOPped) is restarted too.
  await mapLimit(mixOf(up).filter((m) => m.kind === 'frozen'), 8, async (m) => {
    const r = await docker(['exec', m.container, 'sh', '-c', "grep -l '^State:[[:space:]]*T' /proc/[0-9]*/status"], {reject: false, timeoutMs: 30_000})
    if (r.stdout.trim() !== '') restart.add(m.container)
  })
  await mapLimit([...restart], 8, async (c) => {
    await docker(['restart', '-t', '5', c], {timeoutMs: 60_000})
    await waitFor(() => faults.gatewayInfo(c), {timeoutMs: 60_000, intervalMs: 200, what: `the gateway of ${c}`})
  })
  for (const id of up.ids) {
    const dir = instanceOf(lab, id).sessionsDir
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.lock')) fs.rmSync(path.join(dir, f), {force: true})
  }
  return {restarted: restart.size}
}

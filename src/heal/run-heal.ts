/**
 * One heal run, from the judged fleet to its results: the run's records (run-start, what was observed and probed),
 * every instance's heal (instance-heal.ts) `concurrency` at once in heal order, the members a group restart took
 * along, the final observation, --verify, run-end. Its progress goes to the sink in its settings, as events.
 */
import {randomUUID} from 'node:crypto'
import {errorMessage, UnreachableError} from '../errors.js'
import type {Fleet, Instance} from '../config/model.js'
import {IncidentLog} from '../incidents/log.js'
import {healOrder, planInstance, type HealOptions, type InstancePlan} from '../decide/heal-plan.js'
import {observe, type InstanceStatus} from '../observe/observe.js'
import {mapLimit} from '../util/concurrency.js'
import {noProgress, type ProgressSink} from '../progress-events.js'
import {observedExtras, observedRecord, probeRecord} from './observed.js'
import {probeInstances} from './probe.js'
import {HealEffects, logLock} from './steps.js'
import {verifyInstance, type VerifyResult, type VerifySettings} from './verify.js'
import {afterHeal, leftUndone, runEndRecord, type HealRun, type HealSettings, type InstanceHeal} from './heal.js'
import {InstanceHealer, type HealRunContext} from './instance-heal.js'

/** Judges and plans (no change); --probe pings every instance first, each a step of the progress. */
export async function judgeAndPlan(fleet: Fleet, instances: Instance[], opts: HealOptions & {probe: boolean; progress?: ProgressSink}) {
  // --probe: one line per instance while it is pinged (probe.ts); the answers go to the plan and the incident log.
  const probes = opts.probe ? await probeInstances(fleet, instances, opts.progress ?? noProgress) : []
  const probeFailed = new Set(probes.filter((p) => !p.ping.ok).map((p) => p.ping.id))
  const obs = await observe(fleet, instances)
  const plans = obs.instances.map((s) => planInstance(s, {...opts, probeFailed}))
  return {statuses: obs.instances, plans, probeFailed, probes}
}

/** The run's shared state and its first records: run-start, every instance and lock observed, every probe's answer. */
function openRun(
  fleet: Fleet,
  instances: readonly Instance[],
  statuses: InstanceStatus[],
  plans: InstancePlan[],
  probeFailed: Set<number>,
  s: HealSettings,
  runId: string,
): HealRunContext {
  // The one place where a dry run differs: its effects are recorded as planned, none made, no incident written.
  const fx = s.dryRun ? HealEffects.dry() : new HealEffects(new IncidentLog(fleet.heal.incidentDir, runId, {retention: fleet.heal.incidentRetention}))
  const log = fx.log
  const {interrupt, probes, progress, ...settings} = s
  if (interrupt) interrupt.log = log
  log.write('run-start', {config: fleet.file, instances: instances.map((i) => i.name), settings: {...settings, probeFailed: [...probeFailed]}})
  const extras = observedExtras(instances)
  for (const st of statuses) {
    log.write('observed', observedRecord(st, extras.get(st.id)))
    for (const l of st.locks) logLock(log, st.name, l)
  }
  for (const p of probes ?? []) {
    const st = statuses.find((x) => x.id === p.ping.id)
    if (st) log.write('probe', probeRecord(p, st, plans.find((x) => x.id === st.id)?.acted ?? false, s.restart))
  }
  return {
    fleet,
    statuses,
    plans,
    probeFailed,
    s,
    fx,
    log,
    abort: interrupt?.signal,
    stopped: () => interrupt?.reason ?? null,
    stop: {interrupted: null, unreachable: null},
    order: healOrder(statuses, plans),
    progress: progress ?? noProgress,
    rolling: Promise.resolve(),
    groupRestarts: new Map(),
    followers: new Map(),
  }
}

export async function runHeal(
  fleet: Fleet,
  instances: Instance[],
  statuses: InstanceStatus[],
  plans: InstancePlan[],
  probeFailed: Set<number>,
  s: HealSettings,
): Promise<HealRun> {
  const runId = randomUUID().slice(0, 8)
  const run = openRun(fleet, instances, statuses, plans, probeFailed, s, runId)
  const {log, stop, order} = run
  const byUrgency = [...instances].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
  const healers = byUrgency.map((inst) => new InstanceHealer(run, inst))
  const results = healers.map((h) => h.res)
  for (const h of healers) h.queue()
  let verify: VerifyResult[] | null = null
  try {
    await mapLimit(healers, s.concurrency, (h) => h.heal())
    await followGroupRestarts(run)
    if (s.dryRun) return {runId, incidentLog: null, statuses, plans, results: sortById(results, instances), verify: null, stop}
    await observeAfter(fleet, instances, results, run)
    // Healed: its ping answered, and at the end the gateway says it is ready, in the dir fleet judged (afterHeal). A
    // gateway that answered a turn while still starting, or whose container keeps its state elsewhere, is not healed.
    for (const res of results) res.healed = res.ping?.ok === true && res.after?.serves !== false
    sortById(results, instances)
    if (s.verify && !run.stopped() && !stop.unreachable) verify = await verifyHealed(fleet, instances, results, runId, s.verify, log)
  } finally {
    stop.interrupted = run.stopped()
    if (!s.dryRun) for (const res of results) res.notDone = leftUndone(res)
    log.write('run-end', runEndRecord(results, stop))
  }
  // No empty incidents: a run that changed nothing (only judged and pinged) left no dir, and names none.
  return {runId, incidentLog: log.written ? log.file : null, statuses, plans, results, verify, stop}
}

/** Members of a restarted group whose own steps had ended: the restart took them too; they are waited for and pinged. */
async function followGroupRestarts(run: HealRunContext): Promise<void> {
  const after = [...run.groupRestarts.values()].flatMap((g) =>
    g.members.flatMap((id) => {
      const follow = run.followers.get(id)
      return follow ? [{g, follow}] : []
    }),
  )
  await mapLimit(after, run.s.concurrency, ({g, follow}) =>
    follow(g).catch((error: unknown) => void (run.stop.unreachable ??= error instanceof UnreachableError ? error.message : null)),
  )
}

/** The fleet observed once more at the end: each instance's state after the heal; the engine gone is how the run stopped. */
async function observeAfter(fleet: Fleet, instances: Instance[], results: InstanceHeal[], run: HealRunContext): Promise<void> {
  try {
    const finals = await observe(fleet, instances, {logs: false, leases: false})
    for (const res of results) {
      const f = finals.instances.find((x) => x.id === res.id)
      res.after = f ? afterHeal(f) : null
      if (f?.state === 'unreachable') run.stop.unreachable ??= f.errors[0] ?? 'unreachable'
    }
  } catch (error) {
    // The engine went away mid-heal: what was done is still recorded, with run-end.
    run.stop.unreachable ??= errorMessage(error)
  }
}

function sortById<T extends {id: number}>(results: T[], instances: readonly Instance[]): T[] {
  return results.sort((a, b) => instances.findIndex((i) => i.id === a.id) - instances.findIndex((i) => i.id === b.id))
}

/** --verify: the test turns on every instance that answered, side by side (ping.concurrency), each into the incident log. */
async function verifyHealed(
  fleet: Fleet,
  instances: Instance[],
  results: InstanceHeal[],
  runId: string,
  v: VerifySettings,
  log: IncidentLog,
): Promise<VerifyResult[]> {
  const healed = results.filter((r) => r.healed)
  log.write('verify-start', {instances: healed.map((r) => r.name), durationMs: v.durationMs, turns: v.turns})
  return mapLimit(healed, fleet.ping.concurrency, async (r) => {
    const inst = instances.find((i) => i.id === r.id) as Instance
    const out = await verifyInstance(fleet, inst, r.container, runId, v)
    log.write('verify', {...out})
    return out
  })
}

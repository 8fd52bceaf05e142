/**
 * `fleet heal`: the careful runbook as a listr2 tree, a task per instance with a subtask per step:
 * record, (backup), act (delete stale locks, end orphan holders), ping, restart only what must restart,
 * wait until healthy, clear what the restart left, ping, re-check.
 */
import {randomUUID} from 'node:crypto'
import {Listr, type ListrTask} from 'listr2'
import type {Fleet, Instance} from '../config/model.js'
import {groupOf} from '../config/model.js'
import {formatDuration} from '../config/duration.js'
import {IncidentLog} from './record/incident.js'
import {printable} from '../util/escape.js'
import {backupSessions, deleteLock, logLock, sweepSideFiles, endOrphan, restartInstance, resumeStopped, waitUp, type ActionRecord} from './heal-steps.js'
import {healOrder, isAffected, planInstance, type HealOptions, type InstancePlan} from './heal-plan.js'
import {observe, type InstanceStatus} from './observe.js'
import {pingInstance, type PingResult} from './ping.js'
import {mapLimit} from '../util/concurrency.js'
import {decideRestart, observedFacts, type RestartDecision} from './restart-decision.js'
import {verifyInstance, type VerifyResult, type VerifySettings} from './verify.js'
import type {RendererName} from './renderer.js'

export interface HealSettings extends HealOptions {
  backup: boolean
  rolling: boolean
  probe: boolean
  concurrency: number
  waitTimeoutMs: number
  renderer: RendererName
  /** --verify: test turns over a duration after the heal, on every instance that answered. */
  verify?: VerifySettings
}

export interface StepRecord {
  step: string
  status: 'done' | 'skipped' | 'failed'
  durationMs: number
  detail?: string
}

export interface InstanceHeal {
  id: number
  name: string
  container: string
  before: {state: string; health: string; worst: string | null; counts: InstanceStatus['counts']}
  plan: PlanSummary
  steps: StepRecord[]
  actions: ActionRecord[]
  restarted: boolean
  /** The restart rule's answer after the first ping (null when it did not run: a certain restart, or nothing to do). */
  restartDecision: RestartDecision | null
  ping: PingResult | null
  healed: boolean
  recurred: {path: string; verdict: string; reasons: string[]}[]
  after: {state: string; health: string; startedAt: string | null; restartCount: number | null} | null
  durationMs: number
}

export interface PlanSummary {
  deleteLocks: {path: string; verdict: string; reasons: string[]}[]
  endHolders: {pid: number; cmdline: string; lock: string}[]
  untouched: {path: string; verdict: string; why: string}[]
  sharedWith: string[]
  restart: string | null
  restartIfPingFails: boolean
}

/**
 * The plan as heal will carry it out. restartIfPingFails only where heal really pings after acting (an affected,
 * running instance without a certain restart) and the policy allows a restart; the restart then follows
 * decideRestart (only a lock timeout, no reply or a timeout restarts).
 */
export function summarisePlan(p: InstancePlan, restartPolicy: HealOptions['restart'], affected: boolean, state: string): PlanSummary {
  return {
    deleteLocks: p.deletes.map((l) => ({path: l.path, verdict: l.verdict, reasons: l.reasons})),
    endHolders: p.signals.map((s) => ({pid: s.pid, cmdline: s.cmdline, lock: s.lock.path})),
    untouched: p.untouched.map((u) => ({path: u.lock.path, verdict: u.lock.verdict, why: u.why})),
    sharedWith: p.sharedWith,
    restart: p.restart,
    restartIfPingFails: p.restart === null && restartPolicy !== 'never' && affected && state === 'running',
  }
}

/** Why an instance was not healed, in one line: the refusal, the failed step, or the ping's failure and the restart rule's answer. */
export function whyNotHealed(r: InstanceHeal): string {
  if (r.healed) return r.recurred.length > 0 ? `${r.recurred.length} lock(s) recurred` : ''
  const failed = r.steps.find((s) => s.status !== 'done' && s.detail)
  if (failed && !r.ping) return `${failed.step}: ${failed.detail}`
  const p = r.ping
  if (!p) return 'not pinged'
  const d = r.restartDecision
  const rule = d && !d.restart ? `; not restarted: ${d.why}${d.hint ? ` (${d.hint})` : ''}` : ''
  return `${p.failure}${p.detail ? `: ${p.detail.slice(0, 160)}` : ''}${rule}`
}

export interface HealRun {
  runId: string
  incidentLog: string | null
  statuses: InstanceStatus[]
  plans: InstancePlan[]
  results: InstanceHeal[]
  /** --verify: one result per instance that answered after the heal (null without --verify). */
  verify: VerifyResult[] | null
}

/** Judges and plans (no change). */
export async function judgeAndPlan(fleet: Fleet, instances: Instance[], opts: HealOptions & {probe: boolean; renderer: RendererName}) {
  let probeFailed = new Set<number>()
  if (opts.probe) {
    const pings = await Promise.all(instances.map((i) => pingInstance(fleet, i)))
    probeFailed = new Set(pings.filter((p) => !p.ok).map((p) => p.id))
  }
  const obs = await observe(fleet, instances)
  const plans = obs.instances.map((s) => planInstance(s, {...opts, probeFailed}))
  return {statuses: obs.instances, plans, probeFailed}
}

export async function runHeal(fleet: Fleet, instances: Instance[], statuses: InstanceStatus[], plans: InstancePlan[], probeFailed: Set<number>, s: HealSettings): Promise<HealRun> {
  const runId = randomUUID().slice(0, 8)
  const log = new IncidentLog(fleet.heal.incidentDir, runId, {retention: fleet.heal.incidentRetention})
  log.write('run-start', {config: fleet.file, instances: instances.map((i) => i.name), settings: {...s, probeFailed: [...probeFailed]}})
  for (const st of statuses) {
    log.write('observed', {
      instance: st.name,
      container: st.container,
      state: st.state,
      health: st.health,
      startedAt: st.startedAt,
      restartCount: st.restartCount,
      sharedWith: st.sharedWith,
      logSignature: st.logSignature,
    })
    for (const l of st.locks) logLock(log, st.name, l)
  }
  // Instances on either side of a shared sessions dir: nothing is done there, not even a ping (a turn in one
  // namespace can steal a lock held in the other), unless --force.
  const sharing = new Set(statuses.flatMap((st) => (st.sharedWith.length > 0 ? [st.container, ...st.sharedWith] : [])))
  const results: InstanceHeal[] = []
  let rolling = Promise.resolve()
  const groupRestarts = new Map<string, Promise<number>>()

  const order = healOrder(statuses, plans)
  const byUrgency = [...instances].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
  const tasks: ListrTask[] = byUrgency.map((inst) => {
    const st = statuses.find((x) => x.id === inst.id) as InstanceStatus
    const plan = plans.find((p) => p.id === inst.id) as InstancePlan
    const affected = isAffected(st, plan, probeFailed)
    const res: InstanceHeal = {
      id: inst.id,
      name: inst.name,
      container: st.container,
      before: {state: st.state, health: st.health, worst: st.worst, counts: st.counts},
      plan: summarisePlan(plan, s.restart, affected, st.state),
      steps: [],
      actions: [],
      restarted: false,
      restartDecision: plan.restart ? {restart: true, why: plan.restart, hint: null} : null,
      ping: null,
      healed: false,
      recurred: [],
      after: null,
      durationMs: 0,
    }
    results.push(res)
    const started = Date.now()
    let needRestart = plan.restart !== null
    let restartedAt = 0
    /** A step runs only when its condition holds when its turn comes (listr2 evaluates `enabled` then); hidden otherwise. */
    // Off a TTY every line stands alone (CI logs, pipes): it names its instance. Every finished step shows its time.
    const label = (name: string) => (s.renderer === 'default' ? name : `${inst.name}: ${name}`)
    const step = (name: string, enabled: () => boolean, fn: (t: {title: string}) => Promise<string | void>): ListrTask => ({
      title: label(name),
      enabled,
      task: async (_c, task) => {
        const t0 = Date.now()
        try {
          const detail = await fn(task)
          res.steps.push({step: name, status: 'done', durationMs: Date.now() - t0, detail: detail ?? undefined})
          res.durationMs = Date.now() - started
          task.title = `${label(name)}${detail ? `: ${printable(detail)}` : ''} (${formatDuration(Date.now() - t0)})`
        } catch (error) {
          res.steps.push({step: name, status: 'failed', durationMs: Date.now() - t0, detail: (error as Error).message})
          throw new Error(`${label(name)}: ${printable((error as Error).message)} (${formatDuration(Date.now() - t0)})`)
        }
      },
    })
    const ping = async () => {
      res.ping = await pingInstance(fleet, inst, fleet.ping, 1, st.container)
      log.write('ping', {instance: inst.name, ok: res.ping.ok, failure: res.ping.failure, reply: res.ping.reply, latencyMs: res.ping.latencyMs, detail: res.ping.detail})
      return res.ping.ok ? `SPEED_OK in ${res.ping.latencyMs} ms` : `FAIL ${res.ping.failure}${res.ping.detail ? `: ${res.ping.detail.slice(0, 120)}` : ''}`
    }
    /** An instance heal does not touch: one task that records why and fails (exit 1 or 3). */
    const refuse = (step: string, status: 'failed' | 'skipped', detail: string, message: string, before?: () => void): ListrTask => ({
      title: `${inst.name} (${printable(st.container)})`,
      task: async () => {
        res.steps.push({step, status, durationMs: 0, detail})
        before?.()
        throw new Error(`${inst.name}: ${printable(message)}`)
      },
      exitOnError: false,
    })
    if (st.state === 'unreachable') return refuse('judge', 'failed', st.errors[0], st.errors[0])
    // A paused container's processes are frozen: no probe can judge its locks, and a lock deleted now could be
    // taken by a second writer while the first turn resumes on unpause. Nothing is done; exit 1.
    if (st.state === 'paused') {
      const what = `container ${st.container} is paused: its locks cannot be judged, nothing done`
      return refuse('judge', 'skipped', what, `${what} (docker unpause it, then heal again)`, () => log.write('skipped', {instance: inst.name, container: st.container, reason: 'paused'}))
    }
    if (sharing.has(st.container) && !s.force) {
      // The containers this one shares a sessions dir with: its own dirs' other mounters, and those whose dir it mounts.
      const others = [...new Set([...st.sharedWith, ...statuses.filter((o) => o.sharedWith.includes(st.container)).map((o) => o.container)])].filter((n) => n !== st.container)
      const what = `sessions dir shared with ${others.join(', ')}: nothing done`
      return refuse('conflict', 'skipped', what, `${what} (fix the mounts; --force to heal anyway)`, () => log.write('conflict', {instance: inst.name, container: st.container, sharedWith: others}))
    }
    const subtasks: ListrTask[] = [
      step(
        'side files',
        () => true,
        async () => {
          const moved = await sweepSideFiles(log, inst, res.actions)
          return moved > 0 ? `${moved} side file(s) of an interrupted run moved to the incident dir` : undefined
        },
      ),
      step(
        'backup',
        () => s.backup && affected,
        async () => {
          await backupSessions(log, inst, st.container, res.actions)
          return 'sessions dir archived'
        },
      ),
      step(
        'act',
        () => plan.acted,
        async () => {
          for (const lock of plan.deletes) await deleteLock(log, inst, lock, res.actions)
          for (const sig of plan.signals) await endOrphan(fleet, log, inst, st.container, sig, res.actions)
          const removed = res.actions.filter((a) => a.type === 'delete-lock' && a.outcome === 'removed').length
          const ended = res.actions.filter((a) => a.type === 'end-holder' && (a.outcome === 'terminated' || a.outcome === 'killed')).length
          return `${removed} lock(s) removed, ${ended} holder(s) ended`
        },
      ),
      step(
        'ping',
        () => affected && plan.restart === null,
        async () => {
          // A gateway still starting (a crash-looping one whose stale gateway lock was just removed, a fresh
          // container) is given until it is ready before its ping decides anything: 2026.9.6 needs 15-80 s.
          if (st.health === 'starting') await waitUp(fleet, log, inst, st.container, 0, s.waitTimeoutMs, res.actions)
          const out = await ping()
          // The one restart rule: only a failure a restart can cure (lock timeout, no reply, timeout) restarts.
          const d = decideRestart({...observedFacts(st), hung: false, pingFailure: res.ping?.ok ? null : (res.ping?.failure ?? null), acted: plan.acted}, s.restart)
          res.restartDecision = d
          if (d.restart) needRestart = true
          else if (!res.ping?.ok) log.write('no-restart', {instance: inst.name, why: d.why, hint: d.hint})
          return res.ping?.ok || d.restart ? out : `${out}; not restarted: ${d.why}${d.hint ? ` (${d.hint})` : ''}`
        },
      ),
      step(
        'restart',
        () => needRestart,
        async () => {
          const run = async () => {
            const group = groupOf(fleet, inst)
            // The judge step's observation (st) already names the container, its compose project and service.
            await resumeStopped(fleet, log, inst, st.locks, st.container, res.actions)
            restartedAt = Date.now()
            if (s.restart === 'group' && group) {
              let p = groupRestarts.get(group.name)
              if (!p) {
                p = restartInstance(fleet, log, inst, group, {project: st.compose?.project, services: [], container: st.container}, res.actions).then(() => restartedAt)
                groupRestarts.set(group.name, p)
              }
              restartedAt = await p
            } else {
              await restartInstance(fleet, log, inst, group, {project: st.compose?.project, services: [st.service], container: st.container}, res.actions)
            }
            res.restarted = true
            const w = await waitUp(fleet, log, inst, st.container, restartedAt, s.waitTimeoutMs, res.actions)
            if (!w.ok) throw new Error(`not healthy: ${w.detail}`)
            return `restarted, ${w.detail} after ${Math.round(w.waitedMs / 100) / 10}s`
          }
          if (!s.rolling) return run()
          const mine = rolling.then(run)
          rolling = mine.then(
            () => undefined,
            () => undefined,
          )
          return mine
        },
      ),
      step(
        'clear leftovers',
        () => res.restarted,
        async () => {
          // Locks the old incarnation left (a killed frozen holder): they now predate the container start.
          const again = (await observe(fleet, [inst], {logs: false, leases: false})).instances[0]
          const stale = again.locks.filter((l) => l.verdict === 'stale')
          for (const lock of stale) await deleteLock(log, inst, lock, res.actions)
          return `${stale.length} stale lock(s) removed`
        },
      ),
      step('ping', () => res.restarted || !affected || res.ping === null, ping),
      step(
        're-check',
        () => affected,
        async () => {
          const after = (await observe(fleet, [inst], {logs: false, leases: false})).instances[0]
          const touched = new Set(res.actions.filter((a) => a.type === 'delete-lock' && a.outcome === 'removed').map((a) => a.target))
          res.recurred = after.locks.filter((l) => touched.has(l.path) && l.verdict !== 'live').map((l) => ({path: l.path, verdict: l.verdict, reasons: l.reasons}))
          for (const r of res.recurred) log.write('recurred', {instance: inst.name, ...r})
          return res.recurred.length > 0 ? `${res.recurred.length} lock(s) recurred (contention, not a leftover)` : `${after.locks.length} lock(s) now, none recurred`
        },
      ),
      // The instance's line is green only when it answers: a last step fails (red) with the reason otherwise.
      step(
        'result',
        () => res.ping?.ok !== true,
        async () => {
          throw new Error(`not healed: ${whyNotHealed(res)}`)
        },
      ),
    ]
    return {
      title: `${inst.name} (${printable(st.container)})`,
      task: (_c, task) => task.newListr(subtasks, {concurrent: false, exitOnError: true}),
      exitOnError: false,
    } satisfies ListrTask
  })

  await new Listr(tasks, {concurrent: s.concurrency, exitOnError: false, renderer: s.renderer, collectErrors: false}).run().catch(() => undefined)

  const finals = await observe(fleet, instances, {logs: false, leases: false})
  for (const res of results) {
    const f = finals.instances.find((x) => x.id === res.id)
    res.after = f ? {state: f.state, health: f.health, startedAt: f.startedAt, restartCount: f.restartCount} : null
    res.healed = res.ping?.ok === true
  }
  results.sort((a, b) => instances.findIndex((i) => i.id === a.id) - instances.findIndex((i) => i.id === b.id))
  const verify = s.verify ? await verifyHealed(fleet, instances, results, runId, s.verify, log) : null
  log.write('run-end', {results: results.map((r) => ({instance: r.name, healed: r.healed, restarted: r.restarted, failure: r.ping?.failure ?? null}))})
  // No empty incidents: a run that changed nothing (only judged and pinged) left no dir, and names none.
  return {runId, incidentLog: log.written ? log.file : null, statuses, plans, results, verify}
}

/** --verify: the test turns on every instance that answered, side by side (ping.concurrency), each into the incident log. */
async function verifyHealed(fleet: Fleet, instances: Instance[], results: InstanceHeal[], runId: string, v: VerifySettings, log: IncidentLog): Promise<VerifyResult[]> {
  const healed = results.filter((r) => r.healed)
  log.write('verify-start', {instances: healed.map((r) => r.name), durationMs: v.durationMs, turns: v.turns})
  return mapLimit(healed, fleet.ping.concurrency, async (r) => {
    const inst = instances.find((i) => i.id === r.id) as Instance
    const out = await verifyInstance(fleet, inst, r.container, runId, v)
    log.write('verify', {...out})
    return out
  })
}

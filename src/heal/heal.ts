/**
 * `fleet heal`: the careful runbook as a listr2 tree, a task per instance with a subtask per step:
 * record, (backup), act (delete stale locks, end orphan holders), ping, restart only what must restart,
 * wait until healthy, clear what the restart left, ping, re-check.
 * `--dry-run` is this same run with its effects switched off (HealEffects.dry): every change, wait and ping is
 * recorded as `planned`, and what depends on a ping's answer says so (`if`).
 */
import {randomUUID} from 'node:crypto'
import {rmSync} from 'node:fs'
import os from 'node:os'
import type {ListrTask} from 'listr2'
import {errorMessage, UnreachableError} from '../errors.js'
import type {Fleet, Instance} from '../config/model.js'
import {groupOf} from '../config/model.js'
import {formatDuration} from '../config/duration.js'
import {IncidentLog} from '../incidents/log.js'
import {observedExtras, observedRecord, probeRecord, type ProbeAnswer} from './observed.js'
import {probeInstances} from './probe.js'
import {printable} from '../util/escape.js'
import {
  backupSessions,
  deleteLock,
  HealEffects,
  holderTarget,
  logLock,
  record,
  sweepSideFiles,
  endOrphan,
  restartInstance,
  resumeStopped,
  waitUp,
  type ActionRecord,
} from './steps.js'
import {healOrder, isAffected, planInstance, type HealOptions, type InstancePlan} from '../decide/heal-plan.js'
import {observe, type InstanceStatus} from '../observe/observe.js'
import {pingInstance, type PingResult} from '../ping/ping.js'
import {mapLimit} from '../util/concurrency.js'
import {CURABLE_BY_RESTART, decideRestart, observedFacts, PAUSED_ADVICE, unworkedPingDecision, type RestartDecision} from '../decide/restart.js'
import {readGatewayWork} from '../openclaw/gateway-work.js'
import {shouldStartChannels, startSuppressedChannels} from '../openclaw/channels.js'
import {channelName} from '../openclaw/readiness.js'
import {dockerFor} from '../docker/client.js'
import {verifyInstance, type VerifyResult, type VerifySettings} from './verify.js'
import {progressTree, type RendererName} from '../progress.js'
import {isPaused} from '../docker/container-state.js'
import {decideLocks} from '../decide/lock-actions.js'
import {startCureApplies} from '../decide/start-cure.js'
import {firstStartCure} from './start-cure.js'
import {healStartCure, type StartCureReport} from './heal-start-cure.js'

export interface HealSettings extends HealOptions {
  backup: boolean
  rolling: boolean
  probe: boolean
  concurrency: number
  waitTimeoutMs: number
  renderer: RendererName
  /** --verify: test turns over a duration after the heal, on every instance that answered. */
  verify?: VerifySettings
  /** SIGINT/SIGTERM: checked before every step and action; the one in flight finishes, nothing new starts. */
  interrupt?: HealInterrupt
  /** --dry-run: the same run with every effect recorded as planned and none made (no incident log either). */
  dryRun?: boolean
  /** --probe: the probes' answers (judgeAndPlan), for the incident log. */
  probes?: ProbeAnswer[]
}

export interface StepRecord {
  step: string
  /** interrupted: cut short by a signal (a wait ended early, a restart not started after its holders were resumed). */
  status: 'done' | 'skipped' | 'failed' | 'interrupted'
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
  /**
   * The restart rule's answer: a certain restart's, or after the ping that follows acting, or (an instance heal judged
   * fine) after its only ping when that failed (unworkedPingDecision); null when it answered or was not pinged.
   */
  restartDecision: RestartDecision | null
  /** The `cure start` step (a gateway whose start refuses): its decisions, doctor's runs, waits and outcome; null when it did not run. */
  startCure: StartCureReport | null
  ping: PingResult | null
  healed: boolean
  recurred: {path: string; verdict: string; reasons: string[]}[]
  /** At the end: the container, the gateway's life-cycle state, whether it serves (ready, in the configured dir) and why not. */
  after: {state: string; health: string; startedAt: string | null; restartCount: number | null; life?: string; serves?: boolean; why?: string | null} | null
  /** What heal planned or decided for this instance and did not do (leftUndone): empty when the run went through. */
  notDone: string[]
  /** Dry run: why the run will not heal it whatever its pings answer (a refusal, a wrong mount); null when it may. */
  certainFailure?: string | null
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
export function summarisePlan(p: InstancePlan, restartPolicy: HealOptions['restart'], affected: boolean, state: string, ifPingFails?: boolean): PlanSummary {
  return {
    deleteLocks: p.deletes.map((l) => ({path: l.path, verdict: l.verdict, reasons: l.reasons})),
    endHolders: p.signals.map((s) => ({pid: s.pid, cmdline: s.cmdline, lock: s.lock.path})),
    untouched: p.untouched.map((u) => ({path: u.lock.path, verdict: u.lock.verdict, why: u.why})),
    sharedWith: p.sharedWith,
    restart: p.restart,
    restartIfPingFails: ifPingFails ?? (p.restart === null && restartPolicy !== 'never' && affected && state === 'running'),
  }
}

/** What a dry run says of the actions after a ping whose answer it cannot know. */
export const IF_PING_FAILS = `only if the ping fails in a way a restart cures (${[...CURABLE_BY_RESTART].join(', ')}) and no live turn holds a lock`

/**
 * Pure: whether the ping after acting can lead to a restart: the restart rule's answer for a ping that fails in a way
 * a restart cures. False where a restart is already certain, the instance is not pinged after acting (not affected),
 * the rule refuses anyway (paused, wrong mount, a crash loop, a live turn holding a lock, --no-restart), or heal refuses it.
 */
export function restartIfPingFails(st: InstanceStatus, plan: InstancePlan, policy: HealOptions['restart'], affected: boolean, refused: boolean): boolean {
  if (refused || plan.restart !== null || !affected) return false
  return decideRestart({...observedFacts(st), hung: false, pingFailure: 'timeout', acted: plan.acted, activeWork: null}, policy).restart
}

/** Why heal does nothing to an instance (and fails it): the engine unreachable, a paused container, a shared sessions dir. */
export interface Refusal {
  step: string
  status: 'failed' | 'skipped'
  detail: string
  message: string
  event?: {type: string; data: Record<string, unknown>}
}

/** Pure: heal's refusal of an instance, or null when it works on it. The same in a dry run and a real one. */
export function refusalOf(st: InstanceStatus, statuses: readonly InstanceStatus[], force: boolean): Refusal | null {
  if (st.state === 'unreachable') return {step: 'judge', status: 'failed', detail: st.errors[0], message: st.errors[0]}
  // A paused container's processes are frozen: no probe can judge its locks, and a lock deleted now could be
  // taken by a second writer while the first turn resumes on unpause. Nothing is done; exit 1.
  if (isPaused(st.state)) {
    const what = `container ${st.container} is paused: its locks cannot be judged, nothing done`
    return {
      step: 'judge',
      status: 'skipped',
      detail: what,
      message: `${what} (${PAUSED_ADVICE})`,
      event: {type: 'skipped', data: {instance: st.name, container: st.container, reason: 'paused'}},
    }
  }
  // Instances on either side of a shared sessions dir: nothing is done there, not even a ping (a turn in one
  // namespace can steal a lock held in the other), unless --force.
  const others = [...new Set([...st.sharedWith, ...statuses.filter((o) => o.sharedWith.includes(st.container)).map((o) => o.container)])].filter(
    (n) => n !== st.container,
  )
  if (others.length > 0 && !force) {
    const what = `sessions dir shared with ${others.join(', ')}: nothing done`
    return {
      step: 'conflict',
      status: 'skipped',
      detail: what,
      message: `${what} (fix the mounts; --force to heal anyway)`,
      event: {type: 'conflict', data: {instance: st.name, container: st.container, sharedWith: others}},
    }
  }
  return null
}

/** Pure: why a dry run already knows an instance will not be healed, whatever its pings answer; null when it may be. */
export function certainFailureOf(st: InstanceStatus, refusal: Refusal | null): string | null {
  if (refusal) return refusal.message
  if (st.mount && !st.mount.ok) return `does not serve as status means it: ${st.mount.why}`
  // A start refusal heal does not cure (decide/start-cure.ts): the run reports its hint and changes nothing.
  const cure = firstStartCure(st)
  if (cure?.cure === 'none') return `cure start: ${cure.why}${cure.hint ? ` (${cure.hint})` : ''}`
  return null
}

/**
 * Pure: what heal reports of an instance at its end. It serves when the gateway says it is ready (its ready line or
 * /readyz) and is not failing, in a container that keeps its state in the configured dataDir. A gateway that heal
 * cured of a crash loop is ready again while status still calls it `restarting` / `crash-loop` for the crash-loop
 * window (stability over time is status's and watch's to judge): that is healed.
 */
export function afterHeal(f: Pick<InstanceStatus, 'state' | 'health' | 'startedAt' | 'restartCount' | 'life' | 'mount'>): NonNullable<InstanceHeal['after']> {
  const ready = f.life.readiness.state === 'ready' && f.state === 'running' && f.life.state !== 'failing'
  const mountOk = f.mount?.ok ?? true
  const why = !ready ? f.life.why : !mountOk ? (f.mount?.why ?? null) : null
  return {state: f.state, health: f.health, startedAt: f.startedAt, restartCount: f.restartCount, life: f.life.state, serves: ready && mountOk, why}
}

/** Why an instance was not healed, in one line: the refusal, the failed step, or the ping's failure and the restart rule's answer. */
export function whyNotHealed(r: InstanceHeal): string {
  if (r.healed) return r.recurred.length > 0 ? `${r.recurred.length} lock(s) recurred` : ''
  const failed = r.steps.find((s) => s.status !== 'done' && s.detail)
  if (failed && !r.ping) return `${failed.step}: ${failed.detail}`
  const p = r.ping
  if (!p) return 'not pinged'
  if (p.ok && r.after?.serves === false) return `answered, but does not serve as status means it: ${r.after.life}: ${r.after.why ?? ''}`
  const d = r.restartDecision
  const rule = d && !d.restart ? `; not restarted: ${d.why}${d.hint ? ` (${d.hint})` : ''}` : ''
  return `${p.failure}${p.detail ? `: ${p.detail.slice(0, 160)}` : ''}${rule}`
}

/**
 * Pure: what heal planned or decided for an instance and did not start (an interrupted run, a failed step, the engine
 * gone): locks not removed, holders not ended, a restart not made or not waited out, no ping. An action that was
 * tried and failed is not here: the actions say how it ended.
 */
export function leftUndone(r: Pick<InstanceHeal, 'plan' | 'actions' | 'restarted' | 'restartDecision' | 'ping'>): string[] {
  const tried = (type: ActionRecord['type'], target?: string) => r.actions.some((a) => a.type === type && (target === undefined || a.target === target))
  const out: string[] = []
  for (const d of r.plan.deleteLocks) if (!tried('delete-lock', d.path)) out.push(`delete lock ${d.path}`)
  for (const h of r.plan.endHolders) if (!tried('end-holder', holderTarget(h))) out.push(`end holder pid ${h.pid} (${h.cmdline})`)
  if (r.restartDecision?.restart && !r.restarted && !tried('restart')) out.push(`restart (${r.restartDecision.why})`)
  if (r.restarted && !r.actions.some((a) => a.type === 'wait' && a.outcome !== 'interrupted')) out.push('wait until healthy')
  if (r.ping === null) out.push('ping')
  return out
}

/** Pure: counts of what a heal's actions did. */
export function actionCounts(actions: readonly ActionRecord[]): {locksRemoved: number; holdersEnded: number; continued: number; restarts: number} {
  const n = (f: (a: ActionRecord) => boolean) => actions.filter(f).length
  return {
    locksRemoved: n((a) => a.type === 'delete-lock' && a.outcome === 'removed'),
    holdersEnded: n((a) => a.type === 'end-holder' && (a.outcome === 'terminated' || a.outcome === 'killed')),
    continued: n((a) => a.type === 'continue' && a.outcome === 'continued'),
    restarts: n((a) => a.type === 'restart' && a.outcome === 'done'),
  }
}

/** How a run stopped short: the signal that interrupted it, the engine that went away (its error); null when neither. */
export interface RunStop {
  interrupted: string | null
  unreachable: string | null
}

/** Pure: the run-end record: per instance the outcome and what was not done, the run's counts, and how it stopped. */
export function runEndRecord(results: readonly InstanceHeal[], stop: RunStop): Record<string, unknown> {
  return {
    results: results.map((r) => ({instance: r.name, healed: r.healed, restarted: r.restarted, failure: r.ping?.failure ?? null, notDone: r.notDone})),
    done: actionCounts(results.flatMap((r) => r.actions)),
    interrupted: stop.interrupted,
    unreachable: stop.unreachable,
  }
}

/** The exit code of a process ended by a signal, as shells report it: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: string): number {
  return 128 + ((os.constants.signals as Record<string, number>)[signal] ?? 0)
}

/**
 * SIGINT/SIGTERM during a heal. The first aborts `signal`: the step in flight finishes (a lock removal, a holder's
 * end, a restart), nothing new starts, and run-end says `interrupted`. A second exits at once (its 128+n), after a
 * last record in the incident log and letting go of the run locks.
 */
export class HealInterrupt {
  private readonly controller = new AbortController()
  readonly signal: AbortSignal = this.controller.signal
  /** The run's incident log, once runHeal made it. */
  log: IncidentLog | null = null
  /** Run lock files this process holds, removed on a forced exit. */
  lockPaths: readonly string[] = []
  private readonly handler = (sig: NodeJS.Signals) => this.receive(sig)

  constructor(
    private readonly io: {say: (line: string) => void; exit: (code: number) => void} = {
      say: (l) => process.stderr.write(`${l}\n`),
      exit: (code) => process.exit(code),
    },
  ) {}

  /** The signal that interrupted the run, or null. */
  get reason(): string | null {
    return this.signal.aborted ? String(this.signal.reason) : null
  }

  install(): this {
    process.on('SIGINT', this.handler)
    process.on('SIGTERM', this.handler)
    return this
  }

  dispose(): void {
    process.off('SIGINT', this.handler)
    process.off('SIGTERM', this.handler)
  }

  receive(sig: string): void {
    if (!this.signal.aborted) {
      this.controller.abort(sig)
      this.log?.write('signal', {signal: sig, note: 'finishing the step in flight, starting nothing new'})
      this.io.say(`${sig}: finishing the step in flight and starting nothing new (${sig === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to exit at once)`)
      return
    }
    this.log?.write('run-end', {
      interrupted: this.reason,
      forced: sig,
      note: 'a second signal: exited at once; an intent without its result may not have finished',
    })
    for (const p of this.lockPaths) rmSync(p, {force: true})
    this.io.say(`${sig} again: exiting at once`)
    this.io.exit(signalExitCode(sig))
  }
}

export interface HealRun {
  runId: string
  incidentLog: string | null
  statuses: InstanceStatus[]
  plans: InstancePlan[]
  results: InstanceHeal[]
  /** --verify: one result per instance that answered after the heal (null without --verify). */
  verify: VerifyResult[] | null
  /** How the run stopped short (a signal, the engine gone), as its run-end records it. */
  stop: RunStop
}

/** Judges and plans (no change). */
export async function judgeAndPlan(fleet: Fleet, instances: Instance[], opts: HealOptions & {probe: boolean; renderer: RendererName}) {
  // --probe: one line per instance while it is pinged (probe.ts); the answers go to the plan and the incident log.
  const probes = opts.probe ? await probeInstances(fleet, instances, opts.renderer) : []
  const probeFailed = new Set(probes.filter((p) => !p.ping.ok).map((p) => p.ping.id))
  const obs = await observe(fleet, instances)
  const plans = obs.instances.map((s) => planInstance(s, {...opts, probeFailed}))
  return {statuses: obs.instances, plans, probeFailed, probes}
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
  // The one place where a dry run differs: its effects are recorded as planned, none made, no incident written.
  const fx = s.dryRun ? HealEffects.dry() : new HealEffects(new IncidentLog(fleet.heal.incidentDir, runId, {retention: fleet.heal.incidentRetention}))
  const log = fx.log
  const {interrupt, probes, ...settings} = s
  const abort = interrupt?.signal
  if (interrupt) interrupt.log = log
  /** The signal that interrupted the run, once one did: no step or action starts after it. */
  const stopped = () => interrupt?.reason ?? null
  const stop: RunStop = {interrupted: null, unreachable: null}
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
  const results: InstanceHeal[] = []
  let rolling = Promise.resolve()
  /** --restart group: one restart per group, by the first member that needs it; every member follows it (waits, is pinged). */
  const groupRestarts = new Map<string, GroupRestart>()
  /** Members a group restart took along after their own steps had ended: the rest of their heal (after the tree). */
  const followers = new Map<number, (g: GroupRestart) => Promise<void>>()

  const order = healOrder(statuses, plans)
  const byUrgency = [...instances].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
  const tasks: ListrTask[] = byUrgency.map((inst) => {
    const st = statuses.find((x) => x.id === inst.id) as InstanceStatus
    const plan = plans.find((p) => p.id === inst.id) as InstancePlan
    const affected = isAffected(st, plan, probeFailed)
    const refusal = refusalOf(st, statuses, s.force)
    const group = groupOf(fleet, inst)
    const byGroup = s.restart === 'group' && group !== undefined
    /**
     * --restart group: the member whose restart (hence its group's) is certain, first in heal order. A dry run plans
     * every other member's restart as certain with it, whichever member's steps come first; the run restarts it then.
     */
    const certainFor = byGroup ? certainGroupRestart(inst, fleet, statuses, plans, order, s.force) : null
    const res: InstanceHeal = {
      id: inst.id,
      name: inst.name,
      container: st.container,
      before: {state: st.state, health: st.health, worst: st.worst, counts: st.counts},
      plan: summarisePlan(plan, s.restart, affected, st.state, restartIfPingFails(st, plan, s.restart, affected, refusal !== null)),
      steps: [],
      actions: [],
      restarted: false,
      restartDecision: plan.restart ? {restart: true, why: plan.restart, hint: null} : null,
      startCure: null,
      ping: null,
      healed: false,
      recurred: [],
      after: null,
      notDone: [],
      ...(s.dryRun ? {certainFailure: certainFailureOf(st, refusal)} : {}),
      durationMs: 0,
    }
    results.push(res)
    const started = Date.now()
    let needRestart = plan.restart !== null
    let restartedAt = 0
    /** Pinged after acting (a dry run: planned); restarted (a dry run: planned); each decides which steps follow. */
    let pinged = false
    let restarting = false
    /** A dry run: the condition every later action depends on (a ping it does not make), once there is one. */
    let cond: string | undefined
    /** A step runs only when its condition holds when its turn comes (listr2 evaluates `enabled` then); hidden otherwise. */
    // Off a TTY every line stands alone (CI logs, pipes): it names its instance. Every finished step shows its time.
    const label = (name: string) => (s.renderer === 'default' ? name : `${inst.name}: ${name}`)
    // After a signal a step does not start (skipped), except the last one (evenIfStopped), which says the instance was not healed.
    // A step that ran to its end and `failed` (a ping that got FAIL) is ✖, and the next steps still run.
    const step = (
      name: string,
      enabled: () => boolean,
      fn: (t: {title: string}) => Promise<string | void>,
      evenIfStopped = false,
      failed = () => false,
    ): ListrTask => ({
      title: label(name),
      enabled,
      exitOnError: () => !failed(),
      task: async (_c, task) => {
        const signal = stopped()
        if (signal && !evenIfStopped) {
          res.steps.push({step: name, status: 'skipped', durationMs: 0, detail: `not started: interrupted by ${signal}`})
          task.skip(`${label(name)}: not started (interrupted by ${signal})`)
          return
        }
        const t0 = Date.now()
        try {
          const detail = await fn(task)
          res.steps.push({step: name, status: failed() ? 'failed' : 'done', durationMs: Date.now() - t0, detail: detail ?? undefined})
          res.durationMs = Date.now() - started
          task.title = `${label(name)}${detail ? `: ${printable(detail)}` : ''} (${formatDuration(Date.now() - t0)})`
        } catch (error) {
          if (error instanceof UnreachableError) stop.unreachable ??= error.message
          res.steps.push({step: name, status: stopped() ? 'interrupted' : 'failed', durationMs: Date.now() - t0, detail: errorMessage(error)})
          throw new Error(`${label(name)}: ${printable(errorMessage(error))} (${formatDuration(Date.now() - t0)})`)
        }
        if (failed()) throw new Error(task.title)
      },
    })
    const ping = async () => {
      pinged = true
      if (fx.dryRun) {
        fx.plan(res.actions, 'ping', st.container, cond, 'a SPEED_OK turn')
        return cond ? `planned, ${cond}` : 'planned'
      }
      res.ping = await pingInstance(fleet, inst, fleet.ping, 1, st.container)
      log.write('ping', {
        instance: inst.name,
        ok: res.ping.ok,
        failure: res.ping.failure,
        reply: res.ping.reply,
        latencyMs: res.ping.latencyMs,
        detail: res.ping.detail,
      })
      return res.ping.ok ? `SPEED_OK in ${res.ping.latencyMs} ms` : `FAIL ${res.ping.failure}${res.ping.detail ? `: ${res.ping.detail.slice(0, 120)}` : ''}`
    }
    const pingFailed = () => res.ping?.ok === false
    // An instance heal does not touch (unreachable, paused, a shared sessions dir): one task that records why and fails (exit 1 or 3).
    if (refusal)
      return {
        title: `${inst.name} (${printable(st.container)})`,
        task: async () => {
          res.steps.push({step: refusal.step, status: refusal.status, durationMs: 0, detail: refusal.detail})
          if (refusal.event) log.write(refusal.event.type, refusal.event.data)
          throw new Error(`${inst.name}: ${printable(refusal.message)}`)
        },
        exitOnError: false,
      } satisfies ListrTask
    const what = byGroup ? `${group.name}: whole group` : group ? `${group.name}: ${st.service}` : st.container
    /** Its group's restart, made for another member, took this one too (once it is done): recorded as its own. */
    const withGroup = (g: Pick<GroupRestart, 'by' | 'cond'>) => {
      // From here on its heal depends on what the group's restart depends on (in a dry run: that member's ping), not on its own ping.
      cond = g.cond
      if (fx.dryRun) fx.plan(res.actions, 'restart', what, cond, `with its group, restarted for ${g.by}`)
      else record(log, inst, res.actions, {type: 'restart', target: what, outcome: 'with-group', detail: `restarted with its group, for ${g.by}`})
    }
    /** The restart, a group's shared one, the wait until ready: the part of the heal after the decision to restart. */
    const restartAndWait = async () => {
      if (stopped()) throw new Error(`interrupted by ${stopped()}: not restarted`)
      await resumeStopped(fleet, fx, inst, st.locks, st.container, res.actions, cond)
      // A holder resumed and then not restarted runs on (it is no longer stopped): nothing is left half done.
      if (stopped()) throw new Error(`interrupted by ${stopped()} after resuming its stopped holder(s): not restarted`)
      restartedAt = Date.now()
      if (byGroup) {
        const g = groupRestarts.get(group.name)
        if (fx.dryRun && certainFor && certainFor !== inst.name) {
          withGroup({by: certainFor, cond: undefined})
        } else if (g && (g.cond === undefined || cond !== undefined)) {
          // (A dry run: a certain restart does not follow one that depends on another member's ping; it is the group's.)
          // Restarted with its group: in its table, waited for and pinged like the member that needed it.
          restartedAt = await g.at
          withGroup(g)
        } else {
          // The judge step's observation (st) already names the container, its compose project and service.
          const at = restartedAt
          const members = fleet.instances.filter((i) => i.group === inst.group)
          // Every member it stops that heal observed: its boot history is read before and after, as the instance's own is.
          const stops = members.flatMap((i) =>
            statuses.filter((o) => o.id === i.id && o.container).map((o) => ({instance: i, container: o.container, version: o.openclaw.version})),
          )
          const run = restartInstance(
            fleet,
            fx,
            inst,
            group,
            {project: st.compose?.project, services: [], container: st.container},
            res.actions,
            cond,
            st.openclaw.version,
            stops,
          ).then(() => at)
          const groupCond = cond?.replace('the ping', `the ping of ${inst.name}`)
          groupRestarts.set(group.name, {
            by: inst.name,
            cond: groupCond,
            at: run,
            members: members.map((i) => i.id),
          })
          await run
        }
      } else {
        await restartInstance(
          fleet,
          fx,
          inst,
          group,
          {project: st.compose?.project, services: [st.service], container: st.container},
          res.actions,
          cond,
          st.openclaw.version,
        )
      }
      restarting = true
      if (!fx.dryRun) res.restarted = true
      const w = await waitUp(fleet, fx, inst, st.container, restartedAt, s.waitTimeoutMs, res.actions, abort, cond)
      if (!w.ok) throw new Error(stopped() ? `restarted; ${w.detail}` : `not healthy: ${w.detail}`)
      return fx.dryRun ? `planned${cond ? `, ${cond}` : ''}` : `restarted, ${w.detail} after ${Math.round(w.waitedMs / 100) / 10}s`
    }
    /** Locks the old incarnation left (a killed frozen holder): they now predate the container start. */
    const clearLeftovers = async () => {
      const again = (await observe(fleet, [inst], {logs: false, leases: false})).instances[0]
      // The one lock rule (decide/lock-actions.ts), as the plan read it: without --force or --tidy, only stale locks go.
      const stale = decideLocks(again, {}).flatMap((d) => (d.action === 'delete' ? [d.lock] : []))
      for (const lock of stale) if (!stopped()) await deleteLock(fx, inst, lock, res.actions)
      return `${actionCounts(res.actions.filter((a) => stale.some((l) => l.path === a.target))).locksRemoved} stale lock(s) removed`
    }
    // A member whose steps ended before its group's restart: the restart took it along, so it is waited for and pinged.
    if (byGroup)
      followers.set(inst.id, async (g) => {
        if (restarting || stopped()) return
        restartedAt = await g.at
        withGroup(g)
        restarting = true
        if (!fx.dryRun) res.restarted = true
        const w = await waitUp(fleet, fx, inst, st.container, restartedAt, s.waitTimeoutMs, res.actions, abort, cond)
        if (w.ok && !fx.dryRun) await clearLeftovers()
        await ping()
      })
    const subtasks: ListrTask[] = [
      step(
        'side files',
        () => true,
        async () => {
          const moved = await sweepSideFiles(fx, inst, res.actions)
          return moved > 0 ? `${moved} side file(s) of an interrupted run moved to the incident dir` : undefined
        },
      ),
      step(
        'backup',
        () => s.backup && affected,
        async () => {
          await backupSessions(fx, inst, st.container, res.actions)
          return fx.dryRun ? 'planned' : 'sessions dir archived'
        },
      ),
      step(
        'act',
        () => plan.acted,
        async () => {
          // Each removal and each holder's end runs to its end; after a signal the next one does not start.
          for (const lock of plan.deletes) if (!stopped()) await deleteLock(fx, inst, lock, res.actions)
          for (const sig of plan.signals) if (!stopped()) await endOrphan(fleet, fx, inst, st.container, sig, res.actions)
          if (fx.dryRun) return `planned: ${plan.deletes.length} lock(s) to remove, ${plan.signals.length} holder(s) to end`
          const {locksRemoved, holdersEnded} = actionCounts(res.actions)
          const cut = stopped() ? `; interrupted by ${stopped()}: the rest not started` : ''
          return `${locksRemoved} lock(s) removed, ${holdersEnded} holder(s) ended${cut}`
        },
      ),
      // A gateway whose start refuses (decide/start-cure.ts): doctor --fix once per refusal kind, a bounded wait, or
      // the refusal's hint; never a restart (a crash loop is never restarted, a start in progress never cut off).
      step(
        'cure start',
        () => startCureApplies(st.life),
        async () => {
          const out = await healStartCure({
            fleet,
            fx,
            inst,
            status: st,
            actions: res.actions,
            signal: abort,
            observeAgain: async () => (await observe(fleet, [inst])).instances[0],
          })
          res.startCure = out
          if (out.condition) cond = out.condition
          if (out.outcome === 'not-cured' || out.outcome === 'interrupted') throw new Error(out.detail)
          return out.detail
        },
      ),
      step(
        'ping',
        () => affected && plan.restart === null,
        async () => {
          // A gateway still starting (a crash-looping one whose stale gateway lock was just removed, a fresh
          // container) is given until it is ready before its ping decides anything: 2026.9.6 needs 15-80 s.
          if (st.health === 'starting') await waitUp(fleet, fx, inst, st.container, 0, s.waitTimeoutMs, res.actions, abort)
          if (stopped()) throw new Error(`interrupted by ${stopped()} before the ping`)
          const out = await ping()
          if (fx.dryRun) {
            // What the ping answers is not known: the restart it may lead to, and all after it, depend on it.
            if (res.plan.restartIfPingFails) {
              needRestart = true
              cond = IF_PING_FAILS
            }
            return out
          }
          // The one restart rule: only a failure a restart can cure (lock timeout, no reply, timeout) restarts.
          const pingFailure = res.ping?.ok ? null : (res.ping?.failure ?? null)
          // 2026.8+ turns run inside the gateway: before a restart for a failed ping, ask the gateway what it is doing.
          const work =
            pingFailure && CURABLE_BY_RESTART.has(pingFailure) && st.state === 'running'
              ? await readGatewayWork(dockerFor(inst.docker), st.container, Math.max(60_000, fleet.locks.probeTimeoutMs), st.openclaw.version)
              : null
          if (work) log.write('gateway-work', {instance: inst.name, active: work.active, known: work.known, ...(work.known ? {} : {reason: work.reason})})
          const d = decideRestart({...observedFacts(st), hung: false, pingFailure, acted: plan.acted, activeWork: work?.active ?? null}, s.restart)
          res.restartDecision = d
          if (d.restart) needRestart = true
          else if (!res.ping?.ok) log.write('no-restart', {instance: inst.name, why: d.why, hint: d.hint})
          return res.ping?.ok || d.restart ? out : `${out}; not restarted: ${d.why}${d.hint ? ` (${d.hint})` : ''}`
        },
        false,
        pingFailed,
      ),
      step(
        'restart',
        // --restart group: a member whose group is restarted is restarted with it, whatever its own ping said.
        () => needRestart || (byGroup && (groupRestarts.has(group.name) || (fx.dryRun && certainFor !== null))),
        async () => {
          if (!s.rolling) return restartAndWait()
          const mine = rolling.then(restartAndWait)
          rolling = mine.then(
            () => undefined,
            () => undefined,
          )
          return mine
        },
      ),
      step('clear leftovers', () => res.restarted, clearLeftovers),
      step(
        'ping',
        () => restarting || !affected || !pinged,
        async () => {
          const out = await ping()
          if (res.ping?.ok !== false || res.restartDecision !== null) return out
          // Its only ping (heal judged it fine): the restart rule's answer goes to the NOTES and the log all the same.
          const d = unworkedPingDecision(decideRestart({...observedFacts(st), pingFailure: res.ping.failure, acted: false}, s.restart), s.probe)
          res.restartDecision = d
          log.write('no-restart', {instance: inst.name, why: d.why, hint: d.hint})
          return `${out}; not restarted: ${d.why}${d.hint ? ` (${d.hint})` : ''}`
        },
        false,
        pingFailed,
      ),
      // 2026.9+: the channels OpenClaw's crash-loop breaker kept down are started once the gateway answers a turn again
      // (the cause of the loop is gone), one `channels.start` call per channel account, as the gateway's own hint says.
      step(
        'start channels',
        () => shouldStartChannels(st.life, fx.dryRun ? 'pending' : res.ping?.ok === true),
        async () => {
          const down = st.life.channelsDown
          const started = await fx.act(inst, res.actions, {
            type: 'start-channels',
            target: down.map(channelName).join(', '),
            intent: {channels: down, why: "kept down by OpenClaw's crash-loop breaker since this start"},
            run: () => startSuppressedChannels(dockerFor(inst.docker), st.container, down, Math.max(60_000, fleet.locks.probeTimeoutMs)),
            result: (x) => ({outcome: x.every((c) => c.ok) ? 'started' : 'failed', detail: x.map((c) => `${c.channel}: ${c.detail}`).join('; ')}),
            planned: [],
            plannedDetail: 'openclaw gateway call channels.start, one call per channel account the crash-loop breaker kept down',
            if: 'if the gateway answers its ping',
          })
          if (started.some((c) => !c.ok))
            throw new Error(
              `channels not started: ${started
                .filter((c) => !c.ok)
                .map((c) => `${c.channel}: ${c.detail}`)
                .join('; ')}`,
            )
          return fx.dryRun ? 'planned' : `started ${started.map((c) => c.channel).join(', ')}`
        },
      ),
      step(
        're-check',
        () => affected && !fx.dryRun,
        async () => {
          const after = (await observe(fleet, [inst], {logs: false, leases: false})).instances[0]
          const touched = new Set(res.actions.filter((a) => a.type === 'delete-lock' && a.outcome === 'removed').map((a) => a.target))
          res.recurred = after.locks
            .filter((l) => touched.has(l.path) && l.verdict !== 'live')
            .map((l) => ({path: l.path, verdict: l.verdict, reasons: l.reasons}))
          for (const r of res.recurred) log.write('recurred', {instance: inst.name, ...r})
          return res.recurred.length > 0
            ? `${res.recurred.length} lock(s) recurred (contention, not a leftover)`
            : `${after.locks.length} lock(s) now, none recurred`
        },
      ),
      // The instance's line is green only when it answers: a last step fails (red) with the reason otherwise.
      step(
        'result',
        () => !fx.dryRun && res.ping?.ok !== true,
        async () => {
          throw new Error(stopped() ? `not healed: interrupted by ${stopped()}` : `not healed: ${whyNotHealed(res)}`)
        },
        true,
      ),
    ]
    return {
      title: `${inst.name} (${printable(st.container)})`,
      task: (_c, task) => task.newListr(subtasks, {concurrent: false, exitOnError: true}),
      exitOnError: false,
    } satisfies ListrTask
  })

  // registerSignalListeners: false: listr2 would end the process on SIGINT (exit 127, `✖ <step>`) with the step in
  // flight cut off and no run-end; HealInterrupt handles the signals instead.
  // A dry run's plan is printed by its caller: its tree runs silent.
  const tree = progressTree(tasks, s.dryRun ? 'silent' : s.renderer, {
    concurrent: s.concurrency,
    exitOnError: false,
    collectErrors: false,
    registerSignalListeners: false,
  })
  let verify: VerifyResult[] | null = null
  try {
    await tree.run().catch(() => undefined)
    // Members of a restarted group whose own steps had ended: the restart took them too; they are waited for and pinged.
    const after = [...groupRestarts.values()].flatMap((g) => g.members.flatMap((id) => (followers.has(id) ? [{g, follow: followers.get(id)!}] : [])))
    await mapLimit(after, s.concurrency, ({g, follow}) =>
      follow(g).catch((error: unknown) => void (stop.unreachable ??= error instanceof UnreachableError ? error.message : null)),
    )
    if (s.dryRun) return {runId, incidentLog: null, statuses, plans, results: sortById(results, instances), verify: null, stop}
    try {
      const finals = await observe(fleet, instances, {logs: false, leases: false})
      for (const res of results) {
        const f = finals.instances.find((x) => x.id === res.id)
        res.after = f ? afterHeal(f) : null
        if (f?.state === 'unreachable') stop.unreachable ??= f.errors[0] ?? 'unreachable'
      }
    } catch (error) {
      // The engine went away mid-heal: what was done is still recorded below, with run-end.
      stop.unreachable ??= errorMessage(error)
    }
    // Healed: its ping answered, and at the end the gateway says it is ready, in the dir fleet judged (afterHeal). A
    // gateway that answered a turn while still starting, or whose container keeps its state elsewhere, is not healed.
    for (const res of results) res.healed = res.ping?.ok === true && res.after?.serves !== false
    sortById(results, instances)
    if (s.verify && !stopped() && !stop.unreachable) verify = await verifyHealed(fleet, instances, results, runId, s.verify, log)
  } finally {
    stop.interrupted = stopped()
    if (!s.dryRun) for (const res of results) res.notDone = leftUndone(res)
    log.write('run-end', runEndRecord(results, stop))
  }
  // No empty incidents: a run that changed nothing (only judged and pinged) left no dir, and names none.
  return {runId, incidentLog: log.written ? log.file : null, statuses, plans, results, verify, stop}
}

interface GroupRestart {
  /** The member whose heal restarted the group. */
  by: string
  /** A dry run: the condition the restart depends on. */
  cond: string | undefined
  /** When the restart started, once it is done. */
  at: Promise<number>
  /** The group's members (ids). */
  members: number[]
}

/** Pure: the first member (in heal order) of an instance's group that heal restarts for certain and does not refuse; null when none. */
export function certainGroupRestart(
  inst: Pick<Instance, 'group'>,
  fleet: Pick<Fleet, 'instances'>,
  statuses: readonly InstanceStatus[],
  plans: readonly Pick<InstancePlan, 'id' | 'restart'>[],
  order: readonly number[],
  force: boolean,
): string | null {
  if (inst.group === undefined) return null
  const members = new Set(fleet.instances.filter((i) => i.group === inst.group).map((i) => i.id))
  for (const id of order) {
    const st = statuses.find((x) => x.id === id)
    if (!st || !members.has(id) || !plans.find((p) => p.id === id)?.restart) continue
    if (!refusalOf(st, statuses, force)) return st.name
  }
  return null
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

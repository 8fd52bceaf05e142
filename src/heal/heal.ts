/**
 * `fleet heal`'s model: the settings of a run, what it records per instance (InstanceHeal), and the pure rules the run
 * and its document share: the plan as heal carries it out, refusals, what a dry run already knows, what is left undone,
 * the run-end record; and the signal handling (runs/interrupt.ts). The run itself is run-heal.ts (one instance's steps:
 * instance-heal.ts). `--dry-run` is the same run with its effects switched off (HealEffects.dry): every change, wait and
 * ping is recorded as `planned`, and what depends on a ping's answer says so (`if`).
 */
import type {Fleet, Instance} from '../config/model.js'
import type {ProbeAnswer} from './observed.js'
import {holderTarget, type ActionRecord} from './steps.js'
import type {HealOptions, InstancePlan} from '../decide/heal-plan.js'
import type {InstanceStatus} from '../observe/observe.js'
import type {PingResult} from '../ping/ping.js'
import {CURABLE_BY_RESTART, decideRestart, observedFacts, PAUSED_ADVICE, type RestartDecision} from '../decide/restart.js'
import type {VerifyResult, VerifySettings} from './verify.js'
import type {ProgressSink} from '../progress-events.js'
import {isPaused} from '../docker/container-state.js'
import type {RunInterrupt} from '../runs/interrupt.js'
import {firstStartCure} from './start-cure.js'
import type {StartCureReport} from './heal-start-cure.js'

export interface HealSettings extends HealOptions {
  backup: boolean
  rolling: boolean
  probe: boolean
  concurrency: number
  waitTimeoutMs: number
  /** Where the run reports its steps (progress-events.ts); nothing when absent. */
  progress?: ProgressSink
  /** --verify: test turns over a duration after the heal, on every instance that answered. */
  verify?: VerifySettings
  /** SIGINT/SIGTERM: checked before every step and action; the one in flight finishes, nothing new starts. */
  interrupt?: RunInterrupt
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

/** --restart group: a group's one restart, made by the first member that needs it; every member follows it. */
export interface GroupRestart {
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

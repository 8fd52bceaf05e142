/**
 * One instance's heal: its steps in order (side files, backup, act, cure start, ping, restart, clear leftovers, ping,
 * start channels, re-check, result), what each does, and the state they share (whether to restart, what a dry run's
 * later actions depend on). The decisions are decide/'s and heal.ts's pure functions; this carries them out through
 * the run's effects (HealEffects: a dry run records them as planned) and reports each step as progress.
 */
import type {Fleet, Group, Instance} from '../config/model.js'
import {groupOf} from '../config/model.js'
import {errorMessage, UnreachableError} from '../errors.js'
import type {IncidentLog} from '../incidents/log.js'
import {isAffected, type InstancePlan} from '../decide/heal-plan.js'
import {CURABLE_BY_RESTART, decideRestart, observedFacts, unworkedPingDecision} from '../decide/restart.js'
import {decideLocks} from '../decide/lock-actions.js'
import {startCureApplies} from '../decide/start-cure.js'
import {observe, type InstanceStatus} from '../observe/observe.js'
import {pingInstance} from '../ping/ping.js'
import {readGatewayWork} from '../openclaw/gateway-work.js'
import {shouldStartChannels, startSuppressedChannels} from '../openclaw/channels.js'
import {channelName} from '../openclaw/readiness.js'
import {dockerFor} from '../docker/client.js'
import type {ProgressSink} from '../progress-events.js'
import {backupSessions, deleteLock, endOrphan, record, resumeStopped, restartInstance, sweepSideFiles, waitUp, type HealEffects} from './steps.js'
import {healStartCure} from './heal-start-cure.js'
import {
  actionCounts,
  certainFailureOf,
  certainGroupRestart,
  IF_PING_FAILS,
  refusalOf,
  restartIfPingFails,
  summarisePlan,
  whyNotHealed,
  type GroupRestart,
  type HealSettings,
  type InstanceHeal,
  type Refusal,
  type RunStop,
} from './heal.js'
import {runSteps, type HealStep} from './step-sequence.js'

/** What every instance's heal in a run shares. */
export interface HealRunContext {
  fleet: Fleet
  statuses: readonly InstanceStatus[]
  plans: readonly InstancePlan[]
  probeFailed: Set<number>
  s: HealSettings
  fx: HealEffects
  log: IncidentLog
  abort?: AbortSignal
  /** The signal that interrupted the run, once one did: no step or action starts after it. */
  stopped: () => string | null
  stop: RunStop
  /** Heal order (decide/heal-plan.ts healOrder): instance ids, most urgent first. */
  order: readonly number[]
  progress: ProgressSink
  /** --rolling: the restarts so far, one after the other. */
  rolling: Promise<void>
  /** --restart group: one restart per group, by the first member that needs it; every member follows it (waits, is pinged). */
  groupRestarts: Map<string, GroupRestart>
  /** Members a group restart took along after their own steps had ended: the rest of their heal (after the others'). */
  followers: Map<number, (g: GroupRestart) => Promise<void>>
}

/** Pure: an instance's heal result before any step: what it was, its plan, no step or action yet. */
export function initialResult(run: HealRunContext, st: InstanceStatus, plan: InstancePlan, affected: boolean, refusal: Refusal | null): InstanceHeal {
  const {s} = run
  return {
    id: st.id,
    name: st.name,
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
}

export class InstanceHealer {
  readonly res: InstanceHeal
  private readonly st: InstanceStatus
  private readonly plan: InstancePlan
  private readonly affected: boolean
  private readonly refusal: Refusal | null
  private readonly group: Group | undefined
  /** --restart group and the instance is in a group: its restart is its group's. */
  private readonly byGroup: boolean
  /**
   * --restart group: the member whose restart (hence its group's) is certain, first in heal order. A dry run plans
   * every other member's restart as certain with it, whichever member's steps come first; the run restarts it then.
   */
  private readonly certainFor: string | null
  /** What a restart restarts, in words: the whole group, its service, or its container. */
  private readonly what: string
  private readonly started = Date.now()
  private needRestart: boolean
  private restartedAt = 0
  /** Pinged after acting (a dry run: planned); restarted (a dry run: planned); each decides which steps follow. */
  private pinged = false
  private restarting = false
  /** A dry run: the condition every later action depends on (a ping it does not make), once there is one. */
  private cond: string | undefined

  constructor(
    private readonly run: HealRunContext,
    private readonly inst: Instance,
  ) {
    const {s, statuses, plans, fleet} = run
    this.st = statuses.find((x) => x.id === inst.id) as InstanceStatus
    this.plan = plans.find((p) => p.id === inst.id) as InstancePlan
    this.affected = isAffected(this.st, this.plan, run.probeFailed)
    this.refusal = refusalOf(this.st, statuses, s.force)
    this.group = groupOf(fleet, inst)
    this.byGroup = s.restart === 'group' && this.group !== undefined
    this.certainFor = this.byGroup ? certainGroupRestart(inst, fleet, statuses, plans, run.order, s.force) : null
    this.what = this.byGroup ? `${this.group?.name}: whole group` : this.group ? `${this.group.name}: ${this.st.service}` : this.st.container
    this.needRestart = this.plan.restart !== null
    this.res = initialResult(run, this.st, this.plan, this.affected, this.refusal)
    // A member whose steps ended before its group's restart: the restart took it along, so it is waited for and pinged.
    if (this.byGroup && !this.refusal) run.followers.set(inst.id, (g) => this.follow(g))
  }

  private get id(): string {
    return `heal/${this.inst.id}`
  }

  private get title(): string {
    return `${this.inst.name} (${this.st.container})`
  }

  /** Says the instance's heal is coming (a line waiting where a tree is drawn). */
  queue(): void {
    this.run.progress({type: 'queued', id: this.id, title: this.title})
  }

  /** The instance's heal, its steps as progress: its line fails when a step stopped it or it was not healed. */
  async heal(): Promise<void> {
    const {progress} = this.run
    progress({type: 'started', id: this.id, title: this.title})
    try {
      if (this.refusal) return this.refuse(this.refusal)
      const stoppedHard = await runSteps(this.steps(), {
        progress,
        parent: this.id,
        instance: this.inst.name,
        dryRun: this.run.fx.dryRun,
        stopped: this.run.stopped,
        records: this.res.steps,
        onDone: () => void (this.res.durationMs = Date.now() - this.started),
        onError: (error) => void (error instanceof UnreachableError && (this.run.stop.unreachable ??= error.message)),
      })
      progress({type: 'finished', id: this.id, outcome: stoppedHard ? 'failed' : 'ok', title: this.title})
    } catch (error) {
      progress({type: 'finished', id: this.id, outcome: 'failed', title: `${this.inst.name}: ${errorMessage(error)}`})
    }
  }

  /** An instance heal does not touch (unreachable, paused, a shared sessions dir): why, recorded, and a failed line (exit 1 or 3). */
  private refuse(refusal: Refusal): void {
    this.res.steps.push({step: refusal.step, status: refusal.status, durationMs: 0, detail: refusal.detail})
    if (refusal.event) this.run.log.write(refusal.event.type, refusal.event.data)
    this.run.progress({type: 'finished', id: this.id, outcome: 'failed', title: `${this.inst.name}: ${refusal.message}`})
  }

  /** The steps in order, each with the condition it runs on, evaluated when its turn comes. */
  private steps(): HealStep[] {
    const {s, fx, groupRestarts} = this.run
    const {st, plan, affected, res} = this
    const pingFailed = () => res.ping?.ok === false
    // --restart group: a member whose group is restarted is restarted with it, whatever its own ping said.
    const withItsGroup = () => this.byGroup && (groupRestarts.has(this.group?.name ?? '') || (fx.dryRun && this.certainFor !== null))
    return [
      {name: 'side files', enabled: () => true, run: () => this.sideFiles()},
      {name: 'backup', enabled: () => s.backup && affected, run: () => this.backup()},
      {name: 'act', enabled: () => plan.acted, run: () => this.act()},
      // A gateway whose start refuses (decide/start-cure.ts): doctor --fix once per refusal kind, a bounded wait, or
      // the refusal's hint; never a restart (a crash loop is never restarted, a start in progress never cut off).
      {name: 'cure start', enabled: () => startCureApplies(st.life), run: () => this.cureStart()},
      {name: 'ping', enabled: () => affected && plan.restart === null, run: () => this.pingAfterActing(), failed: pingFailed},
      {name: 'restart', enabled: () => this.needRestart || withItsGroup(), run: () => this.restartInTurn()},
      {name: 'clear leftovers', enabled: () => res.restarted, run: () => this.clearLeftovers()},
      {name: 'ping', enabled: () => this.restarting || !affected || !this.pinged, run: () => this.pingOnce(), failed: pingFailed},
      // 2026.9+: the channels OpenClaw's crash-loop breaker kept down are started once the gateway answers a turn again.
      {name: 'start channels', enabled: () => shouldStartChannels(st.life, fx.dryRun ? 'pending' : res.ping?.ok === true), run: () => this.startChannels()},
      {name: 're-check', enabled: () => affected && !fx.dryRun, run: () => this.recheck()},
      // The instance's line is green only when it answers: a last step fails (red) with the reason otherwise.
      {name: 'result', enabled: () => !fx.dryRun && res.ping?.ok !== true, run: () => this.notHealed(), evenIfStopped: true},
    ]
  }

  private async sideFiles(): Promise<string | undefined> {
    const moved = await sweepSideFiles(this.run.fx, this.inst, this.res.actions)
    return moved > 0 ? `${moved} side file(s) of an interrupted run moved to the incident dir` : undefined
  }

  private async backup(): Promise<string> {
    await backupSessions(this.run.fx, this.inst, this.st.container, this.res.actions)
    return this.run.fx.dryRun ? 'planned' : 'sessions dir archived'
  }

  private async act(): Promise<string> {
    const {fleet, fx, stopped} = this.run
    const {plan, inst, res} = this
    // Each removal and each holder's end runs to its end; after a signal the next one does not start.
    for (const lock of plan.deletes) if (!stopped()) await deleteLock(fx, inst, lock, res.actions)
    for (const sig of plan.signals) if (!stopped()) await endOrphan(fleet, fx, inst, this.st.container, sig, res.actions)
    if (fx.dryRun) return `planned: ${plan.deletes.length} lock(s) to remove, ${plan.signals.length} holder(s) to end`
    const {locksRemoved, holdersEnded} = actionCounts(res.actions)
    const cut = stopped() ? `; interrupted by ${stopped()}: the rest not started` : ''
    return `${locksRemoved} lock(s) removed, ${holdersEnded} holder(s) ended${cut}`
  }

  private async cureStart(): Promise<string> {
    const {fleet, fx, abort} = this.run
    const out = await healStartCure({
      fleet,
      fx,
      inst: this.inst,
      status: this.st,
      actions: this.res.actions,
      signal: abort,
      observeAgain: async () => (await observe(fleet, [this.inst])).instances[0],
    })
    this.res.startCure = out
    if (out.condition) this.cond = out.condition
    if (out.outcome === 'not-cured' || out.outcome === 'interrupted') throw new Error(out.detail)
    return out.detail
  }

  /** A SPEED_OK turn (a dry run: planned, with what it depends on), into the incident log; its line. */
  private async ping(): Promise<string> {
    const {fleet, fx, log} = this.run
    const {inst, st, res} = this
    this.pinged = true
    if (fx.dryRun) {
      fx.plan(res.actions, 'ping', st.container, this.cond, 'a SPEED_OK turn')
      return this.cond ? `planned, ${this.cond}` : 'planned'
    }
    const p = await pingInstance(fleet, inst, fleet.ping, 1, st.container)
    res.ping = p
    log.write('ping', {instance: inst.name, ok: p.ok, failure: p.failure, reply: p.reply, latencyMs: p.latencyMs, detail: p.detail})
    return p.ok ? `SPEED_OK in ${p.latencyMs} ms` : `FAIL ${p.failure}${p.detail ? `: ${p.detail.slice(0, 120)}` : ''}`
  }

  /** The ping after acting; its failure and the restart rule decide whether the instance restarts. */
  private async pingAfterActing(): Promise<string> {
    const {fleet, fx, s, log, stopped, abort} = this.run
    const {inst, st, plan, res} = this
    // A gateway still starting (a crash-looping one whose stale gateway lock was just removed, a fresh
    // container) is given until it is ready before its ping decides anything: 2026.9.6 needs 15-80 s.
    if (st.health === 'starting') await waitUp(fleet, fx, inst, st.container, 0, s.waitTimeoutMs, res.actions, abort)
    if (stopped()) throw new Error(`interrupted by ${stopped()} before the ping`)
    const out = await this.ping()
    if (fx.dryRun) {
      // What the ping answers is not known: the restart it may lead to, and all after it, depend on it.
      if (res.plan.restartIfPingFails) {
        this.needRestart = true
        this.cond = IF_PING_FAILS
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
    if (d.restart) this.needRestart = true
    else if (!res.ping?.ok) log.write('no-restart', {instance: inst.name, why: d.why, hint: d.hint})
    return res.ping?.ok || d.restart ? out : `${out}; not restarted: ${d.why}${d.hint ? ` (${d.hint})` : ''}`
  }

  /** The ping after a restart, or the only one (heal judged it fine, or nothing was done before it). */
  private async pingOnce(): Promise<string> {
    const {s, log} = this.run
    const {st, res} = this
    const out = await this.ping()
    if (res.ping?.ok !== false || res.restartDecision !== null) return out
    // Its only ping (heal judged it fine): the restart rule's answer goes to the NOTES and the log all the same.
    const d = unworkedPingDecision(decideRestart({...observedFacts(st), pingFailure: res.ping.failure, acted: false}, s.restart), s.probe)
    res.restartDecision = d
    log.write('no-restart', {instance: this.inst.name, why: d.why, hint: d.hint})
    return `${out}; not restarted: ${d.why}${d.hint ? ` (${d.hint})` : ''}`
  }

  /** The restart step: --rolling restarts one after the other (each waited out), else at once. */
  private restartInTurn(): Promise<string> {
    if (!this.run.s.rolling) return this.restartAndWait()
    const mine = this.run.rolling.then(() => this.restartAndWait())
    this.run.rolling = mine.then(
      () => undefined,
      () => undefined,
    )
    return mine
  }

  /** The restart, a group's shared one, the wait until ready: the part of the heal after the decision to restart. */
  private async restartAndWait(): Promise<string> {
    const {fleet, fx, s, stopped, abort} = this.run
    const {inst, st, res} = this
    if (stopped()) throw new Error(`interrupted by ${stopped()}: not restarted`)
    await resumeStopped(fleet, fx, inst, st.locks, st.container, res.actions, this.cond)
    // A holder resumed and then not restarted runs on (it is no longer stopped): nothing is left half done.
    if (stopped()) throw new Error(`interrupted by ${stopped()} after resuming its stopped holder(s): not restarted`)
    this.restartedAt = Date.now()
    if (this.byGroup) await this.restartGroup(this.group as Group)
    else {
      const target = {project: st.compose?.project, services: [st.service], container: st.container}
      await restartInstance(fleet, fx, inst, this.group, target, res.actions, this.cond, st.openclaw.version)
    }
    this.restarting = true
    if (!fx.dryRun) res.restarted = true
    const w = await waitUp(fleet, fx, inst, st.container, this.restartedAt, s.waitTimeoutMs, res.actions, abort, this.cond)
    if (!w.ok) throw new Error(stopped() ? `restarted; ${w.detail}` : `not healthy: ${w.detail}`)
    return fx.dryRun ? `planned${this.cond ? `, ${this.cond}` : ''}` : `restarted, ${w.detail} after ${Math.round(w.waitedMs / 100) / 10}s`
  }

  /** --restart group: the group's restart, made by this member or (made for another) taken along. */
  private async restartGroup(group: Group): Promise<void> {
    const {fleet, fx, statuses, groupRestarts} = this.run
    const {inst, st, res} = this
    const g = groupRestarts.get(group.name)
    if (fx.dryRun && this.certainFor && this.certainFor !== inst.name) return this.withGroup({by: this.certainFor, cond: undefined})
    if (g && (g.cond === undefined || this.cond !== undefined)) {
      // (A dry run: a certain restart does not follow one that depends on another member's ping; it is the group's.)
      // Restarted with its group: in its table, waited for and pinged like the member that needed it.
      this.restartedAt = await g.at
      return this.withGroup(g)
    }
    // The judge step's observation (st) already names the container, its compose project and service.
    const at = this.restartedAt
    const members = fleet.instances.filter((i) => i.group === inst.group)
    // Every member it stops that heal observed: its boot history is read before and after, as the instance's own is.
    const stops = members.flatMap((i) =>
      statuses.filter((o) => o.id === i.id && o.container).map((o) => ({instance: i, container: o.container, version: o.openclaw.version})),
    )
    const target = {project: st.compose?.project, services: [], container: st.container}
    const run = restartInstance(fleet, fx, inst, group, target, res.actions, this.cond, st.openclaw.version, stops).then(() => at)
    const groupCond = this.cond?.replace('the ping', `the ping of ${inst.name}`)
    groupRestarts.set(group.name, {by: inst.name, cond: groupCond, at: run, members: members.map((i) => i.id)})
    await run
  }

  /** Its group's restart, made for another member, took this one too (once it is done): recorded as its own. */
  private withGroup(g: Pick<GroupRestart, 'by' | 'cond'>): void {
    const {fx, log} = this.run
    // From here on its heal depends on what the group's restart depends on (in a dry run: that member's ping), not on its own ping.
    this.cond = g.cond
    if (fx.dryRun) fx.plan(this.res.actions, 'restart', this.what, this.cond, `with its group, restarted for ${g.by}`)
    else record(log, this.inst, this.res.actions, {type: 'restart', target: this.what, outcome: 'with-group', detail: `restarted with its group, for ${g.by}`})
  }

  /** A member whose own steps had ended when its group was restarted: waited for, cleared, pinged. */
  private async follow(g: GroupRestart): Promise<void> {
    const {fleet, fx, s, stopped, abort} = this.run
    if (this.restarting || stopped()) return
    this.restartedAt = await g.at
    this.withGroup(g)
    this.restarting = true
    if (!fx.dryRun) this.res.restarted = true
    const w = await waitUp(fleet, fx, this.inst, this.st.container, this.restartedAt, s.waitTimeoutMs, this.res.actions, abort, this.cond)
    if (w.ok && !fx.dryRun) await this.clearLeftovers()
    await this.ping()
  }

  /** Locks the old incarnation left (a killed frozen holder): they now predate the container start. */
  private async clearLeftovers(): Promise<string> {
    const {fleet, fx, stopped} = this.run
    const again = (await observe(fleet, [this.inst], {logs: false, leases: false})).instances[0]
    // The one lock rule (decide/lock-actions.ts), as the plan read it: without --force or --tidy, only stale locks go.
    const stale = decideLocks(again, {}).flatMap((d) => (d.action === 'delete' ? [d.lock] : []))
    for (const lock of stale) if (!stopped()) await deleteLock(fx, this.inst, lock, this.res.actions)
    return `${actionCounts(this.res.actions.filter((a) => stale.some((l) => l.path === a.target))).locksRemoved} stale lock(s) removed`
  }

  private async startChannels(): Promise<string> {
    const {fleet, fx} = this.run
    const {inst, st} = this
    const down = st.life.channelsDown
    // One `channels.start` call per channel account, as the gateway's own hint says (the cause of the loop is gone).
    const started = await fx.act(inst, this.res.actions, {
      type: 'start-channels',
      target: down.map(channelName).join(', '),
      intent: {channels: down, why: "kept down by OpenClaw's crash-loop breaker since this start"},
      run: () => startSuppressedChannels(dockerFor(inst.docker), st.container, down, Math.max(60_000, fleet.locks.probeTimeoutMs)),
      result: (x) => ({outcome: x.every((c) => c.ok) ? 'started' : 'failed', detail: x.map((c) => `${c.channel}: ${c.detail}`).join('; ')}),
      planned: [],
      plannedDetail: 'openclaw gateway call channels.start, one call per channel account the crash-loop breaker kept down',
      if: 'if the gateway answers its ping',
    })
    const failed = started.filter((c) => !c.ok)
    if (failed.length > 0) throw new Error(`channels not started: ${failed.map((c) => `${c.channel}: ${c.detail}`).join('; ')}`)
    return fx.dryRun ? 'planned' : `started ${started.map((c) => c.channel).join(', ')}`
  }

  /** Whether a lock heal removed came back (contention, not a leftover). */
  private async recheck(): Promise<string> {
    const {fleet, log} = this.run
    const {inst, res} = this
    const after = (await observe(fleet, [inst], {logs: false, leases: false})).instances[0]
    const touched = new Set(res.actions.filter((a) => a.type === 'delete-lock' && a.outcome === 'removed').map((a) => a.target))
    res.recurred = after.locks.filter((l) => touched.has(l.path) && l.verdict !== 'live').map((l) => ({path: l.path, verdict: l.verdict, reasons: l.reasons}))
    for (const r of res.recurred) log.write('recurred', {instance: inst.name, ...r})
    return res.recurred.length > 0 ? `${res.recurred.length} lock(s) recurred (contention, not a leftover)` : `${after.locks.length} lock(s) now, none recurred`
  }

  private async notHealed(): Promise<never> {
    const stopped = this.run.stopped()
    throw new Error(stopped ? `not healed: interrupted by ${stopped}` : `not healed: ${whyNotHealed(this.res)}`)
  }
}

/**
 * The pure part of `fleet watch`: given this scan's status of an instance and what the previous scans saw,
 * what to do now. What is done with each lock is heal's rule (decide/lock-actions.ts), with one proof more: stale
 * locks and orphan holders are acted on once seen on two consecutive scans (a grace period, same content both
 * times); hung and conflict raise alerts and restart only with autoRestart; a
 * gateway failing its ping on two consecutive scans likewise. Restarts are capped per instance, with an
 * exponential cool-down after each: no restart loops. The cap is reset only by a recovery: healthy on every scan
 * for recoverAfterMs (as Kubernetes resets a crash-loop back-off after 10 minutes of running fine), so a
 * crash-looping container that looks healthy for one scan after each restart is not restarted forever.
 */
import {formatDuration} from '../config/duration.js'
import {decideLocks, type HolderSignal} from './lock-actions.js'
import type {InstanceStatus, LockReport} from '../observe/observe.js'
import type {PingFailure} from './ping-class.js'
import {decideRestart, observedFacts} from './restart.js'
import {lockRecord} from '../observe/lock-reports.js'

export interface WatchPolicy {
  reportOnly: boolean
  autoRestart: boolean
  maxAttempts: number
  cooldownMs: number
  /** How long an instance must be healthy on every scan before its restart attempts (and a give-up) are forgotten. */
  recoverAfterMs: number
  /**
   * A container that started less than this ago is reported but not judged (no clear, no end-holder, no restart,
   * no alert), like Docker's `start_period`. 0 (the default, as Docker's) judges it at once.
   */
  startPeriodMs?: number
  /** How long an instance must be healthy on every scan before an open alert episode resolves (default DEFAULT_ALERT_RECOVERY_MS). */
  alertRecoveryMs?: number
}

/** Default of recoverAfterMs (`--recover-after`): 10 minutes, as Kubernetes resets its crash-loop back-off. */
export const DEFAULT_RECOVER_AFTER_MS = 600_000

/**
 * Default of alertRecoveryMs (config `watch.alertRecovery`): 2 minutes, 4 scans at the default 30 s interval. A crash
 * loop shows short `running` windows between its restarts; an episode closed on one of them would open again at the
 * next scan (a false `resolved` between two episodes of one outage).
 */
export const DEFAULT_ALERT_RECOVERY_MS = 120_000

export interface InstanceMemory {
  /** Lock path -> verdict and content seen on the previous scan. */
  seen: Map<string, {verdict: string; raw: string | null}>
  pingFailures: number
  attempts: number
  lastRestartAt: number | null
  gaveUp: boolean
  /** When the current run of healthy scans began (null: the last scan was not healthy). */
  healthySince: number | null
  /** Alert reason -> the open episode (one alert when it opens, one when it resolves; nothing while it lasts). */
  episodes: Map<AlertReason, Episode>
  /**
   * Consecutive judging scans (interval or timed) that found the container not running. A container not running is
   * restarted only once seen so on two (NOT_RUNNING_SCANS): one sighting may be Docker's own restart policy at work
   * (`restart: unless-stopped` starts it again within a second), or a `docker stop` and `start` by a person.
   */
  notRunningScans: number
}

/** Scans in a row that must find a container not running before watch restarts it (the README's "waits for a second scan"). */
export const NOT_RUNNING_SCANS = 2

export type AlertReason = 'hung' | 'conflict' | 'ping-failed' | 'not-running' | 'storage'

export interface Episode {
  id: string
  since: number
  detail: string
  /** Since when the instance has been healthy, with this reason gone, on every scan (null: not so on the last scan). */
  healthySince: number | null
  /** The container incarnation (its start time) of that healthy stretch: a restart between two scans starts it over. */
  incarnation?: string | null
}

/** The lock was seen on the previous scan with this verdict and this content (the seen-twice rule). */
export function seenBefore(mem: InstanceMemory, lock: Pick<LockReport, 'path' | 'verdict' | 'raw'>): boolean {
  const before = mem.seen.get(lock.path)
  return before !== undefined && before.verdict === lock.verdict && before.raw === lock.raw
}

export function freshMemory(): InstanceMemory {
  return {seen: new Map(), pingFailures: 0, attempts: 0, lastRestartAt: null, gaveUp: false, healthySince: null, episodes: new Map(), notRunningScans: 0}
}

/** One scan's condition behind an alert (several hung locks are one condition: the first one's detail is kept). */
export interface Condition {
  reason: AlertReason
  detail: string
}

export type AlertAction =
  | {type: 'alert'; state: 'open'; reason: AlertReason; detail: string; episode: string; since: string}
  | {type: 'alert'; state: 'resolved'; reason: AlertReason; detail: string; episode: string; since: string; durationMs: number; healthySince: string}

/**
 * Whether one scan found the instance healthy: the container runs, status says ok (no stale/hung/orphan/conflict
 * lock, every sessions dir listed and its own) and the ping, when there was one, passed. Keyed on `state` and `ok`
 * only, so a gateway life-cycle state that is not serving (starting, crash-loop, restarting: `ok` false, or a state
 * other than `running`) is not healthy here either.
 */
export function healthyScan(s: Pick<InstanceStatus, 'state' | 'ok'>, pingOk: boolean | null): boolean {
  return s.state === 'running' && s.ok && pingOk !== false
}

/**
 * Alert episodes, as monitoring stacks expect them: an `open` alert the first scan a reason appears, nothing while
 * it persists, and a `resolved` alert only once the instance has been healthy (healthyScan), with the reason gone,
 * on every scan for recoveryMs, in one incarnation (`incarnation`: the container's start time). A scan where the
 * reason is back, or the instance is not healthy, or a container that restarted since the last scan, keeps the
 * episode open and starts the recovery over: a crash loop with a short `running` window between its restarts stays one
 * episode. `durationMs` of a resolved alert is the time until the instance was healthy again. Pure: the episode id
 * is the instance, the reason and the opening time.
 */
export function alertEpisodes(
  instance: string,
  conditions: Condition[],
  open: Map<AlertReason, Episode>,
  now: number,
  healthy: boolean,
  recoveryMs: number,
  incarnation: string | null = null,
): {alerts: AlertAction[]; episodes: Map<AlertReason, Episode>} {
  const alerts: AlertAction[] = []
  const episodes = new Map<AlertReason, Episode>()
  const iso = (t: number) => new Date(t).toISOString()
  const present = new Map<AlertReason, Condition>()
  for (const c of conditions) if (!present.has(c.reason)) present.set(c.reason, c)
  // Open episodes, in the order they opened: kept while their reason is present, resolved after the recovery.
  for (const [reason, e] of open) {
    if (present.has(reason)) {
      episodes.set(reason, {...e, healthySince: null})
      continue
    }
    // A healthy stretch is one incarnation: a container that restarted between two healthy scans (a crash loop seen
    // only in its running windows, when scans are sparse) starts it over.
    const sameIncarnation = (e.incarnation ?? null) === incarnation
    const healthySince = healthy ? (e.healthySince !== null && sameIncarnation ? e.healthySince : now) : null
    if (healthySince !== null && now - healthySince >= recoveryMs)
      alerts.push({
        type: 'alert',
        state: 'resolved',
        reason,
        detail: e.detail,
        episode: e.id,
        since: iso(e.since),
        durationMs: healthySince - e.since,
        healthySince: iso(healthySince),
      })
    else episodes.set(reason, {...e, healthySince, incarnation})
  }
  for (const [reason, c] of present) {
    if (open.has(reason)) continue
    const e = {id: `${instance}-${reason}-${now.toString(36)}`, since: now, detail: c.detail, healthySince: null}
    episodes.set(reason, e)
    alerts.push({type: 'alert', state: 'open', reason, detail: c.detail, episode: e.id, since: iso(now)})
  }
  return {alerts, episodes}
}

/** Open episodes with their recovery started over (a scan that proves nothing, e.g. a container in its start period). */
function recoveryStartedOver(open: Map<AlertReason, Episode>): Map<AlertReason, Episode> {
  return new Map([...open].map(([reason, e]) => [reason, {...e, healthySince: null}]))
}

/** Whether a running container is still in its start period (started less than startPeriodMs before now). */
export function inStartPeriod(s: Pick<InstanceStatus, 'state' | 'startedAt'>, startPeriodMs: number, now: number): boolean {
  if (startPeriodMs <= 0 || s.state !== 'running' || !s.startedAt) return false
  const started = Date.parse(s.startedAt)
  return Number.isFinite(started) && now - started < startPeriodMs
}

export type WatchAction =
  | {type: 'clear'; lock: LockReport}
  | {type: 'end-holder'; lock: LockReport; holder: HolderSignal<LockReport>}
  | {type: 'pending'; lock: LockReport}
  | AlertAction
  | {type: 'starting'; until: number}
  | {type: 'restart'; reason: string}
  | {type: 'hold-off'; reason: string; until: number}
  | {type: 'give-up'; detail: string}
  | {type: 'recovered'}

/** A lock watch leaves alone for good (not one awaiting proof), and why: the same answer heal gives (decide/lock-actions.ts). */
export interface LockLeft {
  lock: LockReport
  why: string
}

/** One scan's judgement of an instance: what to do, which locks are left alone and why, and the memory for the next scan. */
export interface Judgement {
  actions: WatchAction[]
  left: LockLeft[]
  next: InstanceMemory
}

/** pingFailure: the class of this scan's failed ping (restarts follow decideRestart: only what a restart can cure). */
export function decide(
  s: InstanceStatus,
  pingOk: boolean | null,
  mem: InstanceMemory,
  p: WatchPolicy,
  now: number,
  pingFailure: PingFailure | null = null,
): Judgement {
  // A fresh container is reported (the scan event) but not judged: what it shows while starting proves nothing.
  if (inStartPeriod(s, p.startPeriodMs ?? 0, now))
    return {
      actions: [{type: 'starting', until: Date.parse(s.startedAt as string) + (p.startPeriodMs as number)}],
      left: [],
      next: {...mem, seen: new Map(), pingFailures: 0, healthySince: null, episodes: recoveryStartedOver(mem.episodes), notRunningScans: 0},
    }
  const actions: WatchAction[] = []
  const conditions: Condition[] = []
  const seen = new Map<string, {verdict: string; raw: string | null}>()
  for (const lock of s.locks) seen.set(lock.path, {verdict: lock.verdict, raw: lock.raw})
  // The one lock rule, shared with heal (decide/lock-actions.ts): watch acts on a lock seen twice with the same content.
  const locks = decideLocks(s, {reportOnly: p.reportOnly, proven: (lock) => seenBefore(mem, lock)})
  for (const d of locks) {
    if (d.action === 'delete') actions.push({type: 'clear', lock: d.lock})
    else if (d.action === 'end-holder') actions.push({type: 'end-holder', lock: d.lock, holder: d.holder})
    else if (d.awaiting) actions.push({type: 'pending', lock: d.lock})
  }
  const left = locks.flatMap((d) => (d.action === 'leave' && !d.awaiting ? [{lock: d.lock, why: d.why}] : []))
  for (const lock of s.locks) {
    if (lock.verdict === 'hung') conditions.push({reason: 'hung', detail: `${lock.path} held ${Math.round(lock.ageMs / 1000)}s by pid ${lock.pid}`})
    else if (lock.verdict === 'conflict')
      conditions.push({reason: 'conflict', detail: `${lock.path}: sessions dir shared by ${lock.evidence.mountedBy.join(', ')}`})
  }
  const hung = s.locks.some((l) => l.verdict === 'hung')
  const pingFailures = pingOk === false ? mem.pingFailures + 1 : pingOk === true ? 0 : mem.pingFailures
  const notRunning = s.state !== 'running'
  const notRunningScans = notRunning ? (mem.notRunningScans ?? 0) + 1 : 0
  const failing = pingFailures >= 2 && pingOk === false
  // 2026.8+: the work the gateway reported on this scan (read after the ping): a slow turn is no wedge, as in heal.
  const activeWork = s.work?.active ?? null
  const rule = decideRestart({...observedFacts(s), hung, pingFailure: failing ? (pingFailure ?? 'no-reply') : null, acted: false, activeWork}, 'needed')
  if (pingFailures >= 2)
    conditions.push({
      reason: 'ping-failed',
      detail: `no SPEED_OK on ${pingFailures} consecutive scans${pingFailure ? ` (${pingFailure})` : ''}${!rule.restart && rule.hint ? `: ${rule.hint}` : ''}`,
    })
  if (notRunning) conditions.push({reason: 'not-running', detail: `container ${s.state}`})
  // The disk (full, read-only, failing): an alert at once, never a restart (decideRestart refuses it): the fix is the operator's.
  if (s.storage) conditions.push({reason: 'storage', detail: `${s.storage.kind}: ${s.storage.why}: ${s.storage.hint}`})
  const healthy = healthyScan(s, pingOk)
  const {alerts, episodes} = alertEpisodes(s.name, conditions, mem.episodes, now, healthy, p.alertRecoveryMs ?? DEFAULT_ALERT_RECOVERY_MS, s.startedAt)
  actions.push(...alerts)
  // An unhealthy scan ends the healthy stretch; a healthy one starts it or carries it on.
  const healthySince = healthy ? (mem.healthySince ?? now) : null
  const next: InstanceMemory = {...mem, seen, pingFailures, healthySince, episodes, notRunningScans}

  if (healthy && (mem.attempts > 0 || mem.gaveUp)) {
    if (now - (healthySince as number) >= p.recoverAfterMs) {
      actions.push({type: 'recovered'})
      return {actions, left, next: {...next, attempts: 0, gaveUp: false}}
    }
  }
  // The one restart rule (decideRestart): a hung holder, a container not running, a ping failing in a way a restart
  // cures. Each reason proven on two scans: the ping by its two failures, a container not running by two sightings.
  const wantsRestart = rule.restart && (hung || !notRunning || notRunningScans >= NOT_RUNNING_SCANS) ? rule.why : null
  if (!wantsRestart || !p.autoRestart || p.reportOnly) return {actions, left, next}
  if (mem.gaveUp) return {actions, left, next}
  if (mem.attempts >= p.maxAttempts) {
    actions.push({
      type: 'give-up',
      detail: `${mem.attempts} restart(s) did not help (${wantsRestart}); no more restarts until it has been healthy on every scan for ${formatDuration(p.recoverAfterMs)}`,
    })
    return {actions, left, next: {...next, gaveUp: true}}
  }
  if (mem.lastRestartAt !== null) {
    const until = mem.lastRestartAt + p.cooldownMs * 2 ** Math.max(0, mem.attempts - 1)
    if (now < until) {
      actions.push({type: 'hold-off', reason: wantsRestart, until})
      return {actions, left, next}
    }
  }
  actions.push({type: 'restart', reason: wantsRestart})
  // The new incarnation has to prove itself: its healthy stretch starts after the restart.
  return {actions, left, next: {...next, attempts: mem.attempts + 1, lastRestartAt: now, pingFailures: 0, healthySince: null, notRunningScans: 0}}
}

/** Why a scan runs: the interval (pings, everything), an event (clear and end only), a timed verdict (no ping). */
export type ScanReason = 'interval' | 'event' | 'timed'

/** The action types that change something (a lock, a process, a container): the work that runs beside the scan loop. */
export const EFFECTS: ReadonlySet<WatchAction['type']> = new Set(['clear', 'end-holder', 'restart'])

/**
 * What one scan's judgement (decide) of an instance may do and what it leaves in memory, given why the scan ran and
 * whether the instance may be acted on now (mayAct: no work in flight on it, and observed after its last work ended).
 * Pure.
 * - Not to be acted on: observed and reported only: locks are announced (`pending`) and remembered (so the
 *   seen-twice rule can act at once when the work ends), nothing is cleared, ended or restarted, and no alert,
 *   ping failure, attempt or healthy stretch counts (a restart in flight owns the instance until its wait ends).
 * - An event scan clears and ends what is proven (seen twice, same content); alerts, restarts and their hold-offs
 *   stay with the interval scans (an event scan runs in the middle of a restart's die/start), and only the locks
 *   seen advance.
 * - A timed scan (no ping) decides like an interval scan, but a healthy stretch is the interval scans' to measure.
 */
export function judged<D extends {actions: WatchAction[]; next: InstanceMemory}>(reason: ScanReason, mayAct: boolean, mem: InstanceMemory, d: D): D {
  if (!mayAct)
    return {
      ...d,
      actions: d.actions.filter((a) => a.type === 'pending' || a.type === 'clear' || a.type === 'end-holder').map(toPending),
      next: {...mem, seen: d.next.seen},
    }
  if (reason === 'event')
    return {...d, actions: d.actions.filter((a) => a.type === 'pending' || a.type === 'clear' || a.type === 'end-holder'), next: {...mem, seen: d.next.seen}}
  if (reason === 'timed') return {...d, next: {...d.next, healthySince: mem.healthySince}}
  return d
}

/** A lock that would be cleared or ended, announced instead. */
function toPending(a: WatchAction): WatchAction {
  return a.type === 'clear' || a.type === 'end-holder' ? {type: 'pending', lock: a.lock} : a
}

/** One record for the incident log: its event name and fields (IncidentLog.write). */
export interface IncidentRecord {
  event: string
  data: Record<string, unknown>
}

/**
 * What the incident log must hold before watch restarts an instance, so the post-incident document can name the
 * cause (incidents/document.ts reads the locks of restarted instances and the failed pings): every lock of the
 * instance as judged (a hung holder names `frozen-gateway`), and the failed ping that asked for it. Pure.
 */
export function restartEvidence(
  s: Pick<InstanceStatus, 'name' | 'locks'>,
  reason: string,
  ping: ({ok: boolean} & Record<string, unknown>) | null,
): IncidentRecord[] {
  const locks = s.locks.map((l) => ({event: 'lock', data: lockRecord(s.name, l)}))
  const failed = ping && !ping.ok ? [{event: 'ping', data: {instance: s.name, ...ping}}] : []
  return [...locks, ...failed, {event: 'restart-reason', data: {instance: s.name, reason}}]
}

/**
 * The run-end record of a watch (the incident document calls a run without one `incomplete`): a watch that stopped
 * normally (a signal, or its --scans reached) says so; a second signal, which ends it at once, is an interruption. Pure.
 */
export function watchRunEnd(end: {scans: number; stoppedBy: string | null; forcedBy?: string | null; notStarted?: string[]}): Record<string, unknown> {
  const notStarted = end.notStarted && end.notStarted.length > 0 ? {notStarted: end.notStarted} : {}
  if (end.forcedBy)
    return {
      interrupted: end.stoppedBy ?? end.forcedBy,
      forced: end.forcedBy,
      scans: end.scans,
      note: 'a second signal: exited at once; an intent without its result may not have finished',
    }
  return {stopped: end.stoppedBy ?? 'scans', scans: end.scans, ...notStarted}
}

/**
 * The pure part of `fleet watch`: given this scan's status of an instance and what the previous scans saw,
 * what to do now. Stale locks and orphan holders are acted on once seen on two consecutive scans (a grace
 * period, same content both times); hung and conflict raise alerts and restart only with autoRestart; a
 * gateway failing its ping on two consecutive scans likewise. Restarts are capped per instance, with an
 * exponential cool-down after each: no restart loops. The cap is reset only by a recovery: healthy on every scan
 * for recoverAfterMs (as Kubernetes resets a crash-loop back-off after 10 minutes of running fine), so a
 * crash-looping container that looks healthy for one scan after each restart is not restarted forever.
 */
import {formatDuration} from '../config/duration.js'
import type {InstanceStatus, LockReport} from './observe.js'
import type {PingFailure} from './ping-classify.js'
import {decideRestart, observedFacts} from './restart-decision.js'

export interface WatchPolicy {
  reportOnly: boolean
  autoRestart: boolean
  maxAttempts: number
  cooldownMs: number
  /** How long an instance must be healthy on every scan before its restart attempts (and a give-up) are forgotten. */
  recoverAfterMs: number
}

/** Default of recoverAfterMs (`--recover-after`): 10 minutes, as Kubernetes resets its crash-loop back-off. */
export const DEFAULT_RECOVER_AFTER_MS = 600_000

export interface InstanceMemory {
  /** Lock path -> verdict and content seen on the previous scan. */
  seen: Map<string, {verdict: string; raw: string | null}>
  pingFailures: number
  attempts: number
  lastRestartAt: number | null
  gaveUp: boolean
  /** When the current run of healthy scans began (null: the last scan was not healthy). */
  healthySince: number | null
}

export function freshMemory(): InstanceMemory {
  return {seen: new Map(), pingFailures: 0, attempts: 0, lastRestartAt: null, gaveUp: false, healthySince: null}
}

export type WatchAction =
  | {type: 'clear'; lock: LockReport}
  | {type: 'end-holder'; lock: LockReport}
  | {type: 'pending'; lock: LockReport}
  | {type: 'alert'; reason: 'hung' | 'conflict' | 'ping-failed' | 'not-running'; detail: string}
  | {type: 'restart'; reason: string}
  | {type: 'hold-off'; reason: string; until: number}
  | {type: 'give-up'; detail: string}
  | {type: 'recovered'}

/** pingFailure: the class of this scan's failed ping (restarts follow decideRestart: only what a restart can cure). */
export function decide(
  s: InstanceStatus,
  pingOk: boolean | null,
  mem: InstanceMemory,
  p: WatchPolicy,
  now: number,
  pingFailure: PingFailure | null = null,
): {actions: WatchAction[]; next: InstanceMemory} {
  const actions: WatchAction[] = []
  const seen = new Map<string, {verdict: string; raw: string | null}>()
  let hung = false
  for (const lock of s.locks) {
    seen.set(lock.path, {verdict: lock.verdict, raw: lock.raw})
    const before = mem.seen.get(lock.path)
    const confirmed = before !== undefined && before.verdict === lock.verdict && before.raw === lock.raw
    if (lock.verdict === 'stale' || lock.verdict === 'orphan') {
      // Unknown OpenClaw version: report only (what a lock means depends on the version).
      if (!confirmed || p.reportOnly || s.openclaw.version === null) actions.push({type: 'pending', lock})
      else actions.push({type: lock.verdict === 'stale' ? 'clear' : 'end-holder', lock})
    } else if (lock.verdict === 'hung') {
      hung = true
      actions.push({type: 'alert', reason: 'hung', detail: `${lock.path} held ${Math.round(lock.ageMs / 1000)}s by pid ${lock.pid}`})
    } else if (lock.verdict === 'conflict') {
      actions.push({type: 'alert', reason: 'conflict', detail: `${lock.path}: sessions dir shared by ${lock.evidence.mountedBy.join(', ')}`})
    }
  }
  const pingFailures = pingOk === false ? mem.pingFailures + 1 : pingOk === true ? 0 : mem.pingFailures
  const notRunning = s.state !== 'running'
  const failing = pingFailures >= 2 && pingOk === false
  const rule = decideRestart({...observedFacts(s), hung, pingFailure: failing ? (pingFailure ?? 'no-reply') : null, acted: false}, 'needed')
  if (pingFailures >= 2)
    actions.push({
      type: 'alert',
      reason: 'ping-failed',
      detail: `no SPEED_OK on ${pingFailures} consecutive scans${pingFailure ? ` (${pingFailure})` : ''}${!rule.restart && rule.hint ? `: ${rule.hint}` : ''}`,
    })
  if (notRunning) actions.push({type: 'alert', reason: 'not-running', detail: `container ${s.state}`})
  const healthy = !notRunning && s.ok && pingOk !== false
  // An unhealthy scan ends the healthy stretch; a healthy one starts it or carries it on.
  const healthySince = healthy ? (mem.healthySince ?? now) : null
  const next: InstanceMemory = {...mem, seen, pingFailures, healthySince}

  if (healthy && (mem.attempts > 0 || mem.gaveUp)) {
    if (now - (healthySince as number) >= p.recoverAfterMs) {
      actions.push({type: 'recovered'})
      return {actions, next: {...next, attempts: 0, gaveUp: false}}
    }
  }
  // The one restart rule (decideRestart): a hung holder, a container not running, a ping failing in a way a restart cures.
  const wantsRestart = rule.restart ? rule.why : null
  if (!wantsRestart || !p.autoRestart || p.reportOnly) return {actions, next}
  if (mem.gaveUp) return {actions, next}
  if (mem.attempts >= p.maxAttempts) {
    actions.push({
      type: 'give-up',
      detail: `${mem.attempts} restart(s) did not help (${wantsRestart}); no more restarts until it has been healthy on every scan for ${formatDuration(p.recoverAfterMs)}`,
    })
    return {actions, next: {...next, gaveUp: true}}
  }
  if (mem.lastRestartAt !== null) {
    const until = mem.lastRestartAt + p.cooldownMs * 2 ** Math.max(0, mem.attempts - 1)
    if (now < until) {
      actions.push({type: 'hold-off', reason: wantsRestart, until})
      return {actions, next}
    }
  }
  actions.push({type: 'restart', reason: wantsRestart})
  // The new incarnation has to prove itself: its healthy stretch starts after the restart.
  return {actions, next: {...next, attempts: mem.attempts + 1, lastRestartAt: now, pingFailures: 0, healthySince: null}}
}

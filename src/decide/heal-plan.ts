/**
 * The heal plan for one instance, from its observed status: pure, so --dry-run prints exactly what a real
 * run would do first. Later steps (ping, restart) depend on what the gateway answers, so the plan says
 * which restarts are certain and which depend on the ping.
 */
import type {InstanceStatus, LockReport} from '../observe/observe.js'
import {decideLocks, type HolderSignal as LockHolder} from './lock-actions.js'
import {decideRestart, observedFacts, type RestartPolicy} from './restart.js'

export type {RestartPolicy} from './restart.js'
export {holderSignal} from './lock-actions.js'

/** An orphan holder heal ends (decide/lock-actions.ts), with the lock report it holds. */
export type HolderSignal = LockHolder<LockReport>

export interface HealOptions {
  force: boolean
  /** Also remove legacy `.jsonl.lock` files that 2026.8+ ignores, when no process could own them (`--tidy`). */
  tidy?: boolean
  restart: RestartPolicy
  /** Instances that failed a --probe ping before any action. */
  probeFailed?: ReadonlySet<number>
}

export interface InstancePlan {
  id: number
  name: string
  /** Locks to delete (stale; with --force also live and unknown). */
  deletes: LockReport[]
  /** Orphan holders to end inside the container (SIGTERM, then SIGKILL after the grace). */
  signals: HolderSignal[]
  /** Locks left alone, and why. */
  untouched: {lock: LockReport; why: string}[]
  /** Containers that share a sessions dir with this instance (conflict: nothing there is deleted). */
  sharedWith: string[]
  /** Restart for certain, and why (hung lock, container not running, --restart always); null when only a failing ping would. */
  restart: string | null
  /** Whether anything is done to the instance before the ping. */
  acted: boolean
}

export function planInstance(s: InstanceStatus, opts: HealOptions): InstancePlan {
  const plan: InstancePlan = {id: s.id, name: s.name, deletes: [], signals: [], untouched: [], sharedWith: s.sharedWith, restart: null, acted: false}
  // The one lock rule, shared with watch (decide/lock-actions.ts): heal acts on one observation.
  for (const d of decideLocks(s, {force: opts.force, tidy: opts.tidy})) {
    if (d.action === 'delete') plan.deletes.push(d.lock)
    else if (d.action === 'end-holder') plan.signals.push(d.holder)
    else plan.untouched.push({lock: d.lock, why: d.why})
  }
  plan.acted = plan.deletes.length > 0 || plan.signals.length > 0
  // Certain restarts (before any ping): the one rule, with no ping failure known yet.
  const d = decideRestart({...observedFacts(s), pingFailure: null, acted: plan.acted}, opts.restart)
  plan.restart = d.restart ? d.why : null
  return plan
}

/** An instance is affected when it has anything to fix: then heal works on it. */
export function isAffected(s: InstanceStatus, plan: InstancePlan, probeFailed?: ReadonlySet<number>): boolean {
  return plan.acted || plan.restart !== null || !s.ok || (probeFailed?.has(s.id) ?? false)
}

/**
 * The order heal works through instances (`heal.concurrency` at a time): the urgent first, so that a gateway that
 * is down or must restart does not wait for a slot behind slow pings of gateways that only had a stale lock.
 * 0: a certain restart; 1: not running, unhealthy, or not ok; 2: something to do before the ping; 3: the rest.
 * Stable: ids keep their order within a rank. Ordering changes no decision.
 */
export function healOrder(
  statuses: Pick<InstanceStatus, 'id' | 'state' | 'health' | 'ok'>[],
  plans: Pick<InstancePlan, 'id' | 'restart' | 'acted'>[],
): number[] {
  const rank = (st: (typeof statuses)[number]) => {
    const plan = plans.find((p) => p.id === st.id)
    if (plan?.restart) return 0
    if (st.state !== 'running' || st.health === 'unhealthy' || !st.ok) return 1
    return plan?.acted ? 2 : 3
  }
  return statuses
    .map((st, i) => ({id: st.id, r: rank(st), i}))
    .sort((a, b) => a.r - b.r || a.i - b.i)
    .map((x) => x.id)
}

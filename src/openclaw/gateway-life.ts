/**
 * Where a gateway is in its life cycle, and whether that lets it serve: one pure rule for status, heal and watch.
 *
 * `running` is the container's state, not the gateway's: a container whose gateway exits at once under a restart
 * policy is `running` for a few milliseconds per loop, and a real gateway is `running` for 20 s to minutes before it
 * is ready (76 s for a fresh 2026.9.6, 3.5 min on a busy host). So a gateway serves (`ready`) only when it said so
 * since this start: its ready line, or its readiness endpoint with the body checked. Everything else has its own
 * state, with the evidence for it:
 * - `restarting`: the engine is between restarts, or the restart policy restarted it within the crash-loop window
 *   (RestartCount counts the policy's restarts since the last manual start; it rose since the last scan);
 * - `crash-loop`: the restart policy restarted it `crashLoopRestarts` times or more, the last within the window;
 * - `starting`: not ready yet, within the start budget since this start;
 * - `failing`: running past the start budget without being ready, or a start refusal seen in its log that a restart
 *   does not cure (start-up migrations, schema, …: see start-refusals.ts);
 * - `unverified`: running, but neither the ready line nor the readiness endpoint could be read: not ok, as
 *   missing evidence never makes an `ok`;
 * - `stopped` (exited, created, dead), `paused`, `missing`, `unreachable`: the container's own state.
 */
import type {StartRefusal} from './start-refusals.js'
import {isPaused} from '../docker/container-state.js'
import {channelName, type ReadinessEvidence, type SuppressedChannel} from './readiness.js'
import type {LifePolicy} from '../config/model.js'

export type LifeState = 'ready' | 'starting' | 'restarting' | 'crash-loop' | 'failing' | 'unverified' | 'stopped' | 'paused' | 'missing' | 'unreachable'

export interface LifeFacts {
  /** The engine's state (`running`, `restarting`, `exited`, …), or `missing` / `unreachable`. */
  state: string
  startedAtMs: number | null
  /** When the previous incarnation ended (the engine's FinishedAt), null if never. */
  finishedAtMs: number | null
  /** Its exit code (null when unknown). */
  exitCode: number | null
  /** Restarts by the restart policy since the last manual start (the engine resets it on `docker start/restart`). */
  restartCount: number | null
  /** The same count at the previous scan (watch), null when there was none. */
  previousRestartCount?: number | null
  readiness: ReadinessEvidence
  /** The last start refusal seen in the log since the crash-loop window began (this incarnation or the ones before). */
  refusal: StartRefusal | null
  /** The last log line of the previous incarnation, when it ended recently (what it said before it exited). */
  lastLine: string | null
  /** Channels this start keeps down for OpenClaw's crash-loop breaker (readiness.ts channelSuppression). */
  channelsDown?: SuppressedChannel[]
}

export const DEFAULT_LIFE_POLICY: LifePolicy = {startBudgetMs: 300_000, crashLoopWindowMs: 300_000, crashLoopRestarts: 3, lockErrorWindowMs: 120_000}

/**
 * Pure: do the lock errors in a gateway's log still tell of failing turns? The log has no line for a good turn that
 * every version writes, so "since the last good turn" is read as: the last lock error is within `windowMs`. Then the
 * gateway is not ok even before any lock is judged bad (a stuck writer is `live` until orphanAfter, while every turn
 * already fails). A good turn fleet itself saw after the last error (heal's or watch's ping) ends it. Returns the
 * note to show, or null.
 */
export function recentLockErrors(
  sig: {count: number; last: string | null} | null,
  nowMs: number,
  windowMs: number,
  lastGoodTurnMs: number | null = null,
): string | null {
  if (!sig || sig.count === 0 || !sig.last) return null
  const lastMs = Date.parse(sig.last)
  if (!Number.isFinite(lastMs) || nowMs - lastMs > windowMs) return null
  // A turn fleet saw answer after the last error (its own ping) is the good turn that ends the episode.
  if (lastGoodTurnMs !== null && lastGoodTurnMs > lastMs) return null
  return `${sig.count} lock error(s) in its log since its start, the last ${ago(nowMs - lastMs)} ago (within ${ago(windowMs)}): turns are failing`
}

export interface Life {
  state: LifeState
  /** One line a person reads: why this state. */
  why: string
  /** Whether the gateway can serve: only `ready`. */
  serves: boolean
  restartCount: number | null
  exitCode: number | null
  /** Time since this start (null when not running). */
  upMs: number | null
  readiness: ReadinessEvidence
  refusal: StartRefusal | null
  lastLine: string | null
  /**
   * Channels kept down by OpenClaw's crash-loop breaker since this start: the gateway answers turns, but users on those
   * channels get nothing, so an instance with any is not `ok` (the cure: `openclaw gateway call channels.start`).
   */
  channelsDown: SuppressedChannel[]
}

const ago = (ms: number) => (ms < 1000 ? `${Math.max(0, Math.round(ms))}ms` : ms < 120_000 ? `${Math.round(ms / 1000)}s` : `${Math.round(ms / 60_000)}m`)

/** Pure: the life-cycle state of one gateway from what was observed, the policy and the time of the observation. */
export function gatewayLife(f: LifeFacts, policy: LifePolicy, nowMs: number): Life {
  const upMs = f.state === 'running' && f.startedAtMs !== null ? Math.max(0, nowMs - f.startedAtMs) : null
  const base = {
    restartCount: f.restartCount,
    exitCode: f.exitCode,
    upMs,
    readiness: f.readiness,
    refusal: f.refusal,
    lastLine: f.lastLine,
    channelsDown: f.state === 'running' ? (f.channelsDown ?? []) : [],
  }
  const at = (state: LifeState, why: string): Life => ({...base, state, why, serves: state === 'ready'})
  if (f.state === 'missing') return at('missing', 'no container')
  if (f.state === 'unreachable') return at('unreachable', 'its Docker host is unreachable')
  if (isPaused(f.state)) return at('paused', 'the container is paused')

  const restarts = f.restartCount ?? 0
  const rose = f.previousRestartCount != null && f.restartCount != null && f.restartCount > f.previousRestartCount
  const sinceExit = f.finishedAtMs !== null ? nowMs - f.finishedAtMs : null
  // A policy restart counts while its exit is recent. An exit that is after this start (clock skew between engine
  // and fleet aside) cannot be, so it is compared with the start when both are known.
  const recentRestart = restarts > 0 && sinceExit !== null && sinceExit <= policy.crashLoopWindowMs
  const exit = f.exitCode !== null ? `exit ${f.exitCode}` : 'exit code unknown'
  const loopWhy = () =>
    `restarted ${restarts} time(s) by its restart policy, last ${exit} ${sinceExit !== null ? `${ago(sinceExit)} ago` : ''}`.trim() +
    (f.refusal ? `: ${f.refusal.kind} (${f.refusal.line})` : f.lastLine ? `: ${f.lastLine}` : '')

  if (f.state === 'restarting') return at(restarts >= policy.crashLoopRestarts ? 'crash-loop' : 'restarting', loopWhy())
  if (f.state !== 'running') {
    const ended = f.exitCode !== null ? ` (${exit})` : ''
    return at('stopped', `container ${f.state}${ended}${f.refusal ? `: ${f.refusal.kind} (${f.refusal.line})` : ''}`)
  }

  const ready = f.readiness.state === 'ready'
  if (restarts >= policy.crashLoopRestarts && (recentRestart || rose)) return at('crash-loop', loopWhy())
  if (rose || recentRestart) return at('restarting', loopWhy() + (ready ? '; ready again, but not for long enough to be trusted' : ''))
  const thisStart = (r: StartRefusal | null) => r !== null && r.atMs !== null && f.startedAtMs !== null && r.atMs >= f.startedAtMs
  // Ready, but the crash-loop breaker keeps channels down (and has not restored them): users there get nothing. The
  // breaker's own `tripped` line alone is no such proof (a gateway without channels serves as before).
  const down = base.channelsDown
  if (ready && down.length > 0)
    return at('failing', `ready, but OpenClaw's crash-loop breaker keeps channels down since this start: ${down.map(channelName).join(', ')}`)
  if (ready) return at('ready', f.readiness.source === 'ready-line' ? 'ready line since this start' : `readiness endpoint: ${f.readiness.detail ?? 'ready'}`)
  // A refusal of this incarnation that a restart does not cure: the gateway will not become ready by waiting.
  if (f.refusal && f.refusal.cure !== 'wait' && f.refusal.cure !== 'channels' && thisStart(f.refusal))
    return at('failing', `${f.refusal.kind}: ${f.refusal.line}`)
  if (upMs !== null && upMs > policy.startBudgetMs) {
    const found = f.refusal ? `${f.refusal.kind}: ${f.refusal.line}` : f.readiness.detail ? `not ready (${f.readiness.detail})` : 'no ready line'
    return at(f.readiness.state === 'unknown' ? 'unverified' : 'failing', `up ${ago(upMs)}, past its start budget of ${ago(policy.startBudgetMs)}: ${found}`)
  }
  return at(
    'starting',
    `up ${upMs === null ? '?' : ago(upMs)}, not ready yet${f.readiness.detail ? ` (${f.readiness.detail})` : ''}${f.refusal ? `; last refusal: ${f.refusal.kind}` : ''}`,
  )
}

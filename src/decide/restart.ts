/**
 * The one restart rule, for heal and watch alike: what is known about an instance (container state, a hung
 * lock holder, the class of its last ping failure) and the policy -> restart or not, and why. Pure.
 *
 * A restart kills every turn in the container and takes the gateway down until it is ready again (16-80 s
 * on real gateways), so it is done only for what it can cure:
 * - a hung holder (the gateway itself held a lock past maxHold; a stopped one is resumed first);
 * - a container that is not running (exited, created, dead);
 * - a ping that still fails after fleet acted, in a way a wedged gateway fails: a lock timeout, no reply,
 *   a turn that timed out, storage or state locked by a stuck writer (2026.8+), the gateway unavailable.
 * Never while a live turn (not the gateway) holds a lock (the restart would end it), nor when the OpenClaw
 * version is unknown (fleet then only reports). It never cures the known upstream signatures
 * (fallback-reuses-locked-session, session-takeover-race: the holder is a live turn), a model or provider error, missing credentials (auth), a wrong reply, a CLI that cannot start
 * (exec-failed), and it is never done for a paused container or an unreachable host: those get the reason
 * and a hint instead. Nor for the disk: a full, read-only or failing state filesystem (the ping classes storage-full,
 * storage-readonly, storage-io, or the state filesystem read full or read-only, or storage errors in the gateway's log)
 * is the operator's to fix, whatever else the ping says.
 */
import {KNOWN_SIGNATURES} from '../locks/known-signatures.js'
import type {PingFailure} from './ping-class.js'
import type {InstanceStatus} from '../observe/status-model.js'
import type {Life} from '../openclaw/gateway-life.js'
import {isPaused} from '../docker/container-state.js'
import {STORAGE_HINTS} from '../locks/signatures.js'
import type {StorageFault} from '../observe/state-fs.js'

export type RestartPolicy = 'needed' | 'group' | 'always' | 'never'

export interface RestartFacts {
  /** Container state (`running`, `exited`, `paused`, `missing`, `unreachable`, ...). */
  state: string
  /** A lock held past maxHold by a live process that is not a turn (verdict hung). */
  hung: boolean
  /** The failure class of the last ping (after acting); null when it passed or was not run. */
  pingFailure: PingFailure | null
  /** Whether fleet acted on the instance (removed locks, ended holders). */
  acted: boolean
  /** The OpenClaw version is known: without it fleet only reports (the meaning of every lock depends on it). */
  versionKnown: boolean
  /** Live turns (not the gateway) holding a lock or an SQLite write lock: a restart would end them. Their pids, for the reason. */
  liveTurns: number[]
  /** Where the gateway is in its life cycle (decide/gateway-life.ts): a start in progress, a crash loop or a start refusal is no wedge. */
  life: Pick<Life, 'state' | 'why' | 'refusal'>
  /** The container keeps its state in the configured dataDir: otherwise fleet judged the wrong files and does not act. */
  mountOk: boolean
  /**
   * 2026.8+: turns run inside the gateway. Its active work as the gateway itself reports it (restart preflight), read
   * only before a restart for a ping failure; null when not read or unknown (a frozen gateway cannot answer it).
   */
  activeWork?: number | null
  /**
   * The state filesystem is full or read-only, or the gateway's log shows storage errors since the last good turn
   * (observe/state-fs.ts storageFault): whatever the ping says, a restart does not cure the disk.
   */
  storage?: StorageFault | null
}

export interface RestartDecision {
  restart: boolean
  /** Why (restart) or why not (no restart). */
  why: string
  /** What to do instead, when a restart cannot cure it. */
  hint: string | null
}

/** Ping failures a restart can cure: the gateway is wedged on a lock, or answers nothing in time. */
export const CURABLE_BY_RESTART: ReadonlySet<PingFailure> = new Set<PingFailure>([
  'lock-timeout',
  'no-reply',
  'timeout',
  'storage-locked',
  'state-contention',
  'gateway-unavailable',
  'gateway-bypassed',
])

const HINTS: Partial<Record<PingFailure, string>> = {
  auth: 'no usable credentials for the model provider: set the API key or auth profile in the gateway config (fleet doctor checks the models)',
  'model-error': 'a model or provider error: check the model config and the provider (fleet doctor checks the models)',
  'wrong-reply': 'the gateway answered, with another text: check ping.expect and the model',
  'fallback-reuses-locked-session': KNOWN_SIGNATURES['fallback-reuses-locked-session'].fix,
  'session-takeover-race': KNOWN_SIGNATURES['session-takeover-race'].fix,
  'exec-failed': 'the ping command could not run in the container: check ping.command and the image (fleet doctor)',
  'host-unreachable': 'the Docker host is unreachable: nothing can be restarted there',
  'container-not-running': 'the container is not running',
  ...STORAGE_HINTS,
}

/** What to do about a paused container, said the same by heal and doctor: heal never restarts it (its turns are frozen). */
export const PAUSED_ADVICE = 'docker unpause it, then heal again'

export function decideRestart(f: RestartFacts, policy: RestartPolicy): RestartDecision {
  const no = (why: string, hint: string | null = null): RestartDecision => ({restart: false, why, hint})
  const yes = (why: string): RestartDecision => ({restart: true, why, hint: null})
  if (policy === 'never') return no('--no-restart')
  if (f.state === 'unreachable') return no('the Docker host is unreachable', HINTS['host-unreachable'] ?? null)
  if (isPaused(f.state)) return no('the container is paused: its turns are frozen, a restart would kill them', PAUSED_ADVICE)
  if (f.state === 'missing') return no('no container to restart', 'start the compose group (docker compose up -d)')
  if (!f.versionKnown) return no('the OpenClaw version is unknown: fleet only reports', 'make its package.json readable (fleet status shows why it is unknown)')
  if (!f.mountOk)
    return no(
      'its container does not keep its state in the configured dataDir: fleet judged the wrong files',
      'fix dataDir in the fleet config or the volume in the compose file (fleet status names both)',
    )
  // The disk, not the gateway: a restart (or a start) does not make room, nor a read-only or failing disk writable.
  if (f.storage) return no(`${f.storage.kind}: ${f.storage.why}: a restart does not cure the disk`, f.storage.hint)
  // The restart policy is already restarting it, or its start refuses: another restart cures neither (and feeds
  // OpenClaw's crash-loop breaker, which then keeps the channels down).
  if (f.life.state === 'crash-loop' || f.life.state === 'restarting')
    return no(
      `${f.life.state}: ${f.life.why}: another restart does not cure it`,
      f.life.refusal?.hint ?? 'read its log (fleet status shows the last line): the cause is in the start, not in a lock',
    )
  if (f.life.state === 'failing' && f.life.refusal && f.life.refusal.cure !== 'wait' && f.life.refusal.cure !== 'locks')
    return no(`the gateway refuses to start (${f.life.refusal.kind}): a restart does not cure it`, f.life.refusal.hint)
  if (f.hung) return yes('hung lock holder')
  if (f.state !== 'running') return yes(`container ${f.state}`)
  // A start in progress is not wedged: a ping that finds nothing listening yet, or no answer in time, is the start.
  if (f.life.state === 'starting')
    return no(
      `the gateway is starting (${f.life.why}): a start in progress is not wedged`,
      'wait for it: fleet status shows when it is ready (gateway.startBudget bounds the wait)',
    )
  if (f.pingFailure !== null) {
    const turns = f.liveTurns.map((p) => `pid ${p}`).join(', ')
    if (CURABLE_BY_RESTART.has(f.pingFailure) && f.liveTurns.length > 0)
      return no(
        `ping fails (${f.pingFailure}), but live turns hold locks (${turns}): a restart would end them`,
        'fleet ends a turn once it is past its own deadline or its client is gone; or end it yourself',
      )
    if (CURABLE_BY_RESTART.has(f.pingFailure) && f.activeWork != null && f.activeWork > 0)
      return no(
        `ping fails (${f.pingFailure}), but the gateway reports ${f.activeWork} active work item(s) (its restart preflight): a slow turn is not a wedge, and a restart would end it`,
        'fleet status --locks shows the work; restart with --force once it is proven stuck',
      )
    if (CURABLE_BY_RESTART.has(f.pingFailure)) return yes(`ping still fails (${f.pingFailure})`)
    return no(`ping fails with ${f.pingFailure}: a restart does not cure that`, HINTS[f.pingFailure] ?? null)
  }
  if (policy === 'always' && f.acted) return yes('--restart always')
  return no(f.acted ? 'answers after its locks were cleared' : 'nothing a restart would cure')
}

/**
 * Pure: the restart rule's answer for the one ping of an instance heal did not work on (judged fine and not probed, or
 * its probe answered): heal pings it at the end to prove it and does not restart it on that ping, so an answer that
 * says restart is turned into why not, and what to do.
 */
export function unworkedPingDecision(rule: RestartDecision, probed: boolean): RestartDecision {
  if (!rule.restart) return rule
  return {
    restart: false,
    why: `${probed ? 'its probe answered' : 'judged fine and not probed'} before the heal, so heal did not work on it (the rule would now restart it: ${rule.why})`,
    hint: probed ? 'heal it again: it is now found failing' : 'fleet heal --probe pings first and restarts a gateway whose ping still fails',
  }
}

/** The facts an observation gives (state, a hung holder, the version, live turns holding locks); the ping and acting come later. */
export function observedFacts(
  s: Pick<InstanceStatus, 'state' | 'locks' | 'openclaw' | 'life' | 'mount'> & {storage?: StorageFault | null},
): Omit<RestartFacts, 'pingFailure' | 'acted'> {
  const liveTurns = s.locks.filter((l) => l.verdict === 'live' && l.evidence.process?.isAgent && !l.evidence.process.isMain).map((l) => l.evidence.process!.pid)
  return {
    state: s.state,
    hung: s.locks.some((l) => l.verdict === 'hung'),
    versionKnown: s.openclaw.version !== null,
    liveTurns: [...new Set(liveTurns)],
    life: s.life,
    mountOk: s.mount === null || s.mount.ok,
    storage: s.storage ?? null,
  }
}

/**
 * `fleet heal --verify <duration>`: the recovery playbook's validation after a fix, automated. For each healed
 * instance: N test turns (default 10) on distinct sessions of fleet's own (`openclaw-fleet-verify-<run>-<n>`, never a
 * user's), spread over the duration, while the gateway's log is followed for new lock errors. It holds only when
 * every turn answers and no new lock error appears. The schedule and the verdict are pure; the turns are pings.
 */
import type {Fleet, Instance} from '../config/model.js'
import {dockerFor} from '../docker/client.js'
import {containerLockSignature, type LockTimeoutSignature} from '../docker/logs.js'
import {pingInstance} from './ping.js'
import type {PingFailure} from './ping-classify.js'

export interface VerifySettings {
  durationMs: number
  turns: number
}

export interface VerifyTurn {
  n: number
  session: string
  /** When it was sent, ms after the verification started. */
  atMs: number
  ok: boolean
  failure: PingFailure | null
  detail: string | null
  latencyMs: number | null
}

export interface VerifyResult {
  instance: string
  ok: boolean
  why: string
  turns: VerifyTurn[]
  /** Lock-error lines in the gateway's log since the verification started (every family of LockTimeoutSignature). */
  newLockErrors: number | null
  logSignature: LockTimeoutSignature | null
  /** The sessions fleet created: OpenClaw has no command to remove one session by id on every version, so they are named. */
  sessions: string[]
  durationMs: number
}

/** When each turn is sent (ms after the start): the first at once, the last at the end, the others evenly between. Pure. */
export function verifySchedule(durationMs: number, turns: number): number[] {
  if (turns <= 1) return [0]
  return Array.from({length: turns}, (_, i) => Math.round((durationMs * i) / (turns - 1)))
}

/** Pure: the verdict over the turns and the new lock errors (null: the log could not be read, which is no proof). */
export function verifyVerdict(turns: readonly Pick<VerifyTurn, 'ok' | 'n' | 'failure'>[], newLockErrors: number | null): {ok: boolean; why: string} {
  const failed = turns.filter((t) => !t.ok)
  if (failed.length > 0) return {ok: false, why: `${failed.length}/${turns.length} test turns failed (${failed.map((t) => `#${t.n} ${t.failure ?? 'failed'}`).join(', ')})`}
  if (newLockErrors === null) return {ok: false, why: `${turns.length}/${turns.length} test turns answered, but the gateway log could not be read: no proof that no lock error recurred`}
  if (newLockErrors > 0) return {ok: false, why: `${turns.length}/${turns.length} test turns answered, but ${newLockErrors} new lock error(s) in the gateway log`}
  return {ok: true, why: `${turns.length}/${turns.length} test turns answered and no new lock error in the gateway log`}
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function verifyInstance(fleet: Fleet, inst: Instance, container: string, runId: string, v: VerifySettings): Promise<VerifyResult> {
  const started = Date.now()
  const turns: VerifyTurn[] = []
  for (const [i, at] of verifySchedule(v.durationMs, v.turns).entries()) {
    const wait = started + at - Date.now()
    if (wait > 0) await sleep(wait)
    const session = `openclaw-fleet-verify-${runId}-${i + 1}`
    const r = await pingInstance(fleet, inst, {...fleet.ping, session: 'own', sessionId: session}, 1, container)
    turns.push({n: i + 1, session, atMs: Date.now() - started, ok: r.ok, failure: r.failure, detail: r.detail, latencyMs: r.latencyMs})
  }
  let sig: LockTimeoutSignature | null = null
  try {
    sig = await containerLockSignature(dockerFor(inst.docker), container, started)
  } catch {
    // unreadable log: the verdict says so
  }
  const verdict = verifyVerdict(turns, sig?.count ?? null)
  return {instance: inst.name, ...verdict, turns, newLockErrors: sig?.count ?? null, logSignature: sig, sessions: turns.map((t) => t.session), durationMs: Date.now() - started}
}

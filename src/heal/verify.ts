/**
 * `fleet heal --verify <duration>`: the recovery playbook's validation after a fix, automated. For each healed
 * instance: N test turns (default 10) on distinct sessions of fleet's own (`openclaw-fleet-verify-<run>-<n>`, never a
 * user's), spread over the duration, while the gateway's log is followed for new lock errors. It holds only when
 * every turn answers and no new lock error appears. The schedule and the verdict are pure; the turns are pings.
 * Afterwards the sessions are removed where the version can (2026.9+), else named.
 */
import type {Fleet, Instance} from '../config/model.js'
import {dockerFor} from '../docker/client.js'
import {containerLockSignature, type LockTimeoutSignature} from '../docker/logs.js'
import {inspectContainer} from '../docker/discover.js'
import {execIn} from '../docker/exec.js'
import {detectVersion} from '../openclaw/detect.js'
import {parseOpenClawVersion, versionCan} from '../openclaw/version.js'
import {pingInstance} from '../ping/ping.js'
import type {PingFailure} from '../decide/ping-class.js'

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
  /** The sessions fleet created. */
  sessions: string[]
  /** Those removed afterwards (2026.9+: `openclaw sessions delete`, which archives the transcript); the others stay, named in `sessions`. */
  removed: string[]
  /** Why they could not be removed (or that this version has no command for it); null when all were. */
  removeNote: string | null
  durationMs: number
}

/** When each turn is sent (ms after the start): the first at once, the last at the end, the others evenly between. Pure. */
export function verifySchedule(durationMs: number, turns: number): number[] {
  if (turns <= 1) return [0]
  return Array.from({length: turns}, (_, i) => Math.round((durationMs * i) / (turns - 1)))
}

/** Pure: the verdict over the turns and the new lock errors (null: the log could not be read, or a capped read counted none: no proof). */
export function verifyVerdict(turns: readonly Pick<VerifyTurn, 'ok' | 'n' | 'failure'>[], newLockErrors: number | null): {ok: boolean; why: string} {
  const failed = turns.filter((t) => !t.ok)
  if (failed.length > 0)
    return {ok: false, why: `${failed.length}/${turns.length} test turns failed (${failed.map((t) => `#${t.n} ${t.failure ?? 'failed'}`).join(', ')})`}
  if (newLockErrors === null)
    return {
      ok: false,
      why: `${turns.length}/${turns.length} test turns answered, but the gateway log could not be read (or only in part, capped): no proof that no lock error recurred`,
    }
  if (newLockErrors > 0)
    return {ok: false, why: `${turns.length}/${turns.length} test turns answered, but ${newLockErrors} new lock error(s) in the gateway log`}
  return {ok: true, why: `${turns.length}/${turns.length} test turns answered and no new lock error in the gateway log`}
}

/** 2026.9 has `openclaw sessions delete <key...>` (through the gateway; it archives the transcript); earlier versions remove no session by id. Pure. */
export function canRemoveSessions(version: string | null): boolean {
  const v = version ? parseOpenClawVersion(version) : null
  return v !== null && versionCan(v, 'sessions-delete')
}

/** The session key of a `--session-id` turn, as 2026.9.6 lists it: `agent:<agent>:explicit:<id>`. */
export const sessionKey = (agent: string, sessionId: string): string => `agent:${agent}:explicit:${sessionId}`

/** The removed keys in `openclaw sessions delete --json`'s answer ({results: [{key, ok}]}); [] for anything else. Pure. */
export function removedKeys(stdout: string): string[] {
  try {
    const doc = JSON.parse(stdout) as {results?: {key?: unknown; ok?: unknown}[]}
    return (doc.results ?? []).filter((r) => r.ok === true && typeof r.key === 'string').map((r) => r.key as string)
  } catch {
    return []
  }
}

async function removeSessions(fleet: Fleet, inst: Instance, container: string, sessions: string[]): Promise<{removed: string[]; note: string | null}> {
  const handle = dockerFor(inst.docker)
  const info = await inspectContainer(handle, container)
  const version = info ? (await detectVersion(handle, info, {local: inst.lockAccess === 'host'})).version : null
  if (!canRemoveSessions(version)) return {removed: [], note: `OpenClaw ${version ?? '(unknown version)'} has no command to remove a session by id: they stay`}
  const keys = sessions.map((s) => sessionKey(fleet.ping.agent, s))
  try {
    const r = await execIn(handle, container, ['openclaw', 'sessions', 'delete', ...keys, '--yes', '--json'], {timeoutMs: 120_000})
    const gone = new Set(removedKeys(r.stdout))
    const removed = sessions.filter((s) => gone.has(sessionKey(fleet.ping.agent, s)))
    return {
      removed,
      note:
        removed.length === sessions.length
          ? null
          : `openclaw sessions delete removed ${removed.length}/${sessions.length} (exit ${r.exitCode}): ${(r.stderr || r.stdout).trim().slice(0, 200)}`,
    }
  } catch (error) {
    return {removed: [], note: `openclaw sessions delete failed: ${(error as Error).message}`}
  }
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
    sig = await containerLockSignature(dockerFor(inst.docker), container, {sinceMs: started})
  } catch {
    // unreadable log: the verdict says so
  }
  // A capped read that counted none is no proof that none recurred (the lines not read may hold some).
  const newLockErrors = sig === null || (sig.count === 0 && sig.capped !== null) ? null : sig.count
  const verdict = verifyVerdict(turns, newLockErrors)
  const sessions = turns.map((t) => t.session)
  const {removed, note} = await removeSessions(fleet, inst, container, sessions)
  return {instance: inst.name, ...verdict, turns, newLockErrors, logSignature: sig, sessions, removed, removeNote: note, durationMs: Date.now() - started}
}

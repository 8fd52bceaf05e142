/**
 * Restart a gateway the way it drains, and read what its stop left in OpenClaw's boot history.
 *
 * OpenClaw 2026.9 drains active work on SIGTERM (up to 315 s, inside its 330 s stop policy) and records every boot in
 * `gateway_boot_lifecycle` (state db): `clean_stop` once a stop drained and closed, `planned_restart` for an
 * in-process restart, `forced_stop` when the close failed, `startup_failed`, and no completion at all for a boot that
 * was killed (SIGKILL) or is still running. Three unclean boots in 5 minutes trip its crash-loop breaker.
 *
 * Measured on real 2026.9.6 with a turn in a slow model (see the report in test/e2e/real-openclaw-drain.test.ts):
 * `docker restart -t 330` (the same API call `compose restart -t 330` makes per container) let the turn answer
 * (its `docker exec` exited 0 with the reply) and left `clean_stop` / `stop (SIGTERM)`; Docker's default 10 s
 * SIGKILLs the drain (exit 137, no completion). So fleet restarts with the stop budget `restart.stopTimeout`.
 */
import type {Fleet, Group, Instance} from '../config/model.js'
import {engineCall, type DockerHandle} from './client.js'
import {runCompose} from './compose.js'
import {execIn} from './exec.js'

/** Docker's stop timeout in whole seconds (rounded up: never less than the budget). Pure. */
export const stopSeconds = (stopTimeoutMs: number): number => Math.max(1, Math.ceil(stopTimeoutMs / 1000))

/** The compose verb of a restart with the stop budget: `restart -t <s> [services…]`. Pure. */
export function composeRestartVerb(services: string[], stopTimeoutMs: number): string[] {
  return ['restart', '-t', String(stopSeconds(stopTimeoutMs)), ...services]
}

/**
 * Stops a container with the stop budget (`docker stop -t <s>`: SIGTERM, the gateway drains, SIGKILL after s); one
 * already stopped (the engine's 304) is no error. Returns the seconds given.
 */
export async function stopWithBudget(handle: DockerHandle, idOrName: string, stopTimeoutMs: number): Promise<number> {
  const t = stopSeconds(stopTimeoutMs)
  try {
    await engineCall(handle, `stop ${idOrName}`, () => handle.docker.getContainer(idOrName).stop({t}), t * 1000 + handle.timeoutMs)
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode !== 304) throw error // 304: already stopped
  }
  return t
}

/**
 * How long the restart call itself may take: the whole stop budget, then the start (bounded by the compose
 * timeout, as every compose call is). Pure.
 */
export const restartCallTimeoutMs = (fleet: Pick<Fleet, 'restart' | 'compose'>): number =>
  stopSeconds(fleet.restart.stopTimeoutMs) * 1000 + fleet.compose.timeoutMs

export interface GatewayRestartRun {
  /** What ran: the compose argv, or `docker restart -t <s> <container>` through the engine API. */
  detail: string
  exitCode: number
  stderr: string
  durationMs: number
}

/**
 * Restart one instance's gateway with the stop budget: `compose restart -t <s> <services>` for a compose group
 * (target.services empty: the whole group), else the engine's `docker restart -t <s>`. Throws only when the engine
 * cannot be reached (the caller's error handling applies); a compose failure is returned with its exit code.
 */
export async function restartGateway(
  fleet: Fleet,
  handle: DockerHandle,
  group: Group | undefined,
  target: {project?: string; services: string[]; container: string},
): Promise<GatewayRestartRun> {
  const timeoutMs = restartCallTimeoutMs(fleet)
  if (group) {
    const r = await runCompose(
      {...fleet, compose: {...fleet.compose, timeoutMs}},
      group,
      composeRestartVerb(target.services, fleet.restart.stopTimeoutMs),
      target.project,
    )
    return {detail: r.argv.join(' '), exitCode: r.exitCode, stderr: r.stderr, durationMs: r.durationMs}
  }
  const started = Date.now()
  const t = stopSeconds(fleet.restart.stopTimeoutMs)
  await engineCall(handle, `restart ${target.container}`, () => handle.docker.getContainer(target.container).restart({t}), timeoutMs)
  return {detail: `docker restart -t ${t} ${target.container} (no compose group configured)`, exitCode: 0, stderr: '', durationMs: Date.now() - started}
}

// ---- boot history -----------------------------------------------------------------------------

export interface BootRow {
  bootId: string
  pid: number
  startedAtMs: number
  completedAtMs: number | null
  outcome: string | null
  startupReason: string | null
  reason: string | null
}

/** How a boot ended, as fleet reports it. */
export type BootEnd = 'clean' | 'forced' | 'unclean' | 'startup-failed' | 'running' | 'other'

/** OpenClaw's crash-loop breaker: 3 unclean boots within 5 minutes (gateway-boot-lifecycle, 2026.9.6). */
export const BREAKER_UNCLEAN_BOOTS = 3
export const BREAKER_WINDOW_MS = 300_000
/** Boots whose failure OpenClaw does not count toward the breaker (start-up maintenance). */
const MAINTENANCE_STARTUP_REASONS = new Set(['gateway.startup_maintenance_required', 'gateway.agent_media_migration_required'])

/**
 * Pure: how one boot ended. `clean_stop` and `planned_restart` are clean; `forced_stop` closed with a failure;
 * no completion is a boot killed before it could record its end, unless it is the boot running now (`current`).
 */
export function bootEnd(row: BootRow, current: boolean): BootEnd {
  if (row.completedAtMs === null || row.outcome === null) return current ? 'running' : 'unclean'
  if (row.outcome === 'clean_stop' || row.outcome === 'planned_restart') return 'clean'
  if (row.outcome === 'forced_stop') return 'forced'
  if (row.outcome === 'startup_failed') return 'startup-failed'
  return 'other'
}

export interface BootHistory {
  /** Newest first, each with how it ended. */
  boots: Array<BootRow & {end: BootEnd}>
  /** The newest boot that has ended (the last stop), if any. */
  lastStop: (BootRow & {end: BootEnd}) | null
  /** Unclean boots and failed starts OpenClaw's crash-loop breaker counts in its window before nowMs. */
  uncleanInWindow: number
  /** One more unclean boot would trip the breaker (channels kept down on the next start). */
  nearBreaker: boolean
}

/**
 * Pure: the boot rows (any order) into fleet's reading. `runningPid`: the gateway's pid now (null when none runs):
 * the newest open row with that pid is the boot running now, not an unclean one. The window count follows
 * OpenClaw's `inspectGatewayCrashLoopBreaker`: open rows started in the window and `startup_failed` rows completed in
 * it, maintenance start-ups excluded.
 */
export function readBootHistory(rows: BootRow[], opts: {nowMs: number; runningPid: number | null}): BootHistory {
  const sorted = [...rows].sort((a, b) => b.startedAtMs - a.startedAtMs)
  const currentId = opts.runningPid !== null ? sorted.find((r) => r.completedAtMs === null && r.pid === opts.runningPid)?.bootId : undefined
  const boots = sorted.map((r) => ({...r, end: bootEnd(r, r.bootId === currentId)}))
  const since = opts.nowMs - BREAKER_WINDOW_MS
  const counted = boots.filter(
    (b) =>
      !MAINTENANCE_STARTUP_REASONS.has(b.startupReason ?? '') &&
      b.bootId !== currentId &&
      ((b.completedAtMs === null && b.startedAtMs >= since) || (b.outcome === 'startup_failed' && (b.completedAtMs ?? 0) >= since)),
  ).length
  return {
    boots,
    lastStop: boots.find((b) => b.end !== 'running') ?? null,
    uncleanInWindow: counted,
    nearBreaker: counted >= BREAKER_UNCLEAN_BOOTS - 1,
  }
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const text = (v: unknown): string | null => (typeof v === 'string' ? v : null)

/** Pure: the reader's JSON output into rows; null when it is not that shape. */
export function parseBootRows(stdout: string): {rows: BootRow[]; error: string | null} | null {
  let doc: unknown
  try {
    doc = JSON.parse(stdout)
  } catch {
    return null
  }
  const d = doc as {rows?: unknown; error?: unknown}
  if (!d || typeof d !== 'object' || !Array.isArray(d.rows)) return null
  const rows: BootRow[] = []
  for (const r of d.rows as Array<Record<string, unknown>>) {
    const bootId = text(r?.boot_id)
    const pid = num(r?.pid)
    const startedAtMs = num(r?.started_at_ms)
    if (bootId === null || pid === null || startedAtMs === null) return null
    rows.push({
      bootId,
      pid,
      startedAtMs,
      completedAtMs: num(r.completed_at_ms),
      outcome: text(r.outcome),
      startupReason: text(r.startup_reason),
      reason: text(r.reason),
    })
  }
  return {rows, error: typeof d.error === 'string' ? d.error : null}
}

/** Read-only (a read transaction never blocks the gateway's writes); the newest rows first. */
const BOOTS_JS = `
const out = { rows: [] };
try {
  const db = new (require('node:sqlite').DatabaseSync)(process.argv[1], { readOnly: true });
  try { out.rows = db.prepare('SELECT boot_id, pid, started_at_ms, completed_at_ms, outcome, startup_reason, reason FROM gateway_boot_lifecycle ORDER BY started_at_ms DESC LIMIT ' + Number(process.argv[2])).all(); }
  catch (e) { if (!/no such table/.test(e.message)) out.error = e.message; }
  finally { db.close(); }
} catch (e) { out.error = e.message; }
process.stdout.write(JSON.stringify(out));
`

/**
 * The newest boot rows of a 2026.8+ gateway, read in its (running) container with the container's node. Never
 * throws: {rows: [], error} when they cannot be read (container stopped, no node:sqlite, no state db yet).
 */
export async function readBootRows(
  handle: DockerHandle,
  inst: Pick<Instance, 'stateDir'>,
  container: string,
  timeoutMs: number,
  limit = 10,
): Promise<{rows: BootRow[]; error: string | null}> {
  try {
    const r = await execIn(handle, container, ['node', '-e', BOOTS_JS, `${inst.stateDir}/state/openclaw.sqlite`, String(limit)], {timeoutMs})
    if (r.timedOut || r.exitCode !== 0)
      return {rows: [], error: `boot rows in ${container}: ${r.timedOut ? 'timed out' : `exit ${r.exitCode}`} ${(r.stderr || r.stdout).trim().slice(0, 200)}`}
    const parsed = parseBootRows(r.stdout)
    if (!parsed) return {rows: [], error: `boot rows in ${container}: unreadable output ${r.stdout.trim().slice(0, 200)}`}
    return {rows: parsed.rows, error: parsed.error ? `boot rows in ${container}: ${parsed.error}` : null}
  } catch (error) {
    return {rows: [], error: `boot rows in ${container}: ${(error as Error).message}`}
  }
}

/**
 * Pure: before a restart, what its boot history says an operator must hear: the unclean boots OpenClaw's crash-loop
 * breaker already counts, when one more would trip it (the next start would keep the channels down). null otherwise.
 */
export function breakerWarning(history: BootHistory): string | null {
  if (!history.nearBreaker) return null
  return `${history.uncleanInWindow} unclean boot(s) in OpenClaw's ${BREAKER_WINDOW_MS / 60_000} min crash-loop breaker window: one more unclean stop trips it (the next start keeps its channels down); fleet's stop drains, so it adds none unless the drain outlives restart.stopTimeout`
}

/**
 * Pure: how the stop of a restart ended, from the boot history read after it: the newest boot that began before the
 * restart is the one the restart stopped, whatever the history took for the running boot (read right after the
 * restart, the new gateway may not have written its row yet, and it often has the same pid). `unknown` when no such
 * row was read (older version, unreadable db).
 */
export function stopOutcome(history: BootHistory, restartStartedMs: number): {end: BootEnd | 'unknown'; detail: string} {
  const stopped = history.boots.find((b) => b.startedAtMs < restartStartedMs)
  if (!stopped) return {end: 'unknown', detail: 'no boot row of the stopped gateway was read'}
  const how = stopped.outcome
    ? `${stopped.outcome}${stopped.reason ? ` (${stopped.reason})` : ''}`
    : 'no completion recorded (killed before it could record its end)'
  return {end: bootEnd(stopped, false), detail: `the stopped boot ${stopped.bootId.slice(0, 8)}: ${how}`}
}

/** The boot rows read now into fleet's reading (the newest open row with the newest pid is the boot running now). */
async function bootHistoryNow(handle: DockerHandle, inst: Pick<Instance, 'stateDir'>, container: string, timeoutMs: number): Promise<BootHistory | null> {
  const read = await readBootRows(handle, inst, container, timeoutMs)
  if (read.error !== null && read.rows.length === 0) return null
  return readBootHistory(read.rows, {nowMs: Date.now(), runningPid: read.rows[0]?.completedAtMs === null ? read.rows[0].pid : null})
}

/** Before a restart of a 2026.8+ gateway: breakerWarning from its boot history now (null when none, or unreadable). */
export async function breakerWarningNow(handle: DockerHandle, inst: Pick<Instance, 'stateDir'>, container: string, timeoutMs: number): Promise<string | null> {
  const h = await bootHistoryNow(handle, inst, container, timeoutMs)
  return h ? breakerWarning(h) : null
}

/** After a restart of a 2026.8+ gateway: how its stop ended (stopOutcome), from the boot rows the new start reads. */
export async function stopOutcomeNow(
  handle: DockerHandle,
  inst: Pick<Instance, 'stateDir'>,
  container: string,
  restartStartedMs: number,
  timeoutMs: number,
): Promise<{end: BootEnd | 'unknown'; detail: string}> {
  const h = await bootHistoryNow(handle, inst, container, timeoutMs)
  return h ? stopOutcome(h, restartStartedMs) : {end: 'unknown', detail: 'the boot rows could not be read'}
}

/**
 * The heal steps for one instance, each a small function over the instance's state; the tree is in heal.ts.
 * Every change goes through an effects object (HealEffects): the live one changes things and records intent and
 * result in the incident log; the dry-run one (HealEffects.dry) records the intended action and changes nothing,
 * so a dry run is the run itself with its actions switched off.
 */
import {execa} from 'execa'
import {createWriteStream} from 'node:fs'
import {pipeline} from 'node:stream/promises'
import {copyFile, mkdir, rename, unlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import type {Fleet, Group, Instance} from '../config/model.js'
import {dockerFor, engineCall} from '../docker/client.js'
import {inspectContainer} from '../docker/discover.js'
import {removeViaDocker} from '../docker/remote-locks.js'
import {breakerWarningNow, restartGateway, stopOutcomeNow} from '../docker/restart-gateway.js'
import {gatewayRunsTurns} from '../openclaw/gateway-work.js'
import {continueProcess, endHolder, type SignalResult} from '../docker/signal.js'
import {waitHealthy, type WaitResult} from '../openclaw/wait-ready.js'
import {removeLockCarefully, type Expected, type RemoveResult} from '../locks/remove.js'
import {namesIn} from '../locks/scan.js'
import {errorMessage} from '../errors.js'
import {IncidentLog} from '../incidents/log.js'
import {lockRecord} from '../observe/lock-reports.js'
import type {HolderSignal} from '../decide/heal-plan.js'
import type {LockReport} from '../observe/observe.js'
import {isStopped} from '../locks/judge.js'

export interface ActionRecord {
  at: string
  /** ping: only in a dry run's plan (a real run's ping is its result, not an action). */
  type: 'delete-lock' | 'end-holder' | 'continue' | 'restart' | 'backup' | 'wait' | 'ping' | 'start-channels' | 'start-cure'
  target: string
  /** `planned` in a dry run: the action the run would take here. */
  outcome: string
  detail?: string
  durationMs?: number
  /** Dry run: the condition the action depends on (what a ping answers, what a holder leaves behind); absent when certain. */
  if?: string
}

/** A log that keeps nothing: a dry run's (it changes nothing, so it leaves no incident). */
class NoIncidentLog extends IncidentLog {
  constructor() {
    super('', 'dry-run')
  }
  override write(): void {}
  override materialise(): void {}
}

/**
 * Where heal's effects go. Live: every change has its intent in the incident log before it starts and its result
 * after. Dry run: each change is recorded as `planned` (with the condition it depends on, if any) and nothing is
 * changed, nothing waited for, no incident written; the caller gets the spec's `planned` value back.
 */
export class HealEffects {
  constructor(
    readonly log: IncidentLog,
    readonly dryRun = false,
  ) {}

  /** The dry run's recorder. */
  static dry(): HealEffects {
    return new HealEffects(new NoIncidentLog(), true)
  }

  /** One change (see act). */
  act<T>(inst: Instance, actions: ActionRecord[], a: ActSpec<T>): Promise<T> {
    if (!this.dryRun) return act(this.log, inst, actions, a)
    actions.push(planned(a.type, a.target, a.if, a.plannedDetail))
    return Promise.resolve(a.planned)
  }

  /** A step that changes nothing but is part of what the run does (a wait, a ping): recorded as planned in a dry run. */
  plan(actions: ActionRecord[], type: ActionRecord['type'], target: string, condition?: string, detail?: string): void {
    if (this.dryRun) actions.push(planned(type, target, condition, detail))
  }
}

function planned(type: ActionRecord['type'], target: string, condition?: string, detail?: string): ActionRecord {
  return {at: new Date().toISOString(), type, target, outcome: 'planned', ...(detail ? {detail} : {}), ...(condition ? {if: condition} : {})}
}

export function record(log: IncidentLog, inst: Instance, actions: ActionRecord[], a: Omit<ActionRecord, 'at'>): ActionRecord {
  const full = {at: new Date().toISOString(), ...a}
  actions.push(full)
  log.write('action', {instance: inst.name, ...full})
  return full
}

/** One action: what it is and on what, more fields for its intent, the change itself, and its result record. */
export interface ActSpec<T> {
  type: ActionRecord['type']
  target: string
  /** More of the intent record (path, pid, cmdline, verdict, reasons…). */
  intent?: Record<string, unknown>
  run: () => Promise<T>
  /** The result record of what run returned (type and target are the spec's). */
  result: (r: T) => {outcome: string; detail?: string; durationMs?: number; target?: string}
  /** Dry run: what the caller gets instead of run's result (nothing ran). */
  planned: T
  /** Dry run: the planned record's detail. */
  plannedDetail?: string
  /** Dry run: the condition the action depends on. */
  if?: string
}

/**
 * Every change heal or watch makes goes through here: its intent is on disk before it starts, its result after,
 * whatever happens: an error (the engine gone mid-call) is recorded as outcome `failed` with the message, then
 * rethrown. A run stopped by a signal finishes the action in flight, so no intent is left without its result.
 */
export async function act<T>(log: IncidentLog, inst: Instance, actions: ActionRecord[], a: ActSpec<T>): Promise<T> {
  log.write('intent', {instance: inst.name, action: a.type, target: a.target, ...a.intent})
  const started = Date.now()
  let r: T
  try {
    r = await a.run()
  } catch (error) {
    record(log, inst, actions, {type: a.type, target: a.target, outcome: 'failed', detail: errorMessage(error), durationMs: Date.now() - started})
    throw error
  }
  const out = a.result(r)
  record(log, inst, actions, {type: a.type, target: a.target, ...out})
  return r
}

/** Records a lock as judged (path, verbatim content, mtime, verdict, reasons, evidence) before anything touches it. */
export function logLock(log: IncidentLog, instance: string, l: LockReport): void {
  log.write('lock', lockRecord(instance, l))
}

export async function deleteLock(fx: HealEffects, inst: Instance, lock: LockReport, actions: ActionRecord[], condition?: string): Promise<RemoveResult> {
  const expected = {raw: lock.raw, mtimeMs: Date.parse(lock.mtime), size: lock.size}
  const log = fx.log
  return fx.act(inst, actions, {
    type: 'delete-lock',
    target: lock.path,
    intent: {path: lock.path, verdict: lock.verdict, reasons: lock.reasons},
    run: () =>
      inst.lockAccess === 'host' ? removeLockCarefully(lock.path, expected, log.locksDir(inst.name)) : removeThroughDocker(inst, lock, expected, log),
    result: (r) => ({outcome: r.outcome, detail: r.backup ? `copy: ${r.backup}` : r.detail}),
    planned: {outcome: 'planned' as RemoveResult['outcome']},
    plannedDetail: `${lock.verdict}: ${lock.reasons.join(', ')}`,
    if: condition,
  })
}

async function removeThroughDocker(inst: Instance, lock: LockReport, expected: Expected, log: IncidentLog): Promise<RemoveResult> {
  const handle = dockerFor(inst.docker)
  const c = await inspectContainer(handle, lock.evidence.container ?? inst.container)
  if (!c) return {outcome: 'gone', detail: 'the container is gone: nothing to remove the lock through'}
  const r = await removeViaDocker(handle, inst, c, lock.containerPath, expected, 60_000)
  if (r.outcome !== 'removed' || r.content === undefined) return r
  await mkdir(log.locksDir(inst.name), {recursive: true})
  const backup = path.join(log.locksDir(inst.name), path.basename(lock.containerPath))
  await writeFile(backup, r.content)
  return {outcome: 'removed', backup}
}

/** How an end-holder action names its process (the intent, the result, and what is left undone). */
export function holderTarget(sig: Pick<HolderSignal, 'pid' | 'cmdline'>): string {
  return `pid ${sig.pid} (${sig.cmdline})`
}

/** Ends an orphan holder; if it died without releasing (SIGKILL), its lock is now provably stale and is removed. */
export async function endOrphan(fleet: Fleet, fx: HealEffects, inst: Instance, container: string, sig: HolderSignal, actions: ActionRecord[]): Promise<void> {
  const r = await fx.act(inst, actions, {
    type: 'end-holder',
    target: holderTarget(sig),
    intent: {pid: sig.pid, cmdline: sig.cmdline, lock: sig.lock.path},
    run: () => endHolder(dockerFor(inst.docker), container, sig.pid, sig.starttime, fleet.heal.termGraceMs),
    result: (x) => ({outcome: x.outcome, detail: x.detail, durationMs: x.durationMs}),
    planned: {outcome: 'planned' as SignalResult['outcome'], durationMs: 0},
    plannedDetail: `of ${sig.lock.path}: SIGTERM, then SIGKILL after ${fleet.heal.termGraceMs} ms`,
  })
  // A lock file left behind by a killed holder is now provably stale; an SQLite write lock ended with its process.
  const ended = r.outcome === 'killed' || r.outcome === 'terminated' || fx.dryRun
  if (ended && sig.lock.kind !== 'sqlite-writer') await deleteLock(fx, inst, sig.lock, actions, 'if its holder, once ended, left it behind')
}

/**
 * A heal killed between the rename and the end of a careful removal leaves `<lock>.fleet-removing-*` side
 * files (never locks: OpenClaw ignores them). They are moved into this run's incident dir.
 */
export async function sweepSideFiles(fx: HealEffects, inst: Instance, actions: ActionRecord[]): Promise<number> {
  const log = fx.log
  let moved = 0
  if (inst.lockAccess !== 'host') return 0
  for (const s of inst.sessions) {
    const names = await namesIn(s.hostDir, (n) => n.includes('.fleet-removing-')).catch(() => [] as string[])
    for (const name of names) {
      const from = path.join(s.hostDir, name)
      const to = fx.dryRun ? '' : path.join(log.locksDir(inst.name), name)
      await fx.act(inst, actions, {
        type: 'delete-lock',
        target: from,
        intent: {path: from, reason: 'side file of an interrupted fleet run'},
        run: async () => {
          await mkdir(path.dirname(to), {recursive: true})
          await rename(from, to).catch(async () => {
            await copyFile(from, to)
            await unlink(from)
          })
        },
        result: () => ({outcome: 'side-file-moved', detail: `left by an interrupted fleet run; now ${to}`}),
        planned: undefined,
        plannedDetail: 'side file of an interrupted fleet run: moved to the incident dir',
      })
      moved++
    }
  }
  return moved
}

export async function backupSessions(fx: HealEffects, inst: Instance, container: string, actions: ActionRecord[]): Promise<void> {
  const log = fx.log
  if (!fx.dryRun) await mkdir(log.backupsDir(), {recursive: true})
  for (const s of inst.sessions) {
    const viaDocker = inst.lockAccess !== 'host'
    const file = fx.dryRun ? '' : path.join(log.backupsDir(), `${inst.name}-${s.agent}-sessions.tar${viaDocker ? '' : '.gz'}`)
    const started = Date.now()
    const error = await fx.act(inst, actions, {
      type: 'backup',
      target: viaDocker ? `${container}:${s.containerDir}` : s.hostDir,
      intent: {file},
      run: async (): Promise<string | null> => {
        if (!viaDocker) {
          const r = await execa('tar', ['-czf', file, '-C', s.hostDir, '.'], {reject: false, timeout: 600_000})
          return r.exitCode === 0 ? null : r.stderr.slice(-300)
        }
        // The sessions dir is on the Docker host, not here: the engine archives it (docker cp).
        try {
          const handle = dockerFor(inst.docker)
          const stream = await engineCall(
            handle,
            `archive of ${container}:${s.containerDir}`,
            () => handle.docker.getContainer(container).getArchive({path: s.containerDir}),
            600_000,
          )
          await pipeline(stream, createWriteStream(file))
          return null
        } catch (e) {
          return (e as Error).message
        }
      },
      result: (e) => ({outcome: e ? 'failed' : 'written', detail: e ?? file, durationMs: Date.now() - started}),
      planned: null,
      plannedDetail: 'archived into the incident dir',
    })
    if (error) throw new Error(`backup of ${s.hostDir} failed: ${error}`)
  }
}

/** Restarts the instance's compose service (or the whole group), or the container through the API when it has no group. */
/** A gateway a restart stops: its instance (for its state dir), its container, its OpenClaw version (null: unknown). */
export interface StoppedGateway {
  instance: Pick<Instance, 'name' | 'stateDir'>
  container: string
  version: string | null
}

/**
 * Before a restart: lock holders seen stopped (state T, e.g. SIGSTOPped) are resumed, so the restart's SIGTERM
 * reaches them at once and they shut down cleanly (releasing their locks, flushing their sessions) instead of
 * being SIGKILLed at compose's stop timeout. Only the same process (starttime) is touched.
 */
export async function resumeStopped(
  fleet: Fleet,
  fx: HealEffects,
  inst: Instance,
  locks: LockReport[],
  container: string,
  actions: ActionRecord[],
  condition?: string,
): Promise<number> {
  const stopped = new Map<number, number | null>()
  for (const l of locks) {
    const p = l.evidence.process
    if (l.evidence.containerRunning && p?.exists && isStopped(p)) stopped.set(p.pid, p.starttime ?? null)
  }
  let resumed = 0
  for (const [pid, starttime] of stopped) {
    const r = await fx.act(inst, actions, {
      type: 'continue',
      target: `pid ${pid}`,
      intent: {pid, reason: 'stopped lock holder, before its restart'},
      run: () => continueProcess(dockerFor(inst.docker), container, pid, starttime, fleet.locks.probeTimeoutMs),
      result: (x) => ({outcome: x.outcome, detail: x.detail, durationMs: x.durationMs}),
      planned: {outcome: 'planned' as SignalResult['outcome'], durationMs: 0},
      plannedDetail: 'stopped lock holder: SIGCONT before its restart',
      if: condition,
    })
    if (r.outcome === 'continued') resumed++
  }
  return resumed
}

export async function restartInstance(
  fleet: Fleet,
  fx: HealEffects,
  inst: Instance,
  group: Group | undefined,
  target: {project?: string; services: string[]; container: string},
  actions: ActionRecord[],
  condition?: string,
  version: string | null = null,
  stops: readonly StoppedGateway[] = [{instance: inst, container: target.container, version}],
): Promise<void> {
  const what = group ? `${group.name}: ${target.services.length > 0 ? target.services.join(' ') : 'whole group'}` : target.container
  const handle = dockerFor(inst.docker)
  // 2026.8+: OpenClaw's own boot history says how near its crash-loop breaker the gateway is (said before the restart)
  // and how the stop ended (clean_stop, or killed): both go into the restart's detail and the incident log.
  // A group restart stops every member: each 2026.8+ member's history is read (`stops`), not only this instance's.
  const booted = fx.dryRun ? [] : stops.filter((g) => g.version !== null && gatewayRunsTurns(g.version))
  const bootTimeoutMs = Math.max(30_000, fleet.locks.probeTimeoutMs)
  // The stop gets the gateway's drain budget (restart.stopTimeout, 330 s: OpenClaw 2026.9 drains in-flight turns on
  // SIGTERM for up to 315 s; Docker's default 10 s SIGKILLed a draining gateway and its user's turn).
  const r = await fx.act(inst, actions, {
    type: 'restart',
    target: what,
    run: async () => {
      const named = (g: StoppedGateway, text: string) => (stops.length > 1 ? `${g.instance.name}: ${text}` : text)
      const warnings: string[] = []
      for (const g of booted) {
        const warning = await breakerWarningNow(handle, g.instance, g.container, bootTimeoutMs)
        if (warning) fx.log.write('breaker-warning', {instance: g.instance.name, container: g.container, warning})
        if (warning) warnings.push(named(g, warning))
      }
      const startedMs = Date.now()
      const run = await restartGateway(fleet, handle, group, target)
      const stopsSeen: string[] = []
      for (const g of run.exitCode === 0 ? booted : []) {
        const stop = await stopOutcomeNow(handle, g.instance, g.container, startedMs, bootTimeoutMs)
        fx.log.write('stop-outcome', {instance: g.instance.name, container: g.container, clean: stop.end === 'clean', ...stop})
        stopsSeen.push(named(g, `stop ${stop.end}: ${stop.detail}`))
      }
      return {...run, warnings, stops: stopsSeen}
    },
    result: (x) => ({
      outcome: x.exitCode === 0 ? 'done' : 'failed',
      detail: [x.detail, ...x.stops, ...x.warnings.map((w) => `warning: ${w}`)].join('; '),
      durationMs: x.durationMs,
    }),
    planned: {detail: what, exitCode: 0, stderr: '', durationMs: 0, warnings: [], stops: []},
    if: condition,
  })
  if (r.exitCode !== 0) throw new Error(`${r.detail} exited ${r.exitCode}: ${r.stderr.trim().slice(-400)}`)
}

/** Waits until the gateway is ready (changes nothing, so no intent); a signal (abort) ends the wait early: outcome `interrupted`. */
export async function waitUp(
  fleet: Fleet,
  fx: HealEffects,
  inst: Instance,
  container: string,
  sinceMs: number,
  timeoutMs: number,
  actions: ActionRecord[],
  abort?: AbortSignal,
  condition?: string,
): Promise<WaitResult> {
  const log = fx.log
  if (fx.dryRun) {
    fx.plan(actions, 'wait', container, condition, 'until the gateway is ready')
    return {ok: true, info: null, waitedMs: 0, detail: 'planned'}
  }
  const r = await waitHealthy(dockerFor(inst.docker), container, timeoutMs, {startedAfterMs: sinceMs - 1000, signal: abort})
  const outcome = r.ok ? 'healthy' : r.aborted || abort?.aborted ? 'interrupted' : 'timeout'
  record(log, inst, actions, {type: 'wait', target: container, outcome, detail: r.detail, durationMs: r.waitedMs})
  return r
}

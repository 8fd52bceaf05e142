/**
 * `fleet heal` as one backend call: the command turns its flags into a HealRequest (healRequest, pure) and hands it
 * here with the two things only a terminal can do (warn, ask). This takes the run locks, judges and plans, runs the
 * heal (or the same run with its effects off for --dry-run), and answers the document and its exit code. It prints
 * nothing itself; the command renders the document (report/heal.ts).
 */
import {EXIT, UsageError} from '../errors.js'
import type {Fleet, Instance} from '../config/model.js'
import type {RestartPolicy} from '../decide/heal-plan.js'
import {noProgress, type ProgressSink} from '../progress-events.js'
import {acquireRunLocks, runLockPlace} from '../runs/run-lock.js'
import {healDocument, planDocument, type HealDocument} from './document.js'
import {RunInterrupt, signalExitCode} from '../runs/interrupt.js'
import {judgeAndPlan, runHeal} from './run-heal.js'
import {assertPreflight} from './preflight.js'
import type {VerifySettings} from './verify.js'

/** Everything a heal is asked to do: one value, made from the flags by healRequest. */
export interface HealRequest {
  /** The instances heal works on (with --restart group: the selected ones and the other members of their groups). */
  instances: Instance[]
  dryRun: boolean
  force: boolean
  tidy: boolean
  restart: RestartPolicy
  rolling: boolean
  probe: boolean
  backup: boolean
  concurrency: number
  waitTimeoutMs: number
  verify?: VerifySettings
}

/** The flags of `fleet heal` the request depends on (parsed durations in ms). */
export interface HealFlags {
  dryRun: boolean
  force: boolean
  tidy: boolean
  restart?: string
  noRestart: boolean
  rolling: boolean
  probe: boolean
  backup: boolean
  concurrency?: number
  waitTimeoutMs?: number
  verifyMs?: number
  verifyTurns?: number
}

/** Pure: the flags that contradict each other, a UsageError (exit 2); judged before the config is even read. */
export function checkHealFlags(f: Pick<HealFlags, 'restart' | 'noRestart' | 'verifyMs' | 'verifyTurns'>): void {
  if (f.noRestart && f.restart !== undefined) throw new UsageError(`--restart ${f.restart} and --no-restart contradict each other`, 'pass one of them')
  if (f.verifyTurns !== undefined && f.verifyMs === undefined)
    throw new UsageError('--verify-turns needs --verify <duration>', 'e.g. --verify 30m --verify-turns 10')
}

/**
 * Pure: the heal request from the selection and the flags, or a UsageError (exit 2, nothing changed). --restart group
 * restarts the selected instances' whole groups: their other members are restarted too, so they are healed with them
 * (judged, in the plan and the table, waited for and pinged).
 */
export function healRequest(fleet: Fleet, selected: readonly Instance[], f: HealFlags): HealRequest {
  checkHealFlags(f)
  const restart: RestartPolicy = f.noRestart ? 'never' : ((f.restart ?? 'needed') as RestartPolicy)
  const instances =
    restart === 'group'
      ? fleet.instances.filter((i) => selected.includes(i) || (i.group !== undefined && selected.some((s) => s.group === i.group)))
      : [...selected]
  return {
    instances,
    dryRun: f.dryRun,
    force: f.force,
    tidy: f.tidy,
    restart,
    rolling: f.rolling,
    probe: f.probe,
    backup: f.backup,
    concurrency: f.concurrency ?? fleet.heal.concurrency,
    waitTimeoutMs: f.waitTimeoutMs ?? fleet.heal.waitTimeoutMs,
    verify: f.verifyMs === undefined ? undefined : {durationMs: f.verifyMs, turns: f.verifyTurns ?? 10},
  }
}

/** What only the terminal can do for a heal: say a warning, ask before --force deletes live locks, show the progress. */
export interface HealIO {
  warn(message: string): void
  /** Where the probe and the heal report their steps (the command's progress view): the backend makes no UI choice. */
  progress: ProgressSink
  /** Whether the operator confirms deleting these live or unknown locks (throws a UsageError when none can be asked). */
  confirmForce(what: string[]): Promise<boolean>
}

export interface HealOutcome {
  doc: HealDocument
  /** False when a signal ended the heal while it judged: nothing was planned or done, there is no table to show. */
  judged: boolean
  /** The process exit code: 0 healed, 1 not, 3 an engine unreachable, 130/143 interrupted by a signal. */
  exitCode: number
}

/** Pure: the exit code of a heal from its document and whether an instance was unreachable when judged. */
export function healExitCode(doc: HealDocument, unreachableSeen: boolean): number {
  if (doc.interrupted) return signalExitCode(doc.interrupted)
  if (doc.unreachable || unreachableSeen) return EXIT.unreachable
  return doc.dryRun ? (doc.summary.failed > 0 ? EXIT.unhealthy : EXIT.ok) : doc.ok ? EXIT.ok : EXIT.unhealthy
}

/** Runs `fleet heal` (or its dry run) for a request: preflight, run locks, judge and plan, the run, its document. */
export async function healFleet(fleet: Fleet, req: HealRequest, io: HealIO): Promise<HealOutcome> {
  const started = Date.now()
  const {instances} = req
  // Before the run lock and before anything is observed or changed (with --dry-run too: its plan would not run).
  assertPreflight(fleet, instances, {
    mayRestart: req.restart !== 'never',
    command: `fleet heal${req.dryRun ? ' --dry-run' : ''}`,
    withoutRestart: '--no-restart to heal without restarts',
  })
  const opts = {force: req.force, tidy: req.tidy, restart: req.restart, probe: req.probe}
  // One run lock per instance acted on (Docker endpoint + container), whatever config names it; --dry-run changes nothing and takes none.
  // In a place every fleet on the host meets (whatever its XDG_STATE_HOME); said when it must fall back to this user's.
  const place = runLockPlace()
  if (place.note && !req.dryRun) io.warn(`warning: ${place.note}`)
  const lock = req.dryRun ? null : await acquireRunLocks(place.dir, instances, {command: 'heal', config: fleet.file})
  const interrupt = new RunInterrupt().install()
  interrupt.lockPaths = lock?.paths ?? []
  try {
    const {statuses, plans, probeFailed, probes} = await judgeAndPlan(fleet, instances, {...opts, progress: io.progress})
    const unreachableSeen = statuses.some((x) => x.state === 'unreachable')
    if (interrupt.reason) {
      io.warn(`heal interrupted by ${interrupt.reason} while judging: nothing was changed`)
      const doc = planDocument(
        {results: [], statuses: [{ok: false}], stop: {interrupted: interrupt.reason, unreachable: null}},
        [],
        req.force,
        Date.now() - started,
      )
      return {doc: {...doc, dryRun: req.dryRun}, judged: false, exitCode: signalExitCode(interrupt.reason)}
    }
    const conflicts = statuses
      .filter((s) => s.sharedWith.length > 0)
      .map((s) => `${s.name} (${s.container}): its sessions dir is also mounted by ${s.sharedWith.join(', ')}; nothing there was touched`)
    const settings = {
      ...opts,
      backup: req.backup,
      rolling: req.rolling,
      concurrency: req.concurrency,
      waitTimeoutMs: req.waitTimeoutMs,
      verify: req.verify,
      interrupt,
      probes,
    }
    if (req.dryRun) {
      // The run itself with its effects switched off: each change, wait and ping it would make is recorded as planned.
      // Its exit is the run's as far as the plan knows it (1: an instance it will not heal whatever its pings answer).
      // Its steps are its plan, which the document shows (report/heal.ts renderPlan): they are not progress.
      const doc = planDocument(
        await runHeal(fleet, instances, statuses, plans, probeFailed, {...settings, dryRun: true, progress: noProgress}),
        conflicts,
        req.force,
        Date.now() - started,
      )
      return {doc, judged: true, exitCode: healExitCode(doc, unreachableSeen)}
    }
    const forced = plans.flatMap((p) => p.deletes.filter((l) => l.verdict === 'live' || l.verdict === 'unknown'))
    if (forced.length > 0 && !(await io.confirmForce(forced.map((l) => `${l.path} (${l.verdict})`)))) {
      throw new UsageError('not confirmed: nothing was changed', 'pass --yes to delete live locks without the question')
    }
    const run = await runHeal(fleet, instances, statuses, plans, probeFailed, {...settings, progress: io.progress})
    const doc = healDocument(run, conflicts, req.force, Date.now() - started)
    // A signal wins: the exit code says the run was interrupted (130 SIGINT, 143 SIGTERM), as a shell would.
    return {doc, judged: true, exitCode: healExitCode(doc, unreachableSeen)}
  } finally {
    interrupt.dispose()
    await lock?.release()
  }
}

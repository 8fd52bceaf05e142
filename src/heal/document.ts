/** The document of `fleet heal` (its --json, and what the table renders): built from the run's results in one place. */
import {actionCounts, type InstanceHeal, type RunStop} from './heal.js'
import type {VerifyResult} from './verify.js'

export interface HealDocument {
  runId: string | null
  dryRun: boolean
  incidentLog: string | null
  instances: InstanceHeal[]
  summary: {instances: number; healed: number; failed: number; restarted: number; locksRemoved: number; holdersEnded: number; conflicts: string[]}
  /** --verify: whether recovery held (test turns over a duration, no new lock error); null without it. */
  verify: {ok: boolean; results: VerifyResult[]} | null
  /** The signal that interrupted the run (SIGINT, SIGTERM), or null; the step in flight finished, nothing after it started. */
  interrupted: string | null
  /** The engine error that cut the run short (exit 3), or null. */
  unreachable: string | null
  durationMs: number
  ok: boolean
}

/**
 * The dry run's document: the run's own results with every action `planned`. ok is what is observed (false when an
 * instance is not ok now); summary.failed counts the instances the run will not heal whatever their pings answer.
 */
export function planDocument(
  run: {results: InstanceHeal[]; statuses: {ok: boolean}[]; stop?: RunStop},
  conflicts: string[],
  force: boolean,
  durationMs: number,
): HealDocument {
  const r = run.results
  return {
    runId: null,
    dryRun: true,
    incidentLog: null,
    instances: r,
    summary: {instances: r.length, healed: 0, failed: r.filter((x) => x.certainFailure).length, restarted: 0, locksRemoved: 0, holdersEnded: 0, conflicts},
    verify: null,
    interrupted: run.stop?.interrupted ?? null,
    unreachable: run.stop?.unreachable ?? null,
    durationMs,
    ok: run.statuses.every((s) => s.ok) && (conflicts.length === 0 || force),
  }
}

/** The heal document (--json) from the run's results: one place that counts, for the table and the summary alike. */
export function healDocument(
  run: {runId: string; incidentLog: string | null; results: InstanceHeal[]; verify?: VerifyResult[] | null; stop?: RunStop},
  conflicts: string[],
  force: boolean,
  durationMs: number,
): HealDocument {
  const r = run.results
  const verify = run.verify ? {ok: run.verify.every((v) => v.ok), results: run.verify} : null
  return {
    runId: run.runId,
    dryRun: false,
    incidentLog: run.incidentLog,
    instances: r,
    summary: {
      instances: r.length,
      healed: r.filter((x) => x.healed).length,
      failed: r.filter((x) => !x.healed).length,
      restarted: r.filter((x) => x.restarted).length,
      locksRemoved: r.reduce((n, x) => n + actionCounts(x.actions).locksRemoved, 0),
      holdersEnded: r.reduce((n, x) => n + actionCounts(x.actions).holdersEnded, 0),
      conflicts,
    },
    verify,
    interrupted: run.stop?.interrupted ?? null,
    unreachable: run.stop?.unreachable ?? null,
    durationMs,
    ok: r.every((x) => x.healed) && (conflicts.length === 0 || force) && (verify?.ok ?? true) && !run.stop?.interrupted && !run.stop?.unreachable,
  }
}

/** Rendering of `fleet heal`: the dry-run plan, the per-instance outcome, and the JSON document. */
import {CURABLE_BY_RESTART} from '../runbook/restart-decision.js'
import {formatDuration} from '../config/duration.js'
import {actionCounts, whyNotHealed, type InstanceHeal, type PlanSummary, type RunStop} from '../runbook/heal.js'
import {printable} from '../util/escape.js'
import type {VerifyResult} from '../runbook/verify.js'
import {table} from './table.js'

export interface HealDocument {
  runId: string | null
  dryRun: boolean
  incidentLog: string | null
  instances: InstanceHeal[] | PlannedInstance[]
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

export interface PlannedInstance {
  id: number
  name: string
  container: string
  state: string
  plan: PlanSummary
}

/** Every line is free text holding lock paths, cmdlines and container names: each goes through printable(). */
export function renderPlan(items: PlannedInstance[]): string {
  const lines = ['DRY RUN: nothing will be changed. Plan:']
  for (const p of items) {
    const acts = [
      ...p.plan.deleteLocks.map((d) => `  delete lock ${d.path} (${d.verdict}: ${d.reasons.join(', ')})`),
      ...p.plan.endHolders.map((h) => `  end holder pid ${h.pid} (${h.cmdline}) of ${h.lock}: SIGTERM, then SIGKILL`),
      ...p.plan.untouched.map((u) => `  leave ${u.path}: ${u.why}`),
      ...(p.plan.restart ? [`  restart ${p.container} (${p.plan.restart})`] : []),
      ...(p.plan.restartIfPingFails
        ? [`  ping; restart ${p.container} only if the ping then fails in a way a restart cures (${[...CURABLE_BY_RESTART].join(', ')}) and no live turn holds a lock`]
        : []),
    ]
    lines.push(`${p.name} (${p.container}, ${p.state}):`, ...(acts.length > 0 ? acts : ['  nothing to do']))
  }
  return lines.map(printable).join('\n')
}

const removed = (r: InstanceHeal) => actionCounts(r.actions).locksRemoved
const ended = (r: InstanceHeal) => actionCounts(r.actions).holdersEnded

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
      locksRemoved: r.reduce((n, x) => n + removed(x), 0),
      holdersEnded: r.reduce((n, x) => n + ended(x), 0),
      conflicts,
    },
    verify,
    interrupted: run.stop?.interrupted ?? null,
    unreachable: run.stop?.unreachable ?? null,
    durationMs,
    ok: r.every((x) => x.healed) && (conflicts.length === 0 || force) && (verify?.ok ?? true) && !run.stop?.interrupted && !run.stop?.unreachable,
  }
}

export function renderHeal(doc: HealDocument): string {
  const rows = (doc.instances as InstanceHeal[]).map((r) => [
    r.name,
    r.before.worst ?? 'no locks',
    removed(r),
    ended(r),
    r.restarted ? 'yes' : 'no',
    r.ping ? (r.ping.ok ? `${r.ping.reply} ${formatDuration(r.ping.latencyMs ?? 0)}` : `FAIL ${r.ping.failure}`) : '-',
    whyNotHealed(r),
  ])
  const s = doc.summary
  const out = [table(['INSTANCE', 'BEFORE', 'LOCKS REMOVED', 'HOLDERS ENDED', 'RESTARTED', 'PING', 'NOTES'], rows)]
  if (s.conflicts.length > 0) out.push('', ...s.conflicts.map((c) => `conflict: ${printable(c)}`))
  out.push('', `heal: ${s.healed}/${s.instances} answer; ${s.locksRemoved} lock(s) removed, ${s.holdersEnded} holder(s) ended, ${s.restarted} restarted; ${formatDuration(doc.durationMs)}`)
  for (const v of doc.verify?.results ?? [])
    out.push(
      `${v.instance}: verify ${v.ok ? 'held' : 'FAILED'}: ${printable(v.why)} (${formatDuration(v.durationMs)}; ${v.sessions.length} session(s) of its own${v.removed.length > 0 ? `, ${v.removed.length} removed` : ''}${v.removeNote ? `: ${printable(v.removeNote)}` : ''})`,
    )
  if (doc.verify) out.push(`verify: ${doc.verify.ok ? 'recovery held' : 'recovery did NOT hold'} on ${doc.verify.results.filter((v) => v.ok).length}/${doc.verify.results.length}`)
  out.push(...stoppedShort(doc))
  // No incident dir when nothing was changed (only judged and pinged): say so rather than name a file that is not there.
  out.push(doc.incidentLog ? `incident log: ${printable(doc.incidentLog)}` : 'incident log: none (nothing was changed)')
  return out.join('\n')
}

/** An interrupted run, or one the engine left: what was done and what was not, per instance. */
function stoppedShort(doc: HealDocument): string[] {
  if (!doc.interrupted && !doc.unreachable) return []
  const out = [
    doc.interrupted
      ? `heal INTERRUPTED by ${doc.interrupted}: the step in flight was finished, nothing after it was started`
      : `heal cut short: Docker unreachable: ${printable(doc.unreachable ?? '')}`,
  ]
  for (const r of doc.instances as InstanceHeal[]) {
    const done = r.actions.filter((a) => a.type !== 'wait').map((a) => `${a.type} ${a.target}: ${a.outcome}`)
    out.push(`${r.name}: done: ${done.length > 0 ? done.map(printable).join('; ') : 'nothing'}`)
    if (r.notDone.length > 0) out.push(`${r.name}: not done: ${r.notDone.map(printable).join('; ')}`)
  }
  return out
}

/** Rendering of `fleet heal`: the dry-run plan, the per-instance outcome, and the JSON document. */
import {formatDuration} from '../config/duration.js'
import {actionCounts, whyNotHealed, type InstanceHeal} from '../heal/heal.js'
import {printable} from '../util/escape.js'
import type {HealDocument} from '../heal/document.js'
import {table} from './table.js'
import {describeConfigChanges} from '../openclaw/config-changes.js'

/** What a dry run records of one planned action, as a line of the plan. */
function plannedLine(a: InstanceHeal['actions'][number], r: InstanceHeal): string {
  const detail = a.detail ? ` (${a.detail})` : ''
  const line =
    a.type === 'delete-lock'
      ? `delete lock ${a.target}${detail}`
      : a.type === 'end-holder'
        ? `end holder ${a.target}${a.detail ? ` ${a.detail}` : ''}`
        : a.type === 'continue'
          ? `resume ${a.target}${detail}`
          : a.type === 'restart'
            ? `restart ${a.target}${a.detail ? detail : r.plan.restart ? ` (${r.plan.restart})` : ''}`
            : a.type === 'wait'
              ? `wait until ${a.target} is ready`
              : a.type === 'ping'
                ? `ping ${a.target}${detail}`
                : a.type === 'start-cure'
                  ? `cure the start of ${a.target} with openclaw doctor --fix${detail}`
                  : `${a.type} ${a.target}${detail}`
  return line
}

/** The planned actions, those that depend on something the run only learns under a line that says what, once. */
function plannedLines(r: InstanceHeal): string[] {
  const out: string[] = []
  let cond: string | undefined
  for (const a of r.actions) {
    if (a.if !== cond && a.if) out.push(`  then, ${a.if}:`)
    cond = a.if
    out.push(`${cond ? '    ' : '  '}${plannedLine(a, r)}`)
  }
  return out
}

/** The dry run's plan: per instance the actions the run recorded as planned, in their order. Free text goes through printable(). */
export function renderPlan(items: InstanceHeal[]): string {
  const lines = ['DRY RUN: nothing will be changed. Plan:']
  for (const r of items) {
    const refused = r.steps.find((x) => x.status !== 'done' && (x.step === 'judge' || x.step === 'conflict'))
    const acts = [
      ...r.plan.untouched.map((u) => `  leave ${u.path}: ${u.why}`),
      ...(refused ? [`  nothing done: ${refused.detail ?? ''}`] : plannedLines(r)),
      ...(r.certainFailure && !refused ? [`  will not be healed: ${r.certainFailure}`] : []),
    ]
    lines.push(`${r.name} (${r.container}, ${r.before.state}):`, ...(acts.length > 0 ? acts : ['  nothing to do']))
  }
  return lines.map(printable).join('\n')
}

const removed = (r: InstanceHeal) => actionCounts(r.actions).locksRemoved
const ended = (r: InstanceHeal) => actionCounts(r.actions).holdersEnded

export function renderHeal(doc: HealDocument): string {
  const rows = doc.instances.map((r) => [
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
  // What doctor --fix changed in a user's config is the operator's to know: each setting, once.
  for (const r of doc.instances) {
    const changed = r.startCure?.configChanged ?? []
    if (changed.length > 0)
      out.push(
        '',
        `${r.name}: openclaw doctor --fix CHANGED its openclaw.json: ${printable(describeConfigChanges({compared: true, changes: changed, onlyMeta: false, note: null}).replace(/^openclaw.json CHANGED by doctor --fix: /, ''))}`,
      )
  }
  out.push(
    '',
    `heal: ${s.healed}/${s.instances} answer; ${s.locksRemoved} lock(s) removed, ${s.holdersEnded} holder(s) ended, ${s.restarted} restarted; ${formatDuration(doc.durationMs)}`,
  )
  for (const v of doc.verify?.results ?? [])
    out.push(
      `${v.instance}: verify ${v.ok ? 'held' : 'FAILED'}: ${printable(v.why)} (${formatDuration(v.durationMs)}; ${v.sessions.length} session(s) of its own${v.removed.length > 0 ? `, ${v.removed.length} removed` : ''}${v.removeNote ? `: ${printable(v.removeNote)}` : ''})`,
    )
  if (doc.verify)
    out.push(
      `verify: ${doc.verify.ok ? 'recovery held' : 'recovery did NOT hold'} on ${doc.verify.results.filter((v) => v.ok).length}/${doc.verify.results.length}`,
    )
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

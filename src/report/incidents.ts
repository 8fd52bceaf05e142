/**
 * Rendering of `fleet incidents`: the list, one run's log as a timeline, and the post-incident report in
 * Markdown. Every value read from the log goes through printable() (it holds paths, cmdlines, engine text).
 */
import {formatDuration} from '../config/duration.js'
import type {IncidentReport} from '../incidents/document.js'
import type {IncidentList, IncidentShow} from '../incidents/store.js'
import {CAUSE_TEXT} from '../incidents/cause.js'
import {printable} from '../util/escape.js'
import {table} from './table.js'

const dur = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : formatDuration(ms))

export function renderList(doc: IncidentList): string {
  if (doc.runs.length === 0) return `no incidents in ${printable(doc.dir)}`
  const rows = doc.runs.map((r) => [
    r.run,
    r.startedAt,
    r.kind,
    r.instances.join(',') || '-',
    r.cause,
    r.locksRemoved,
    r.holdersEnded,
    r.restarts,
    healedCell(r),
  ])
  return [
    table(['RUN', 'STARTED', 'KIND', 'INSTANCES', 'CAUSE', 'LOCKS REMOVED', 'HOLDERS ENDED', 'RESTARTS', 'HEALED'], rows),
    '',
    `${doc.runs.length} run(s) in ${printable(doc.dir)}`,
  ].join('\n')
}

/**
 * The HEALED cell: yes/no, `interrupted (SIGINT)`, `incomplete` (no run-end), a watch's `stopped (SIGTERM)` or
 * `stopped (scans)`, with intents left without a result.
 */
export function healedCell(r: IncidentList['runs'][number]): string {
  const ended = r.stopped ? `stopped (${r.stopped})` : '-'
  const base = r.interrupted
    ? `${r.healed === true ? 'yes, ' : ''}interrupted (${r.interrupted})`
    : r.healed === null
      ? r.complete
        ? ended
        : 'incomplete'
      : r.healed
        ? 'yes'
        : 'no'
  return r.unfinished > 0 ? `${base}, ${r.unfinished} unfinished` : base
}

/** One line per event: its time, instance, and what it says, short. */
export function eventLine(e: IncidentShow['events'][number]): string {
  const s = (k: string) => (typeof e[k] === 'string' ? (e[k] as string) : typeof e[k] === 'number' || typeof e[k] === 'boolean' ? String(e[k]) : '')
  const list = (k: string) => (Array.isArray(e[k]) ? (e[k] as unknown[]).join(', ') : '')
  let what: string
  switch (e.event) {
    case 'observed':
      what = `${s('state')}/${s('health')}, container ${s('container')}`
      break
    case 'lock':
      what = `${s('path')}: ${s('verdict')}${list('reasons') ? ` (${list('reasons')})` : ''}`
      break
    case 'intent':
      what = `${s('action')} ${s('path') || s('target') || (s('pid') ? `pid ${s('pid')}` : '')}`.trim()
      break
    case 'action':
      what = `${s('type')} ${s('target')}: ${s('outcome')}${s('durationMs') ? ` in ${formatDuration(Number(s('durationMs')))}` : ''}`
      break
    case 'ping':
      what = s('ok') === 'true' ? `${s('reply')} in ${s('latencyMs')} ms` : `FAIL ${s('failure')}`
      break
    case 'probe':
      what = `${s('ok') === 'true' ? 'answered' : `FAIL ${s('failure')}`} in ${formatDuration(Number(s('durationMs')))}; restart rule: ${(e.restart as {why?: string} | undefined)?.why ?? '-'}`
      break
    case 'no-restart':
      what = s('why')
      break
    case 'recurred':
      what = `${s('path')}: ${s('verdict')}`
      break
    default:
      what = Object.entries(e)
        .filter(([k]) => !['ts', 'run', 'event', 'instance', 'results', 'settings'].includes(k))
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ')
  }
  return `${e.ts}  ${(e.instance ?? '-').padEnd(6)}  ${e.event.padEnd(10)}  ${what}`.slice(0, 400)
}

export function renderShow(doc: IncidentShow): string {
  const out = [`run ${doc.run} (${doc.kind}): ${doc.file}`, ...doc.events.map(eventLine)]
  if (doc.unreadable > 0) out.push(`(${doc.unreadable} unreadable line(s) skipped)`)
  if (doc.files.length > 0) out.push('', 'kept beside the log:', ...doc.files.map((f) => `  ${f}`))
  return out.map(printable).join('\n')
}

/** A Markdown table cell: one printable line, pipes escaped. */
const cell = (v: unknown) => printable(v === null || v === undefined || v === '' ? '-' : String(v)).replaceAll('|', '\\|')
const code = (v: string) => `\`${printable(v).replaceAll('`', "'")}\``

/** A Markdown table, or the sentence that says there is nothing to list. */
function mdTable(headers: string[], rows: unknown[][], empty: string): string[] {
  if (rows.length === 0) return [empty]
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)]
}

/** The post-incident document in Markdown. */
export function renderReportMarkdown(r: IncidentReport): string {
  const out: string[] = [`# Incident ${printable(r.run)} (${r.kind})`, '']
  out.push(
    `- Run: ${code(r.dir)}`,
    `- Started: ${r.startedAt}; ended: ${r.endedAt ?? 'unknown'}${r.complete ? '' : ' (no run-end: incomplete)'}${r.interrupted ? ` (**interrupted by ${r.interrupted}**)` : ''}`,
  )
  if (r.config) out.push(`- Config: ${code(r.config)}`)
  out.push('', '## Trigger', '')
  if (r.trigger) {
    const fams = Object.entries(r.trigger.signatures).map(([k, n]) => `${n} ${k}`)
    out.push(
      `First failed-lock line in ${printable(r.trigger.instance)}’s gateway log at **${r.trigger.at}**${fams.length > 0 ? ` (${fams.join(', ')})` : ''}.`,
    )
    if (r.trigger.paths.length > 0) out.push('', `Lock(s) named: ${r.trigger.paths.map(code).join(', ')}`)
  } else out.push('No failed-lock line in the gateway logs that this run read.')
  out.push('', '## Impact', '')
  out.push(`- Instances: ${r.impact.instances.map(printable).join(', ') || 'none'}`)
  out.push(`- Sessions: ${r.impact.sessions.map(code).join(', ') || 'none named'}`)
  const fams = Object.entries(r.impact.bySignature).map(([k, n]) => `${n} ${k}`)
  out.push(
    `- Failed turns seen in the logs: ${r.impact.failedTurnLines} line(s)${fams.length > 0 ? ` (${fams.join(', ')})` : ''}; lines, not turns: exec'd turns do not reach docker logs`,
  )
  out.push(`- Lasted: ${dur(r.impact.lastedMs)} (from ${r.impact.from} to ${r.impact.to ?? 'not recovered'})`)
  out.push('', '## Detection gap', '')
  out.push(
    r.detection.gapMs === null
      ? 'Unknown: no failed-lock line with a time to measure from.'
      : `${dur(r.detection.gapMs)} from the first failure (${r.detection.firstFailureAt}) to fleet's first observation (${r.detection.firstObservedAt}).`,
  )
  out.push('', '## Primary cause', '', `**${r.cause.primary}**: ${printable(r.cause.text)}`)
  const others = r.cause.all.slice(1)
  if (r.cause.all[0].locks.length > 0) out.push('', ...r.cause.all[0].locks.map((l) => `- ${code(l)}`))
  if (others.length > 0)
    out.push(
      '',
      'Also seen:',
      ...others.map((c) => `- ${c.cause}: ${printable(CAUSE_TEXT[c.cause])}${c.locks.length > 0 ? ` (${c.locks.map(code).join(', ')})` : ''}`),
    )
  out.push('', '## Contributing factors', '')
  out.push(
    ...(r.factors.length === 0
      ? ['None seen by fleet.']
      : r.factors.map((f) => `- **${f.factor}** (${f.instances.map(printable).join(', ')}): ${printable(f.detail)}`)),
  )
  out.push('', '## Timeline', '')
  out.push(
    ...mdTable(
      ['TIME', 'SOURCE', 'INSTANCE', 'WHAT'],
      r.timeline.map((t) => [t.at, t.source, t.instance, t.what]),
      'Nothing with a time was recorded.',
    ),
  )
  if (r.upgrade) {
    out.push('', '## Upgrade', '')
    out.push(
      ...mdTable(
        ['INSTANCE', 'IMAGE', 'FROM', 'TO', 'RESULT', 'DRAIN', 'DOWNTIME', 'MIGRATION', 'OLD GATEWAY STOPPED', 'ROLLBACK'],
        r.upgrade.map((u) => [
          u.instance,
          u.image,
          u.from,
          u.to,
          u.failure ? `${u.outcome}: ${u.failure}` : u.outcome,
          dur(u.drainMs),
          dur(u.downtimeMs),
          u.migration,
          u.stopEnd,
          u.rollback,
        ]),
        'No instance was upgraded.',
      ),
    )
    for (const u of r.upgrade) for (const d of u.drift) out.push(`- warning: ${printable(d)}`)
  }
  out.push('', '## Actions', '')
  out.push(
    ...mdTable(
      ['TIME', 'INSTANCE', 'ACTION', 'TARGET', 'OUTCOME', 'TOOK', 'DETAIL'],
      r.actions.map((a) => [a.at, a.instance, a.type, a.target, a.outcome, dur(a.durationMs), a.detail]),
      'None.',
    ),
  )
  out.push('', '## Restarts', '')
  out.push(
    ...mdTable(
      ['TIME', 'INSTANCE', 'TARGET', 'RESTART', 'WAIT', 'OUT FOR', 'RESULT'],
      r.restarts.map((x) => [x.at, x.instance, x.target, dur(x.restartMs), dur(x.waitMs), dur(x.downMs), x.waitOutcome ?? x.outcome]),
      'Nothing was restarted.',
    ),
  )
  if (r.noRestart.length > 0)
    out.push(
      '',
      'Not restarted:',
      ...r.noRestart.map((n) => `- ${printable(n.instance ?? '-')}: ${printable(n.why)}${n.hint ? ` (${printable(n.hint)})` : ''}`),
    )
  out.push('', '## Recurred', '')
  out.push(
    ...(r.recurred.length === 0
      ? ['Nothing recurred.']
      : r.recurred.map((x) => `- ${printable(x.instance ?? '-')}: ${code(x.path)} ${x.verdict} (${x.reasons.map(printable).join(', ')})`)),
  )
  out.push('', '## Outcome', '')
  if (!r.outcome) out.push('Unknown: the log has no run-end.')
  else
    out.push(
      ...r.outcome.map(
        (o) =>
          `- ${printable(o.instance)}: ${o.healed ? 'answers' : `not healed${o.failure ? ` (${printable(o.failure)})` : ''}`}${o.restarted ? ', restarted' : ''}${o.notDone.length > 0 ? `; not done: ${o.notDone.map(printable).join('; ')}` : ''}`,
      ),
    )
  out.push('', '## Corrective actions', '')
  out.push(
    ...mdTable(
      ['ACTION', 'FOR', 'INSTANCES', 'PROVEN BY', 'OWNER', 'DUE'],
      r.corrective.map((a) => [a.action, a.addresses, a.instances.join(', '), a.signal, a.owner ?? ' ', a.due ?? ' ']),
      'None.',
    ),
  )
  if (r.notes.length > 0) out.push('', '## Notes', '', ...r.notes.map((n) => `- ${printable(n)}`))
  return `${out.join('\n')}\n`
}

export function renderPrune(doc: {
  dir: string
  dryRun: boolean
  policy: {keepRuns: number; keepForMs: number}
  removed: string[]
  failed: {name: string; error: string}[]
  kept: number
}): string {
  const rule = `keep the newest ${doc.policy.keepRuns} and those younger than ${formatDuration(doc.policy.keepForMs)}`
  const out = [`${printable(doc.dir)}: ${rule}`]
  out.push(...doc.removed.map((n) => `${doc.dryRun ? 'would remove' : 'removed'} ${printable(n)}`))
  out.push(...doc.failed.map((x) => `could not remove ${printable(x.name)}: ${printable(x.error)}`))
  out.push(`${doc.removed.length} run(s) ${doc.dryRun ? 'would be ' : ''}removed, ${doc.kept} kept${doc.dryRun ? ' (dry run: nothing changed)' : ''}`)
  return out.join('\n')
}

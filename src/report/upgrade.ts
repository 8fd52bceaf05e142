/** How `fleet upgrade` reads to a person after its steps (drawn by the progress view): a table and where the rollout stopped. */
import {formatDuration} from '../config/duration.js'
import type {UpgradeDocument} from '../upgrade/upgrade.js'
import {printable} from '../util/escape.js'
import {table} from './table.js'

const ms = (v: number | null) => (v === null ? '' : formatDuration(v))

/** The table after the run (or the plan), and where the rollout stopped. */
export function renderUpgrade(doc: UpgradeDocument): string {
  const plan = doc.dryRun
    ? doc.instances.flatMap((r) => [
        `${r.name}: ${r.from.version ?? '?'} -> ${r.to.version ?? '?'}${r.notes.length ? ` (${r.notes.join('; ')})` : ''}`,
        ...r.steps.map((x) => `  ${x.outcome === 'planned' ? '•' : x.outcome === 'skipped' ? '↓' : x.outcome === 'failed' ? '✖' : '✔'} ${x.step}: ${x.detail}`),
      ])
    : []
  const rows = doc.instances.map((r) => [
    r.name,
    `${r.from.version ?? '?'} -> ${r.to.version ?? '?'}`,
    r.outcome,
    ms(r.drainMs),
    ms(r.downtimeMs),
    r.migration ?? '',
    printable(r.failure ?? r.rollback?.detail ?? r.notes.join('; ')),
  ])
  const lines = [...plan.map(printable), table(['INSTANCE', 'VERSION', 'OUTCOME', 'DRAIN', 'DOWNTIME', 'MIGRATION', 'NOTES'], rows)]
  const ran = new Set(doc.instances.map((r) => r.name))
  const notStarted = doc.batches.flatMap((b) => b.instances).filter((n) => !ran.has(n))
  if (notStarted.length > 0) lines.push(`not started: ${notStarted.join(', ')}`)
  for (const r of doc.instances) for (const d of r.rollback?.drift ?? []) lines.push(`warning: ${printable(d)}`)
  const s = doc.summary
  const counts = Object.entries(s)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ')
  if (doc.dryRun) lines.push(`dry run: nothing was changed (${counts || 'nothing to do'})`)
  else if (doc.stoppedAt) lines.push(`upgrade to ${doc.image} stopped at ${printable(doc.stoppedAt)} (${counts})`)
  else lines.push(`upgrade to ${doc.image}: ${counts || 'nothing to do'}`)
  if (doc.incidentDir) lines.push(`incident log: ${doc.incidentDir}`)
  return lines.join('\n')
}

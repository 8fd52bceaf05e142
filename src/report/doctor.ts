/** Rendering of `fleet doctor`. */
import type {Check, CheckStatus} from '../doctor/doctor.js'
import {table} from './table.js'

export interface DoctorDocument {
  checks: Check[]
  summary: Record<CheckStatus, number>
  ok: boolean
}

export function doctorDocument(checks: Check[]): DoctorDocument {
  const summary = {pass: 0, warn: 0, fail: 0} as Record<CheckStatus, number>
  for (const c of checks) summary[c.status]++
  return {checks, summary, ok: summary.fail === 0}
}

export function renderDoctor(doc: DoctorDocument, opts: {all?: boolean} = {}): string {
  const shown = opts.all ? doc.checks : doc.checks.filter((c) => c.status !== 'pass')
  // table() keeps a cell on one line, so a hint is a continuation row under FINDING
  const rows = shown.flatMap((c) => [[c.status.toUpperCase(), c.check, c.instance ?? '-', c.message], ...(c.hint ? [['', '', '', `  fix: ${c.hint}`]] : [])])
  const head = shown.length > 0 ? table(['STATUS', 'CHECK', 'INSTANCE', 'FINDING'], rows) : 'every check passed'
  return `${head}\n\ndoctor: ${doc.summary.pass} pass, ${doc.summary.warn} warn, ${doc.summary.fail} fail${opts.all ? '' : ' (--all shows the passes)'}`
}

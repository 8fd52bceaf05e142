/** Rendering of `fleet ping`: one line per instance, a summary line, and the JSON document. */
import {formatDuration} from '../config/duration.js'
import {pingSession, type PingSettings} from '../config/model.js'
import {percentile} from '../decide/ping-class.js'
import type {PingResult} from '../ping/ping.js'
import {printable} from '../util/escape.js'

export interface PingDocument {
  results: PingResult[]
  summary: {instances: number; passed: number; failed: number; p50Ms: number | null; p95Ms: number | null; byFailure: Record<string, number>}
  settings: {message: string; expect: string; agent: string; session: string; timeoutMs: number}
  durationMs: number
  ok: boolean
  junit?: string
}

export function pingDocument(results: PingResult[], durationMs: number, s: PingSettings): PingDocument {
  const byFailure: Record<string, number> = {}
  for (const r of results) if (r.failure) byFailure[r.failure] = (byFailure[r.failure] ?? 0) + 1
  const lat = results.flatMap((r) => r.attempts.filter((a) => a.ok).map((a) => a.latencyMs))
  const passed = results.filter((r) => r.ok).length
  return {
    results,
    summary: {instances: results.length, passed, failed: results.length - passed, p50Ms: percentile(lat, 50), p95Ms: percentile(lat, 95), byFailure},
    settings: {message: s.message, expect: s.expect, agent: s.agent, session: pingSession(s) ?? `main session of ${s.agent}`, timeoutMs: s.timeoutMs},
    durationMs,
    ok: passed === results.length,
  }
}

/** One line per instance (also the listr2 task title): the reply, detail and lock path come from the container, so the line goes through printable(). */
export function pingLine(r: PingResult): string {
  return printable(rawPingLine(r))
}

function rawPingLine(r: PingResult): string {
  const lat = r.latencyMs === null ? '' : ` in ${formatDuration(r.latencyMs)}`
  const reps = r.attempts.length > 1 && r.p50Ms !== null ? ` (p50 ${formatDuration(r.p50Ms)}, p95 ${formatDuration(r.p95Ms ?? 0)}, ${r.attempts.length} turns)` : ''
  const warn = r.warnings.length > 0 ? ` [warning: ${r.warnings.join(', ')}]` : ''
  const via = r.path ? ` via ${r.path === 'local' ? 'the embedded runner (--local)' : r.path === 'embedded' ? 'the embedded fallback' : 'the gateway'}` : ''
  if (r.ok) return `${r.name}: ${r.reply}${lat}${via}${reps}${warn}`
  const lock = r.failure === 'lock-timeout' ? ` pid=${r.lockPid ?? 'unknown'} ${r.lockPath}` : ''
  return `${r.name}: FAIL ${r.failure}${lock}${lat}${r.path === 'embedded' || r.path === 'local' ? via : ''}${r.detail && r.failure !== 'lock-timeout' ? `: ${r.detail}` : ''}${warn}`
}

/** The summary line, preceded by one line per instance unless a progress renderer already showed them. */
export function renderPingSummary(doc: PingDocument, withLines = true): string {
  const s = doc.summary
  const failures = Object.entries(s.byFailure)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')
  const lines = withLines ? doc.results.map(pingLine) : []
  const lat = s.p50Ms === null ? '' : `; latency p50 ${formatDuration(s.p50Ms)}, p95 ${formatDuration(s.p95Ms ?? 0)}`
  lines.push(printable(`ping: ${s.passed}/${s.instances} passed${failures ? ` (${failures})` : ''}${lat}; ${formatDuration(doc.durationMs)}`))
  return lines.join('\n')
}

/** Rendering of `fleet ping`: one line per instance, a summary line, and the JSON document. */
import {formatDuration} from '../config/duration.js'
import {pingSession, type PingSettings} from '../config/model.js'
import {percentile} from '../decide/ping-class.js'
import {pingLineText, type PingResult} from '../ping/ping.js'
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

/** One line per instance (the progress view draws the same line): the reply, detail and lock path come from the container, so the line goes through printable(). */
export function pingLine(r: PingResult): string {
  return printable(pingLineText(r))
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

/** JUnit XML for CI systems: one testcase per instance, a failure element for each failing one. */
import type {PingResult} from '../ping/ping.js'
import {printable} from '../util/escape.js'

/**
 * printable() first (controls, which XML 1.0 forbids, and bidi overrides show as `\x1b`, `\u202e` in a CI log
 * instead of vanishing or acting), then the XML escapes.
 */
const esc = (s: string) => printable(s).replace(/[<>&"']/g, (c) => ({'<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;'})[c] as string)

export function pingJunit(results: PingResult[], opts: {suite?: string; timestamp?: Date} = {}): string {
  const failures = results.filter((r) => !r.ok).length
  const total = results.reduce((s, r) => s + (r.latencyMs ?? 0), 0) / 1000
  const cases = results.map((r) => {
    const time = ((r.latencyMs ?? 0) / 1000).toFixed(3)
    const head = `  <testcase classname="fleet.ping" name="${esc(r.name)} (${esc(r.container)})" time="${time}">`
    if (r.ok) return `${head}${r.warnings.length > 0 ? `\n    <system-out>${esc(`warnings: ${r.warnings.join(', ')}`)}</system-out>\n  ` : ''}</testcase>`
    const body = [r.detail, r.lockPath ? `lock ${r.lockPath} pid=${r.lockPid ?? 'unknown'}` : null, r.reply !== null ? `reply: ${r.reply}` : null]
      .filter((x): x is string => Boolean(x))
      .map(esc)
      .join('\n')
    return `${head}\n    <failure type="${esc(r.failure ?? 'failed')}" message="${esc(`${r.failure}: ${r.detail ?? ''}`.slice(0, 500))}">${body}</failure>\n  </testcase>`
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="fleet ping" tests="${results.length}" failures="${failures}" time="${total.toFixed(3)}">`,
    `<testsuite name="${esc(opts.suite ?? 'fleet ping')}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${total.toFixed(3)}" timestamp="${(opts.timestamp ?? new Date()).toISOString()}">`,
    ...cases,
    '</testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}

import {UsageError} from '../errors.js'

/** Durations as written in the config and on the command line: `500ms`, `90s`, `5m`, `1h`, `1m30s`, or a bare number of seconds. */
const UNIT_MS: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000}
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy

export function parseDuration(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? Math.round(input * 1000) : null
  const text = input.trim()
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000)
  if (text === '') return null
  let total = 0
  PART.lastIndex = 0
  let consumed = 0
  for (let m = PART.exec(text); m; m = PART.exec(text)) {
    total += Number(m[1]) * UNIT_MS[m[2]]
    consumed = PART.lastIndex
  }
  return consumed === text.length ? Math.round(total) : null
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`
  const s = ms / 1000
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)}s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`
  const h = Math.floor(m / 60)
  if (h < 48) return `${h}h${String(m % 60).padStart(2, '0')}m`
  return `${Math.floor(h / 24)}d${h % 24}h`
}

/** The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2_147_483_647

/**
 * What a duration of `ms` should have been, or null when it is fine. `positive`: 0 is refused too (timeouts,
 * waits, thresholds: 0 would give up or judge at once). Every duration must fit a Node timer.
 */
export function durationProblem(ms: number, opts: {positive: boolean; zero?: string}): string | null {
  if (opts.positive && ms <= 0) return `expected a duration above 0 (${opts.zero ?? '0 is meaningless here: it would give up or judge at once'})`
  if (ms > MAX_TIMER_MS) return `expected at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest a Node timer can wait)`
  return null
}

/** A duration flag (`--interval 30s`) in ms; a UsageError (exit 2) naming the flag and what was expected otherwise. */
export function parseDurationFlag(flag: string, value: string, opts: {positive: boolean; zero?: string} = {positive: true}): number {
  const ms = parseDuration(value)
  if (ms === null) throw new UsageError(`${flag}: expected a duration like 30s, 5m or 1h30m, got "${value}"`)
  const problem = durationProblem(ms, opts)
  if (problem) throw new UsageError(`${flag}: ${problem}, got "${value}"${ms > MAX_TIMER_MS ? ` (${ms} ms)` : ''}`)
  return ms
}

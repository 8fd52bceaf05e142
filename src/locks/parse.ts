/**
 * Pure parsing of OpenClaw lock file names and payloads. Never throws.
 *
 * Payload shapes written by OpenClaw (`JSON.stringify(payload, null, 2)`):
 *   2026.2.x            {"pid","createdAt"}               no trailing newline
 *   2026.3.x-2026.4.29  {"pid","createdAt","starttime"}   no trailing newline
 *   2026.5.x+           {"pid","createdAt","starttime"}   trailing newline
 */
import type {LockKind, LockPayload, PayloadProblem} from './types.js'

const SESSION_SUFFIX = '.jsonl.lock'
const STORE_LOCK = 'sessions.json.lock'
/** 2026.8+ gateway lock files in `<state>/tmp/openclaw-<uid>/`: `gateway.<config hash>.lock`, `gateway.state.lock` (not their `.lock.sqlite` coordinators). */
export const GATEWAY_LOCK = /^gateway\.[A-Za-z0-9_-]{1,64}\.lock$/

/** 'x.jsonl.lock' -> 'session', 'sessions.json.lock' -> 'store', 'gateway.state.lock' -> 'gateway', anything else -> null. */
export function lockKindOf(fileName: string): Exclude<LockKind, 'sqlite-writer'> | null {
  if (fileName === STORE_LOCK) return 'store'
  if (fileName.length > SESSION_SUFFIX.length && fileName.endsWith(SESSION_SUFFIX)) return 'session'
  if (GATEWAY_LOCK.test(fileName)) return 'gateway'
  return null
}

/** Session id of a lock file name ('abc.jsonl.lock' -> 'abc'; store lock -> 'sessions.json'); null when not a lock name. */
export function sessionOf(fileName: string): string | null {
  switch (lockKindOf(fileName)) {
    case 'store':
      return fileName.slice(0, -'.lock'.length)
    case 'session':
      return fileName.slice(0, -SESSION_SUFFIX.length)
    case 'gateway':
      return fileName.slice(0, -'.lock'.length)
    default:
      return null
  }
}

/**
 * Full date (UTC per ECMAScript) or date-time WITH a zone designator. A date-time without a zone is
 * parsed as local time by Date.parse, which would make verdicts depend on the host's time zone: rejected.
 */
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d))?$/

/** Epoch ms of an ISO-8601 date string that is also a real calendar date; null otherwise. */
export function parseIsoDate(value: unknown): number | null {
  if (typeof value !== 'string') return null
  const m = ISO_DATE.exec(value)
  if (!m) return null
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  // Date.parse accepts 2026-02-30; a real calendar check rejects it.
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  const ms = Date.parse(value)
  return Number.isFinite(ms) ? ms : null
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]
}

const isPositiveSafeInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0
const isNonNegativeSafeInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0
const isAbsent = (v: unknown): boolean => v === undefined || v === null

function unparsed(problem: PayloadProblem): LockPayload {
  return {pid: null, createdAt: null, createdAtMs: null, starttime: null, shape: 'unknown', problems: [problem]}
}

/** Parse a lock payload. Never guesses from broken JSON: a truncated payload yields no pid. */
export function parseLockPayload(raw: string): LockPayload {
  if (raw.trim() === '') return unparsed('empty')
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return unparsed('invalid-json')
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return unparsed('not-an-object')
  const obj = value as Record<string, unknown>
  const problems: PayloadProblem[] = []

  let pid: number | null = null
  if (isAbsent(obj.pid)) problems.push('missing-pid')
  else if (isPositiveSafeInt(obj.pid)) pid = obj.pid
  else problems.push('invalid-pid')

  let createdAt: string | null = null
  let createdAtMs: number | null = null
  if (isAbsent(obj.createdAt)) problems.push('missing-createdAt')
  else {
    createdAtMs = parseIsoDate(obj.createdAt)
    if (createdAtMs === null) problems.push('invalid-createdAt')
    else createdAt = obj.createdAt as string
  }

  // Session locks say `starttime`; 2026.8+ gateway locks say `startTime` (the same /proc stat field 22).
  const rawStart = isAbsent(obj.starttime) ? obj.startTime : obj.starttime
  let starttime: number | null = null
  if (!isAbsent(rawStart)) {
    if (isNonNegativeSafeInt(rawStart)) starttime = rawStart
    else problems.push('invalid-starttime')
  }

  const role = typeof obj.role === 'string' ? obj.role : undefined
  return {pid, createdAt, createdAtMs, starttime, shape: shapeOf(obj, raw), problems, ...(role ? {role} : {})}
}

/** Shape by keys and trailing newline; values are validated separately. */
function shapeOf(obj: Record<string, unknown>, raw: string): LockPayload['shape'] {
  if (!('pid' in obj) || !('createdAt' in obj)) return 'unknown'
  if ('ownerId' in obj || 'startTime' in obj) return 'gateway-2026.8+'
  const newline = raw.endsWith('\n')
  if (!('starttime' in obj)) return newline ? 'unknown' : 'v2026.2'
  return newline ? 'v2026.5+' : 'v2026.3-4'
}

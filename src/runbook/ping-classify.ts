/**
 * Pure classification of one ping attempt (an `openclaw agent ... --json` turn) from its exit code,
 * stdout and stderr.
 */
export type PingFailure = 'lock-timeout' | 'wrong-reply' | 'no-reply' | 'model-error' | 'timeout' | 'exec-failed' | 'container-not-running' | 'host-unreachable'

export interface PingVerdict {
  ok: boolean
  failure: PingFailure | null
  /** The reply text(s) that came back, joined. */
  reply: string | null
  /** The agent fell back to another transport (meta.transport "embedded", meta.fallbackFrom, or the CLI said so). */
  fallback: boolean
  lockPid: number | null
  lockPath: string | null
  lockTimeoutMs: number | null
  detail: string | null
}

export interface AttemptOutput {
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

const LOCK = /session file locked \(timeout (\d+)ms\): (?:pid=(\d+)|owner=unknown)[^\n]*?(\/\S+\.lock)/
const MODEL = /FailoverError|All models failed|No API key|provider|model|rate limit|context window|Request was aborted/i
const FALLBACK = /falling back to embedded/i

export function classifyAttempt(out: AttemptOutput, expect: string): PingVerdict {
  const base: PingVerdict = {ok: false, failure: null, reply: null, fallback: FALLBACK.test(out.stderr), lockPid: null, lockPath: null, lockTimeoutMs: null, detail: null}
  const lock = LOCK.exec(`${out.stderr}\n${out.stdout}`)
  if (out.timedOut) return {...base, failure: 'timeout', detail: lastLine(out.stderr)}
  if (out.exitCode !== 0) {
    if (lock) return {...base, failure: 'lock-timeout', lockTimeoutMs: Number(lock[1]), lockPid: lock[2] ? Number(lock[2]) : null, lockPath: lock[3], detail: lock[0]}
    if (out.exitCode === 126 || out.exitCode === 127 || /executable file not found|no such file or directory|not found/i.test(out.stderr) && !MODEL.test(out.stderr)) {
      return {...base, failure: 'exec-failed', detail: lastLine(out.stderr) ?? `exit code ${out.exitCode}`}
    }
    if (MODEL.test(out.stderr)) return {...base, failure: 'model-error', detail: lastLine(out.stderr)}
    return {...base, failure: 'exec-failed', detail: lastLine(out.stderr) ?? `exit code ${out.exitCode}`}
  }
  const doc = parseJson(out.stdout)
  if (doc === undefined) return {...base, failure: 'no-reply', detail: out.stdout.trim() ? `not JSON: ${out.stdout.trim().slice(0, 200)}` : 'empty output'}
  const texts = replyTexts(doc)
  const meta = (doc as {meta?: Record<string, unknown>; result?: {meta?: Record<string, unknown>}}).meta ?? (doc as {result?: {meta?: Record<string, unknown>}}).result?.meta ?? {}
  const fallback = base.fallback || meta.transport === 'embedded' || meta.fallbackFrom !== undefined
  if (texts.length === 0) return {...base, fallback, failure: 'no-reply', detail: 'no payloads[].text in the reply'}
  const reply = texts.join('\n').trim()
  if (reply !== expect) return {...base, fallback, reply, failure: 'wrong-reply', detail: `expected ${JSON.stringify(expect)}, got ${JSON.stringify(reply.slice(0, 200))}`}
  return {...base, fallback, reply, ok: true}
}

/** `payloads[].text` (--local) or `result.payloads[].text` (through the gateway). */
export function replyTexts(doc: unknown): string[] {
  const d = doc as {payloads?: unknown; result?: {payloads?: unknown}}
  const payloads = Array.isArray(d?.payloads) ? d.payloads : Array.isArray(d?.result?.payloads) ? d.result.payloads : []
  return payloads.map((p: {text?: unknown}) => p?.text).filter((t: unknown): t is string => typeof t === 'string')
}

function parseJson(text: string): unknown {
  const t = text.trim()
  if (!t) return undefined
  try {
    return JSON.parse(t)
  } catch {
    const start = t.indexOf('{')
    if (start > 0) {
      try {
        return JSON.parse(t.slice(start))
      } catch {
        return undefined
      }
    }
    return undefined
  }
}

function lastLine(text: string): string | null {
  const lines = text.trim().split('\n').filter(Boolean)
  return lines.length > 0 ? lines[lines.length - 1].slice(0, 500) : null
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

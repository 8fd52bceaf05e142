import {findKnownSignatures, knownSignatureText} from '../locks/known-signatures.js'
import {anyOf, DATABASE_LOCKED, GATEWAY_LOCK, LOCK_TIMEOUT, SQLITE_LOCK_WAIT, STATE_CONTENTION, STORAGE_ERRORS} from '../locks/signatures.js'
import {parseJson} from '../util/json.js'

/**
 * Pure classification of one ping attempt (an `openclaw agent ... --json` turn) from its exit code,
 * stdout and stderr.
 */
/** Every ping failure class, in the order the classifier tries them. */
export const PING_FAILURES = [
  'lock-timeout',
  'fallback-reuses-locked-session',
  'session-takeover-race',
  'storage-locked',
  'state-contention',
  'gateway-unavailable',
  'auth',
  'wrong-reply',
  'no-reply',
  'model-error',
  'timeout',
  'exec-failed',
  'container-not-running',
  'host-unreachable',
  'gateway-bypassed',
  'storage-full',
  'storage-readonly',
  'storage-io',
] as const
export type PingFailure = (typeof PING_FAILURES)[number]

/** The path a ping's turn took: through the gateway (what users get), embedded after the gateway failed it, or `--local` by setting. */
export type PingPath = 'gateway' | 'embedded' | 'local'

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
  /** Which path the turn took (null when it did not run). */
  path?: PingPath | null
}

export interface AttemptOutput {
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
}

const LOCK = LOCK_TIMEOUT
/** The CLI ran the turn embedded after the gateway failed it: `Gateway agent failed; falling back to embedded: <why>` (2026.4.x), `EMBEDDED FALLBACK: Gateway agent failed; running embedded agent: <why>` (seen on 2026.5.5). */
const FALLBACK = /falling back to embedded|EMBEDDED FALLBACK|running embedded agent/i

/**
 * Failure classes recognised in what a failed turn printed, in order (the first that matches wins), from the
 * messages real OpenClaw writes (2026.4.29 to 2026.9.6) and the lab's.
 */
const CLASSES: [PingFailure, RegExp][] = [
  // 2026.9 storage errors: the disk, not a lock; a restart cures none of them.
  ...STORAGE_ERRORS,
  // 2026.8+: a writer stuck in its SQLite transaction; every later turn fails after the busy timeout.
  ['storage-locked', anyOf(DATABASE_LOCKED, SQLITE_LOCK_WAIT)],
  ['state-contention', anyOf(STATE_CONTENTION, GATEWAY_LOCK)],
  // The CLI itself could not start or was refused (plugin staging offline, --local while a gateway owns the state dir): not the model.
  [
    'exec-failed',
    /PluginLoadFailureError|Unable to resolve a safe npm executable|A Gateway is running for this state directory|executable file not found|OCI runtime exec failed|required option|unknown (option|command)/i,
  ],
  ['auth', /No API key found|no usable credentials|invalid api key|Unauthorized|authentication (failed|required)|\b401\b/i],
  ['gateway-unavailable', /gateway (closed|not reachable|unavailable|is not running)|UNAVAILABLE|ECONNREFUSED[^\n]*18789|connect ECONNREFUSED 127\.0\.0\.1/i],
  [
    'model-error',
    /FailoverError|FallbackSummaryError|All models failed|rate limit|context window|Request was aborted|model [^\n]*not found|provider [^\n]*(error|failed)|Unknown model/i,
  ],
]

/** A stack frame or a bare location line: never the line that says what went wrong. */
const NOISE = /^\s*(at\s|\^+$|~+$|Node\.js v\d|\[openclaw\] Help:|\s*$)|\[trace:[\w-]+\]/

/**
 * The line that says what went wrong: the last line naming an error (`…Error:`, `Error:`, `Reason:`, `error=`)
 * that is not a stack frame, else the last line that is not noise.
 */
export function errorLine(text: string): string | null {
  const lines = text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => !NOISE.test(l))
  const named = lines.filter((l) => /(^|\s)([A-Z]\w*)?Error\b|^\s*Reason:|\berror=|^\s*error:/i.test(l)).at(-1)
  const line = named ?? lines.at(-1)
  return line ? line.trim().slice(0, 500) : null
}

/** `: <why>` from the CLI's `Gateway agent failed; falling back to embedded: <why>` line, or nothing. */
function fallbackReason(stderr: string): string {
  const m = /(?:falling back to embedded|running embedded agent):?\s*(.*)$/im.exec(stderr)
  return m?.[1] ? `: ${m[1].trim().slice(0, 300)}` : ''
}

/** stderr as kept for the record: the head and the tail when it is long, so neither the cause nor the end is lost. */
export function clipOutput(text: string, head = 2000, tail = 6000): string {
  if (text.length <= head + tail) return text
  return `${text.slice(0, head)}\n… (${text.length - head - tail} characters left out) …\n${text.slice(-tail)}`
}

/** On failure through the gateway (2026.8+), stdout carries `{"ok":false,"error":{"message":…}}`. */
function gatewayError(stdout: string): string | null {
  const doc = parseJson(stdout) as {ok?: unknown; error?: {message?: unknown}} | undefined
  return doc && doc.ok === false && typeof doc.error?.message === 'string' ? doc.error.message : null
}

/**
 * `gatewayPids`: the gateway's pids in the container when known. A failed turn that shows a known upstream
 * signature (src/locks/known-signatures.ts) is classed by it, before its lock error: `fallback-reuses-locked-session`
 * (the embedded fallback waited on the gateway's own lock; with gatewayPids null the pid was not checked, and the
 * detail says so) or `session-takeover-race`. Neither is a lock to delete or a restart to do. `signatures` false: the
 * version cannot produce them (2026.9+, knownSignaturesPossible), so its lock errors are classed as what they say.
 */
export function classifyAttempt(
  out: AttemptOutput,
  expect: string,
  gatewayPids: readonly number[] | null = null,
  via: 'gateway' | 'local' = 'gateway',
  signatures = true,
): PingVerdict {
  const fellBack = FALLBACK.test(out.stderr)
  const path: PingPath = via === 'local' ? 'local' : fellBack ? 'embedded' : 'gateway'
  const base: PingVerdict = {ok: false, failure: null, reply: null, fallback: fellBack, lockPid: null, lockPath: null, lockTimeoutMs: null, detail: null, path}
  const text = `${out.stderr}\n${out.stdout}`
  const lock = LOCK.exec(text)
  if (out.timedOut) return {...base, failure: 'timeout', detail: errorLine(out.stderr) ?? 'no reply before the timeout, and no error line'}
  if (out.exitCode !== 0) {
    const known = signatures ? findKnownSignatures(text, gatewayPids).at(-1) : undefined
    if (known) {
      const unchecked = known.gatewayPid === 'unknown' ? ` (lock pid ${known.lockPid} not checked against the gateway's pid)` : ''
      return {
        ...base,
        failure: known.kind,
        lockPid: known.lockPid,
        lockPath: known.lockPath,
        lockTimeoutMs: lock && known.lockPid !== null ? Number(lock[1]) : null,
        detail: `${knownSignatureText(known.kind)}${unchecked}: ${known.line.slice(0, 300)}`,
      }
    }
    if (lock)
      return {...base, failure: 'lock-timeout', lockTimeoutMs: Number(lock[1]), lockPid: lock[2] ? Number(lock[2]) : null, lockPath: lock[3], detail: lock[0]}
    const said = [gatewayError(out.stdout), out.stderr].filter(Boolean).join('\n')
    const detail = gatewayError(out.stdout) ?? errorLine(out.stderr) ?? `exit code ${out.exitCode}`
    if (out.exitCode === 126 || out.exitCode === 127) return {...base, failure: 'exec-failed', detail}
    const cls = CLASSES.find(([, re]) => re.test(said))
    return {...base, failure: cls?.[0] ?? 'exec-failed', detail}
  }
  const refused = gatewayError(out.stdout)
  if (refused !== null) return {...base, failure: CLASSES.find(([, re]) => re.test(`${refused}\n${out.stderr}`))?.[0] ?? 'no-reply', detail: refused}
  const doc = parseJson(out.stdout)
  if (doc === undefined) return {...base, failure: 'no-reply', detail: out.stdout.trim() ? `not JSON: ${out.stdout.trim().slice(0, 200)}` : 'empty output'}
  const texts = replyTexts(doc)
  const meta =
    (doc as {meta?: Record<string, unknown>; result?: {meta?: Record<string, unknown>}}).meta ??
    (doc as {result?: {meta?: Record<string, unknown>}}).result?.meta ??
    {}
  const fallback = base.fallback || meta.transport === 'embedded' || meta.fallbackFrom !== undefined
  const took: PingPath = via === 'local' ? 'local' : fallback ? 'embedded' : 'gateway'
  if (texts.length === 0) return {...base, fallback, path: took, failure: 'no-reply', detail: 'no payloads[].text in the reply'}
  const reply = texts.join('\n').trim()
  if (reply !== expect)
    return {
      ...base,
      fallback,
      path: took,
      reply,
      failure: 'wrong-reply',
      detail: `expected ${JSON.stringify(expect)}, got ${JSON.stringify(reply.slice(0, 200))}`,
    }
  // The gateway failed the turn and the CLI ran it embedded beside it: the reply is not what users get from the gateway.
  if (took === 'embedded')
    return {
      ...base,
      fallback,
      path: took,
      reply,
      failure: 'gateway-bypassed',
      detail: `the gateway did not answer; the turn ran embedded beside it${fallbackReason(out.stderr)}`,
    }
  return {...base, fallback, path: took, reply, ok: true}
}

/** `payloads[].text` (--local) or `result.payloads[].text` (through the gateway). */
export function replyTexts(doc: unknown): string[] {
  const d = doc as {payloads?: unknown; result?: {payloads?: unknown}}
  const payloads = Array.isArray(d?.payloads) ? d.payloads : Array.isArray(d?.result?.payloads) ? d.result.payloads : []
  return payloads.map((p: {text?: unknown}) => p?.text).filter((t: unknown): t is string => typeof t === 'string')
}

/** Percentile (nearest rank) of a list of numbers. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

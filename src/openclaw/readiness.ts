/**
 * Is a gateway ready to serve? Two sources, both from the gateway itself: its ready line since this start
 * (`[gateway] ready`, every version seen), and its readiness endpoint asked from inside the container with the body
 * checked (`/readyz` answers 503 JSON while starting, then 200 JSON; unknown paths answer a catch-all 200 HTML page,
 * so a 200 alone proves nothing). `/healthz` is liveness only and stays ok while turns fail: never used here.
 * Also the line reader that finds, in a log stream, the ready line, the last start refusal and the last line of the
 * previous incarnation.
 */
import type {DockerHandle} from '../docker/client.js'
import {execIn} from '../docker/exec.js'
import {startRefusal, type StartRefusal} from './start-refusals.js'
import {splitTimestamp} from '../docker/logs.js'

/** What says the gateway is ready: its ready line since this start, its /readyz (or /startupz) JSON, or nothing. */
export interface ReadinessEvidence {
  state: 'ready' | 'not-ready' | 'unknown'
  source: 'ready-line' | 'readyz' | null
  /** What was seen (the endpoint's answer, or why it could not be asked). */
  detail: string | null
}

/** The gateway's readiness line (every version seen logs it once it is ready). */
export const READY_LINE = /\[gateway\] ready\b/

/** Prints one JSON line {status, body} for GET <path>, or {error}; exits 0 either way (3 when nothing answered in time). */
const PROBE = `const [port, p] = process.argv.slice(1); const req = require('http').get({host: '127.0.0.1', port: Number(port), path: p, timeout: 3000}, (r) => { let b = ''; r.setEncoding('utf8'); r.on('data', (d) => { if (b.length < 2000) b += d }); r.on('end', () => { console.log(JSON.stringify({status: r.statusCode, body: b.slice(0, 2000)})) }) }); req.on('error', (e) => { console.log(JSON.stringify({error: e.code || e.message})); process.exitCode = 3 }); req.on('timeout', () => { console.log(JSON.stringify({error: 'timeout'})); req.destroy(); process.exitCode = 3 })`

/**
 * Pure: what the readiness endpoint's answer says. `exitCode`/`stdout` of the probe; null exitCode: it could not run
 * (no `node` in the image, exec refused). Only a 200 whose body is JSON and says ready proves readiness; a 503 JSON or
 * a refused connection is `not-ready`; a catch-all HTML 200, garbage or no probe is `unknown`.
 */
export function readinessFromProbe(exitCode: number | null, stdout: string, path = '/readyz'): ReadinessEvidence {
  if (exitCode === null) return {state: 'unknown', source: null, detail: `cannot ask ${path} (the probe could not run in the container)`}
  let answer: {status?: number; body?: string; error?: string}
  try {
    answer = JSON.parse(stdout.trim().split('\n').at(-1) ?? '')
  } catch {
    return {state: 'unknown', source: null, detail: `cannot ask ${path}: the probe printed ${JSON.stringify(stdout.slice(0, 80))}`}
  }
  if (answer.error) return {state: 'not-ready', source: 'readyz', detail: `${path}: ${answer.error} (nothing answers on the gateway port yet)`}
  let body: unknown
  try {
    body = JSON.parse(answer.body ?? '')
  } catch {
    return {state: 'unknown', source: null, detail: `${path} answered ${answer.status} without JSON (a catch-all page: this version has no such endpoint)`}
  }
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>
  const saysReady = b.ready === true || b.status === 'ready' || b.status === 'started'
  const saysNot = b.ready === false || (typeof b.status === 'string' && /start|pending|fail/.test(b.status) && b.status !== 'started')
  if (answer.status === 200 && saysReady) return {state: 'ready', source: 'readyz', detail: `${path} 200 ${JSON.stringify(body).slice(0, 120)}`}
  if (answer.status === 503 || saysNot) return {state: 'not-ready', source: 'readyz', detail: `${path} ${answer.status} ${JSON.stringify(body).slice(0, 160)}`}
  return {state: 'unknown', source: null, detail: `${path} answered ${answer.status} ${JSON.stringify(body).slice(0, 120)}: says neither ready nor not ready`}
}

/** Asks the readiness endpoint from inside the container (one exec, bounded). */
export async function probeReadiness(handle: DockerHandle, container: string, port: number, timeoutMs: number): Promise<ReadinessEvidence> {
  const r = await execIn(handle, container, ['node', '-e', PROBE, String(port), '/readyz'], {timeoutMs}).catch(() => null)
  if (!r || r.timedOut) return readinessFromProbe(null, '')
  // exit 126/127: no node in the image; anything but 0 and 3 is the probe failing, not the gateway answering
  return readinessFromProbe(r.exitCode === 0 || r.exitCode === 3 ? r.exitCode : null, r.stdout)
}

/** What a gateway's log says about its life: read line by line (the log is a stream; nothing is kept but these). */
export interface LifeLog {
  /** Time of the first ready line since this start (ms), null when none was seen. */
  readyAtMs: number | null
  /** The last start refusal seen in what was read (this incarnation and, when read, the ones before). */
  refusal: StartRefusal | null
  /** The last line logged before this start (what the previous incarnation said last), null when none was read. */
  lastLineBefore: string | null
  /** Channels this start keeps down for OpenClaw's crash-loop breaker, and not restored since (this incarnation only). */
  channelsDown: SuppressedChannel[]
}

/** A channel (and account) whose automatic start the crash-loop breaker refused. */
export interface SuppressedChannel {
  channel: string
  accountId: string | null
}

/** One channel account's name, as OpenClaw's own line writes it (`telegram account ops`, or `telegram`). Pure. */
export function channelName(c: SuppressedChannel): string {
  return c.accountId ? `${c.channel} account ${c.accountId}` : c.channel
}

/**
 * 2026.9.6 (server-channels: startChannel): `channel autostart suppressed by crash-loop breaker; refusing automatic
 * start for <channel>[ account <accountId>]. Start a channel manually with: openclaw gateway call channels.start
 * --params '{…}'`. A gateway whose breaker recovers (no unclean boot in its window) says `gateway restart-loop breaker
 * recovered; channel auto-start restored` and starts them itself.
 */
const CHANNEL_SUPPRESSED = /channel autostart suppressed by crash-loop breaker; refusing automatic start for (\S+?)(?: account (\S+?))?\.(?:\s|$)/
const BREAKER_RECOVERED = /restart-loop breaker recovered; channel auto-start restored/

/** Pure: the channels the breaker keeps down, from one line (null when the line says nothing of it; [] when restored). */
export function channelSuppression(line: string): SuppressedChannel | 'restored' | null {
  if (BREAKER_RECOVERED.test(line)) return 'restored'
  const m = CHANNEL_SUPPRESSED.exec(line)
  return m ? {channel: m[1]!, accountId: m[2] ?? null} : null
}

/**
 * A line reader for one container's log: `add` each line (with its Docker timestamp), `result` at the end. Lines
 * before `startedAtMs` belong to previous incarnations: they give refusals and the last line, never readiness.
 */
export function lifeLogReader(startedAtMs: number | null): {add(line: string, ts?: string | null): void; result(): LifeLog} {
  const out: LifeLog = {readyAtMs: null, refusal: null, lastLineBefore: null, channelsDown: []}
  return {
    /** A line, with its Docker timestamp given apart (`ts`) or still at its head. */
    add(line: string, ts?: string | null) {
      const split = ts === undefined ? splitTimestamp(line) : {ts, text: line}
      const atMs = split.ts ? Date.parse(split.ts) : null
      // Docker's timestamps have ns; the engine's StartedAt too: a line at the start's own ms belongs to this start.
      const before = startedAtMs !== null && atMs !== null && atMs < startedAtMs
      const refusal = startRefusal(split.text)
      if (refusal) out.refusal = {...refusal, atMs}
      if (before) {
        const text = split.text.trim()
        if (text) out.lastLineBefore = text.slice(0, 300)
      } else {
        if (out.readyAtMs === null && READY_LINE.test(split.text)) out.readyAtMs = atMs ?? startedAtMs ?? 0
        const ch = channelSuppression(split.text)
        if (ch === 'restored') out.channelsDown = []
        else if (ch && !out.channelsDown.some((x) => x.channel === ch.channel && x.accountId === ch.accountId)) out.channelsDown.push(ch)
      }
    },
    result: () => out,
  }
}

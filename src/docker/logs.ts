/**
 * Container logs read as a bounded stream, and the outage signature in them: the lines that record a failed lock
 * turn, in every family OpenClaw has had, with first/last occurrence, and for `session file locked` the pids,
 * timeouts and lock paths.
 *
 * A gateway's log can be gigabytes (the json-file driver keeps everything by default), so nothing here holds a log:
 * the engine sends the last `maxLines` lines since a time (`tail` + `since`: the daemon finds them reading backwards
 * from the end of the file), the stream is demultiplexed and split into lines as it arrives, each line goes to a
 * callback, and the stream is destroyed at the byte cap, on the callback's `stop`, or at the timeout. The result
 * says whether (and how) the read was capped, so a count made from it can say so.
 */
import type {Readable} from 'node:stream'
import {
  AGENT_UNAVAILABLE,
  DATABASE_LOCKED,
  LOCK_TIMEOUT,
  SQLITE_LOCK_WAIT,
  STATE_CONTENTION,
  storageErrorOf,
  type StorageErrorKind,
} from '../locks/signatures.js'
import {KnownSignatureScanner, KNOWN_SIGNATURE_KINDS, type KnownSignatureKind} from '../locks/known-signatures.js'
import {engineCall, type DockerHandle} from './client.js'

/**
 * The families of failed-lock lines: `session-file-locked` (JSONL session write lock, to 2026.7, every form:
 * 10000/60000 ms, `pid=N`, `pid=N alive=… ageMs=…`, `owner=unknown`, `unknown`), and from 2026.8 (SQLite)
 * `database-locked` (`database is locked`, `SQLITE_BUSY`, `state database was busy`), `sqlite-lock-wait`
 * (`SQLite transaction lock wait failed`), `state-contention` (`another OpenClaw process owns state-lifecycle`,
 * gateway-lifecycle, state-handles, …) and `agent-unavailable` (`res ✗ agent … UNAVAILABLE`).
 */
export type LogSignatureKind = 'session-file-locked' | 'database-locked' | 'sqlite-lock-wait' | 'state-contention' | 'agent-unavailable'

/**
 * A line is counted once, under the first family that matches in this order: the most specific first, so a
 * `res ✗ agent … UNAVAILABLE errorMessage=… database is locked` line counts as `database-locked`.
 */
export const LOG_SIGNATURES: readonly [LogSignatureKind, RegExp][] = [
  ['session-file-locked', LOCK_TIMEOUT],
  ['sqlite-lock-wait', SQLITE_LOCK_WAIT],
  ['state-contention', STATE_CONTENTION],
  ['database-locked', DATABASE_LOCKED],
  ['agent-unavailable', AGENT_UNAVAILABLE],
]

export interface LockTimeoutSignature {
  /**
   * Failed-lock-turn lines of all families (the sum of `bySignature`), one per line even when a line names two
   * families. Lines, not turns: one failed turn can log more than one line (e.g. a `SQLite transaction lock wait
   * failed` warning and then `res ✗ agent … UNAVAILABLE`), and turns run by `docker exec` do not reach
   * `docker logs` at all (they report on the exec's stderr and in the container's `/tmp/openclaw/` file log).
   */
  count: number
  /** Docker timestamp of the first and the last counted line, of any family (null without timestamps). */
  first: string | null
  last: string | null
  /** `session-file-locked` lines only: the acquire timeouts, pids and lock paths named, and the lines without a pid. */
  timeoutsMs: number[]
  pids: number[]
  ownerUnknown: number
  paths: string[]
  /** Lines per family; every family is present, 0 when not seen. */
  bySignature: Record<LogSignatureKind, number>
  /** `state-contention` lines: the coordinator families named (`state-lifecycle`, `gateway-lifecycle`, …). */
  contention: string[]
  /**
   * Known upstream failure modes (src/locks/known-signatures.ts), counted apart from the families above (their lock
   * lines still count there): occurrences and the lock pids named. Every kind is present.
   */
  diagnoses: Record<KnownSignatureKind, {count: number; lockPids: number[]}>
  /**
   * Storage error lines (a full, read-only or failing state filesystem: signatures.ts STORAGE_ERRORS), counted apart
   * from the lock families: such a line is no lock error, even as `res ✗ agent … UNAVAILABLE errorMessage=… database or
   * disk is full`. `last` is the Docker timestamp of the last one, `line` its text (trimmed), `kind` its kind.
   */
  storage: {count: number; last: string | null; kind: StorageErrorKind | null; line: string | null}
  /** Null when every line asked for was read; otherwise how the read was capped: the counts are lower bounds. */
  capped: LogCapped | null
}

const ANSI = /\x1b\[[0-9;]*m/g

/** Pure: the family of one log line, or null when it records no failed lock turn. ANSI colours are ignored. */
export function lineSignature(line: string): {kind: LogSignatureKind; match: RegExpExecArray} | null {
  const plain = line.replace(ANSI, '')
  // A storage error is the disk, not a lock, even when the gateway answers it as `res ✗ agent … UNAVAILABLE`.
  if (storageErrorOf(plain)) return null
  for (const [kind, re] of LOG_SIGNATURES) {
    const match = re.exec(plain)
    if (match) return {kind, match}
  }
  return null
}

const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\S+)\s/

/** Pure: a log line's Docker RFC3339 timestamp prefix (null when it has none) and the text after it. */
export function splitTimestamp(line: string): {ts: string | null; text: string} {
  const m = TIMESTAMP.exec(line)
  return m ? {ts: m[1], text: line.slice(m[0].length)} : {ts: null, text: line}
}

/**
 * The lock signature counted line by line, so that nothing holds the log: `add` each line (without its timestamp,
 * which is given apart) in log order, then `result`. `gatewayPids`: the gateway's pids in its container when known
 * (a fallback waiting on another pid's lock is not fallback-reuses-locked-session).
 */
export class LockSignatureAccumulator {
  private readonly sig: LockTimeoutSignature
  private readonly known: KnownSignatureScanner
  constructor(gatewayPids: readonly number[] | null = null) {
    const bySignature = Object.fromEntries(LOG_SIGNATURES.map(([kind]) => [kind, 0])) as Record<LogSignatureKind, number>
    const diagnoses = Object.fromEntries(KNOWN_SIGNATURE_KINDS.map((k) => [k, {count: 0, lockPids: [] as number[]}])) as LockTimeoutSignature['diagnoses']
    const storage = {count: 0, last: null, kind: null, line: null}
    this.sig = {
      count: 0,
      first: null,
      last: null,
      timeoutsMs: [],
      pids: [],
      ownerUnknown: 0,
      paths: [],
      bySignature,
      contention: [],
      diagnoses,
      storage,
      capped: null,
    }
    this.known = new KnownSignatureScanner(gatewayPids)
  }

  add(line: string, ts: string | null = null): void {
    const sig = this.sig
    for (const hit of this.known.push(line)) {
      sig.diagnoses[hit.kind].count++
      if (hit.lockPid !== null) add(sig.diagnoses[hit.kind].lockPids, hit.lockPid)
    }
    const plain = line.replace(ANSI, '')
    const storage = storageErrorOf(plain)
    if (storage) {
      sig.storage = {count: sig.storage.count + 1, last: ts ?? sig.storage.last, kind: storage, line: plain.trim().slice(0, 300)}
      return
    }
    const found = lineSignature(line)
    if (!found) return
    const {kind, match: m} = found
    sig.count++
    sig.bySignature[kind]++
    if (ts) {
      sig.first ??= ts
      sig.last = ts
    }
    if (kind === 'state-contention') {
      if (m[1]) add(sig.contention, m[1].toLowerCase())
    } else if (kind === 'session-file-locked') {
      add(sig.timeoutsMs, Number(m[1]))
      if (m[2]) add(sig.pids, Number(m[2]))
      else sig.ownerUnknown++
      add(sig.paths, m[3])
    }
  }

  result(capped: LogCapped | null = null): LockTimeoutSignature {
    return {...this.sig, storage: {...this.sig.storage}, capped}
  }
}

/**
 * Pure: scans log text (lines optionally prefixed with a Docker RFC3339 timestamp), with LockSignatureAccumulator.
 * `gatewayPids`: the gateway's pids in its container when known.
 */
export function lockTimeoutSignature(text: string, gatewayPids: readonly number[] | null = null): LockTimeoutSignature {
  const acc = new LockSignatureAccumulator(gatewayPids)
  for (const line of text.split('\n')) {
    const {ts, text: rest} = splitTimestamp(line)
    acc.add(rest, ts)
  }
  return acc.result()
}

function add<T>(list: T[], v: T) {
  if (!list.includes(v)) list.push(v)
}

/**
 * Incremental demultiplexer of Docker's log stream: frames of an 8-byte header (stream 0/1/2, three zero bytes,
 * payload size as a big-endian uint32) and the payload. Chunks may split a header or a payload anywhere. A TTY
 * container's stream has no headers: `tty` says so when known; otherwise the first 4 bytes decide (a header starts
 * with 0, 1 or 2 and three zero bytes; a timestamped or text line does not). `frames`: the headers read.
 */
export class FrameDemuxer {
  private mode: 'sniff' | 'mux' | 'raw'
  private readonly head = Buffer.alloc(8)
  private headLen = 0
  private left = 0
  private stream = 1
  frames = 0
  constructor(tty?: boolean) {
    this.mode = tty === undefined ? 'sniff' : tty ? 'raw' : 'mux'
  }

  get multiplexed(): boolean {
    return this.mode === 'mux'
  }

  /** Feeds a chunk; `out` gets each run of payload bytes with its stream (1 for a TTY stream). */
  push(chunk: Buffer, out: (stream: number, payload: Buffer) => void): void {
    let off = 0
    if (this.mode === 'sniff') {
      off = Math.min(4 - this.headLen, chunk.length)
      chunk.copy(this.head, this.headLen, 0, off)
      this.headLen += off
      if (this.headLen < 4) return
      const h = this.head
      if (h[0] <= 2 && h[1] === 0 && h[2] === 0 && h[3] === 0) this.mode = 'mux'
      else {
        this.mode = 'raw'
        this.headLen = 0
        out(1, Buffer.from(h.subarray(0, 4)))
      }
    }
    if (this.mode === 'raw') {
      if (off < chunk.length) out(1, chunk.subarray(off))
      return
    }
    while (off < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - off)
        out(this.stream, chunk.subarray(off, off + n))
        off += n
        this.left -= n
        continue
      }
      const n = Math.min(8 - this.headLen, chunk.length - off)
      chunk.copy(this.head, this.headLen, off, off + n)
      this.headLen += n
      off += n
      if (this.headLen === 8) {
        this.stream = this.head[0]
        this.left = this.head.readUInt32BE(4)
        this.headLen = 0
        this.frames++
      }
    }
  }

  /** At the end of the stream: a stream shorter than 4 bytes was text. */
  end(out: (stream: number, payload: Buffer) => void): void {
    if (this.mode === 'sniff' && this.headLen > 0) out(1, Buffer.from(this.head.subarray(0, this.headLen)))
    this.mode = this.mode === 'sniff' ? 'raw' : this.mode
    this.headLen = 0
  }
}

/** The longest line kept whole; the rest of a longer line is dropped (the line still counts). */
export const MAX_LINE_BYTES = 64 * 1024

/**
 * Incremental line splitter on bytes (a multi-byte character split across chunks stays whole): `emit` gets each
 * complete line without its newline, and may return false to stop. A line longer than maxLineBytes is cut there.
 */
export class LineSplitter {
  private parts: Buffer[] = []
  private size = 0
  private pending = false
  constructor(private readonly maxLineBytes = MAX_LINE_BYTES) {}

  /** False when `emit` asked to stop. */
  push(buf: Buffer, emit: (line: Buffer) => boolean | void): boolean {
    let off = 0
    while (off < buf.length) {
      const nl = buf.indexOf(10, off)
      this.keep(buf.subarray(off, nl === -1 ? buf.length : nl))
      if (nl === -1) return true
      off = nl + 1
      if (this.flush(emit) === false) return false
    }
    return true
  }

  /** At the end of the stream: the last line when it had no newline. */
  end(emit: (line: Buffer) => boolean | void): boolean {
    return this.pending ? this.flush(emit) !== false : true
  }

  private keep(b: Buffer) {
    this.pending = true
    const room = this.maxLineBytes - this.size
    if (room <= 0 || b.length === 0) return
    const part = b.length > room ? b.subarray(0, room) : b
    this.parts.push(part)
    this.size += part.length
  }

  private flush(emit: (line: Buffer) => boolean | void): boolean | void {
    const line = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size)
    this.parts = []
    this.size = 0
    this.pending = false
    return emit(line)
  }
}

/** Demultiplexes a whole (small) non-TTY Docker log buffer (8-byte frame headers) into text. */
export function demuxLogBuffer(buf: Buffer): string {
  const parts: Buffer[] = []
  const demux = new FrameDemuxer()
  demux.push(buf, (_, payload) => parts.push(payload))
  demux.end((_, payload) => parts.push(payload))
  return Buffer.concat(parts).toString('utf8')
}

/**
 * How a read was capped: `bytes` (maxBytes read, later lines not), `lines` (the engine sent its last maxLines lines,
 * and older ones since the start of the read may exist), `time` (the read started at a time window, after the start
 * of what was asked, e.g. of the incarnation), `timeout` (the read was cut at its timeout).
 */
export type LogCap = 'bytes' | 'lines' | 'time' | 'timeout'

export interface LogCapped {
  by: LogCap
  /** What the read covers: from (the start of the window, or the first line read) through the last line read. */
  from: string | null
  through: string | null
  lines: number
  bytes: number
}

/** Receives each line (its Docker timestamp cut off and given apart); `stop` ends the read. */
export type LineHandler = (line: string, ts: string | null) => void | 'stop'

export interface LogLimits {
  /** Bytes of stream read at most (headers included). */
  maxBytes: number
  /** Lines asked of the engine (`tail`): the last ones since the start of the read. */
  maxLines: number
}

/**
 * Defaults: a gateway logs a few hundred bytes a line, so 20000 lines (a busy day) is about 4-6 MiB, within the
 * byte cap; the engine reads them backwards from the end of the file whatever its size.
 */
export const LOG_LIMITS: LogLimits = {maxBytes: 8 * 1024 * 1024, maxLines: 20_000}

/** The time window of a read of the current incarnation: its start, or this long ago when that is later. */
export const LOG_WINDOW_MS = 24 * 3600_000

/** The outcome of a read (pure part: LogLineReader; I/O: streamContainerLog). */
export interface LogRead {
  /** Stream bytes read (headers included) and lines given to the callback. */
  bytes: number
  lines: number
  /** Log entries the engine sent that were seen (frames; lines of a TTY stream), including lines after `untilMs`. */
  entries: number
  capped: LogCapped | null
  /** The callback said `stop` (the read is complete for its purpose). */
  stopped: boolean
  /** Docker timestamps of the first and last line given to the callback. */
  firstTs: string | null
  lastTs: string | null
}

/**
 * Pure: the stream of one log read, chunk by chunk: demultiplexes, splits lines per stream (stdout and stderr frames
 * interleave), cuts timestamps, drops lines after `untilMs`, gives the others to `onLine`, and enforces the byte cap.
 */
export class LogLineReader {
  bytes = 0
  lines = 0
  stopped = false
  byteCapped = false
  firstTs: string | null = null
  lastTs: string | null = null
  private rawLines = 0
  private readonly demux: FrameDemuxer
  private readonly splitters = new Map<number, LineSplitter>()
  private readonly maxBytes: number
  private readonly untilMs: number | null
  private readonly maxLineBytes: number

  constructor(
    private readonly onLine: LineHandler,
    opts: {maxBytes: number; untilMs?: number | null; tty?: boolean; maxLineBytes?: number},
  ) {
    this.demux = new FrameDemuxer(opts.tty)
    this.maxBytes = opts.maxBytes
    this.untilMs = opts.untilMs ?? null
    this.maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES
  }

  get done(): boolean {
    return this.stopped || this.byteCapped
  }

  /** Entries seen: frames of a multiplexed stream, lines of a TTY one. */
  get entries(): number {
    return this.demux.multiplexed ? this.demux.frames : this.rawLines
  }

  /** Feeds a chunk; false once no more is wanted (the callback stopped, or the byte cap was reached). */
  push(chunk: Buffer): boolean {
    if (this.done) return false
    let piece = chunk
    if (this.bytes + chunk.length > this.maxBytes) {
      piece = chunk.subarray(0, this.maxBytes - this.bytes)
      this.byteCapped = true
    }
    this.bytes += piece.length
    this.demux.push(piece, this.payload)
    return !this.done
  }

  /** At the end of the stream (not after a cap or a stop: a line cut there is not whole). */
  end(): void {
    if (this.done) return
    this.demux.end(this.payload)
    for (const s of this.splitters.values()) if (!this.stopped) s.end(this.line)
  }

  result(capped: LogCapped | null): LogRead {
    return {bytes: this.bytes, lines: this.lines, entries: this.entries, capped, stopped: this.stopped, firstTs: this.firstTs, lastTs: this.lastTs}
  }

  private readonly payload = (stream: number, payload: Buffer): void => {
    if (this.stopped) return
    let s = this.splitters.get(stream)
    if (!s) this.splitters.set(stream, (s = new LineSplitter(this.maxLineBytes)))
    s.push(payload, this.line)
  }

  private readonly line = (buf: Buffer): boolean => {
    this.rawLines++
    // A TTY ends its lines with CRLF.
    const {ts, text} = splitTimestamp(buf.toString('utf8', 0, buf.length > 0 && buf[buf.length - 1] === 13 ? buf.length - 1 : buf.length))
    if (this.untilMs !== null && ts !== null && Date.parse(ts) > this.untilMs) return true
    this.lines++
    if (ts !== null) {
      this.firstTs ??= ts
      this.lastTs = ts
    }
    if (this.onLine(text, ts) === 'stop') {
      this.stopped = true
      return false
    }
    return true
  }
}

/** What part of a log to read: lines logged since sinceMs (null: from the start of the log) up to untilMs. */
export interface LogRange {
  sinceMs: number | null
  untilMs?: number | null
  /** The range starts at a time window that is later than what the caller asked for (e.g. the incarnation's start). */
  windowed?: boolean
}

/** Pure: the current incarnation's range, bounded by a window: since max(startedAt, now - window). */
export function incarnationRange(startedAtMs: number | null, nowMs: number, windowMs = LOG_WINDOW_MS): LogRange {
  const windowStart = nowMs - windowMs
  if (startedAtMs === null || startedAtMs < windowStart) return {sinceMs: windowStart, windowed: true}
  return {sinceMs: startedAtMs}
}

/** Pure: how a read was capped, by precedence: timeout, bytes, lines (the engine sent all it was asked), the window. */
export function readCap(
  read: Pick<LogRead, 'stopped' | 'entries' | 'lines' | 'bytes' | 'firstTs' | 'lastTs'>,
  o: {timedOut: boolean; byteCapped: boolean; maxLines: number; range: LogRange},
): LogCapped | null {
  const by: LogCap | null = o.timedOut
    ? 'timeout'
    : o.byteCapped
      ? 'bytes'
      : read.stopped
        ? null
        : read.entries >= o.maxLines
          ? 'lines'
          : o.range.windowed
            ? 'time'
            : null
  if (by === null) return null
  const from = by === 'time' && o.range.sinceMs !== null ? new Date(o.range.sinceMs).toISOString() : read.firstTs
  return {by, from, through: read.lastTs, lines: read.lines, bytes: read.bytes}
}

/** Pure: one line for reports: what a capped count covers. */
export function cappedText(c: LogCapped): string {
  const span = `${c.from ?? '?'} to ${c.through ?? '?'}`
  switch (c.by) {
    case 'time':
      return `counted since ${c.from ?? '?'} only (the log window), not since the start`
    case 'lines':
      return `counted over the last ${c.lines} lines only (${span}): older lines not read`
    case 'bytes':
      return `counted over ${(c.bytes / 1024 ** 2).toFixed(1)} MiB of log only (${span}): later lines not read`
    case 'timeout':
      return `the log read timed out after ${c.lines} lines (${span}): the rest not read`
  }
}

export interface LogReadOptions extends LogRange, Partial<LogLimits> {
  /** Default: the handle's Docker timeout. */
  timeoutMs?: number
  /** Whether the container has a TTY (no frame headers), when known; otherwise the stream says. */
  tty?: boolean
}

/** The engine's `since`: seconds with a fraction (the API takes `<seconds>.<fraction>`). */
const sinceParam = (ms: number) => (ms / 1000).toFixed(3)

/**
 * Reads a container's log (stdout and stderr, with timestamps) as a bounded stream: the last `maxLines` lines since
 * `sinceMs` (the engine's `tail` with `since`), up to `maxBytes`, lines after `untilMs` dropped, each line to
 * `onLine` as it arrives, nothing kept. The stream is destroyed at the byte cap, when `onLine` returns `stop`, and at
 * the timeout (the result then says `capped.by: 'timeout'`; a timeout before the engine answered is an error).
 */
export async function streamContainerLog(handle: DockerHandle, container: string, opts: LogReadOptions, onLine: LineHandler): Promise<LogRead> {
  const maxLines = opts.maxLines ?? LOG_LIMITS.maxLines
  const maxBytes = opts.maxBytes ?? LOG_LIMITS.maxBytes
  const timeoutMs = opts.timeoutMs ?? handle.timeoutMs
  const reader = new LogLineReader(onLine, {maxBytes, untilMs: opts.untilMs, tty: opts.tty})
  const query = {stdout: true, stderr: true, timestamps: true, follow: false, tail: maxLines, ...(opts.sinceMs ? {since: sinceParam(opts.sinceMs)} : {})}
  const read = new Promise<LogRead>((resolve, reject) => {
    const abort = new AbortController()
    let stream: Readable | null = null
    let settled = false
    const settle = () => {
      settled = true
      clearTimeout(timer)
      stream?.destroy()
    }
    const finish = (timedOut: boolean) => {
      if (settled) return
      settle()
      if (!timedOut) reader.end()
      const r = reader.result(null)
      resolve({...r, capped: readCap(r, {timedOut, byteCapped: reader.byteCapped, maxLines, range: opts})})
    }
    const fail = (error: Error) => {
      if (settled) return
      settle()
      abort.abort()
      reject(error)
    }
    const timer = setTimeout(
      () => (stream ? finish(true) : fail(Object.assign(new Error(`Timed out after ${timeoutMs} ms (logs of ${container})`), {code: 'ETIMEDOUT'}))),
      timeoutMs,
    )
    handle.docker.modem.dial(
      {
        path: `/containers/${container}/logs?`,
        method: 'GET',
        isStream: true,
        abortSignal: abort.signal,
        statusCodes: {200: true, 404: 'no such container', 500: 'server error'},
        options: query,
      },
      (error, result) => {
        if (error) return fail(error as Error)
        const res = result as Readable
        if (settled) return void res.destroy()
        stream = res
        res.on('data', (chunk: Buffer) => {
          if (!reader.push(chunk)) finish(false)
        })
        res.on('end', () => finish(false))
        res.on('error', (e: Error) => fail(e))
      },
    )
  })
  return engineCall(handle, `logs of ${container}`, () => read, timeoutMs)
}

/**
 * A bounded tail of the log across incarnations: the lines logged in the last `lastMs` (whatever the current start),
 * optionally up to `untilMs` (e.g. the current start, for the previous incarnations only), with the same caps.
 * Classifying the lines is the caller's.
 */
export function recentContainerLog(
  handle: DockerHandle,
  container: string,
  opts: {lastMs: number; nowMs?: number; untilMs?: number | null} & Partial<LogLimits> & {timeoutMs?: number},
  onLine: LineHandler,
): Promise<LogRead> {
  const {lastMs, nowMs, ...rest} = opts
  return streamContainerLog(handle, container, {...rest, sinceMs: (nowMs ?? Date.now()) - lastMs}, onLine)
}

/** The lock signature of a range of a container's log, counted as the lines stream by. */
export async function containerLockSignature(
  handle: DockerHandle,
  container: string,
  range: LogRange,
  opts: {gatewayPids?: readonly number[] | null} & Partial<LogLimits> & {timeoutMs?: number} = {},
): Promise<LockTimeoutSignature> {
  const acc = new LockSignatureAccumulator(opts.gatewayPids ?? null)
  const read = await streamContainerLog(handle, container, {...opts, ...range}, (line, ts) => acc.add(line, ts))
  return acc.result(read.capped)
}

/** The lock signature of a container's current incarnation: since its start, within the log window. */
export function incarnationLockSignature(
  handle: DockerHandle,
  c: {name: string; startedAtMs: number | null},
  opts: {gatewayPids?: readonly number[] | null; nowMs?: number; windowMs?: number} & Partial<LogLimits> & {timeoutMs?: number} = {},
): Promise<LockTimeoutSignature> {
  const {nowMs, windowMs, ...rest} = opts
  return containerLockSignature(handle, c.name, incarnationRange(c.startedAtMs, nowMs ?? Date.now(), windowMs), rest)
}

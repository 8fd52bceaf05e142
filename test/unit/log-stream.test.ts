// The bounded log reader: the incremental demultiplexer and line splitter (frames split anywhere, TTY streams), the
// caps, the accumulator against the whole-text signature, and streamContainerLog's I/O glue on a fake engine.
import {readFileSync} from 'node:fs'
import {PassThrough} from 'node:stream'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {
  cappedText,
  containerLockSignature,
  FrameDemuxer,
  incarnationRange,
  LineSplitter,
  LockSignatureAccumulator,
  lockTimeoutSignature,
  LogLineReader,
  LOG_WINDOW_MS,
  readCap,
  recentContainerLog,
  streamContainerLog,
  type LogCapped,
} from '../../src/docker/logs.js'
import type {DockerHandle} from '../../src/docker/client.js'
import {clockSkewMs} from '../../src/doctor/doctor.js'

const fixture = readFileSync(new URL('../fixtures/gateway-log-lines.txt', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)

const frame = (stream: number, payload: string | Buffer) => {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload)
  const head = Buffer.alloc(8)
  head[0] = stream
  head.writeUInt32BE(body.length, 4)
  return Buffer.concat([head, body])
}

/** Feeds buf to a fresh reader in the given chunk sizes (cycled); the lines it gave, with their timestamps. */
function readAll(buf: Buffer, sizes: number[], opts: {maxBytes?: number; untilMs?: number | null; tty?: boolean; maxLineBytes?: number; stopAt?: number} = {}) {
  const got: [string, string | null][] = []
  const reader = new LogLineReader(
    (line, ts) => {
      got.push([line, ts])
      if (opts.stopAt !== undefined && got.length >= opts.stopAt) return 'stop'
    },
    {maxBytes: opts.maxBytes ?? Number.MAX_SAFE_INTEGER, untilMs: opts.untilMs, tty: opts.tty, maxLineBytes: opts.maxLineBytes},
  )
  let off = 0
  let i = 0
  let more = true
  while (off < buf.length && more) {
    const n = Math.max(1, sizes.length > 0 ? sizes[i++ % sizes.length] : buf.length)
    more = reader.push(buf.subarray(off, off + n))
    off += n
  }
  if (more) reader.end()
  return {got, reader}
}

const TS = (s: number) => `2026-12-04T03:00:${String(s).padStart(2, '0')}.123456789Z`
const line = fc.string({unit: fc.constantFrom('a', 'é', '✗', ' ', '[', '\t', '0', 'z', '€'), maxLength: 40})

describe('FrameDemuxer + LineSplitter', () => {
  const lines = ['first line', '', 'é✗€ multi-byte', 'stderr here', 'last']
  const streams = [1, 1, 2, 2, 1]
  const muxed = Buffer.concat(lines.map((l, i) => frame(streams[i], `${TS(i)} ${l}\n`)))
  const want = lines.map((l, i) => [l, TS(i)])

  it('a multiplexed stream split at every byte boundary gives the same lines', () => {
    for (let cut = 0; cut <= muxed.length; cut++) expect(readAll(muxed, [cut, muxed.length]).got).toEqual(want)
    expect(readAll(muxed, [1]).got).toEqual(want)
  })

  it('property: any chunking of frames gives the lines in order, per stream, and counts the frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(1, 2), line), {maxLength: 30}),
        fc.array(fc.integer({min: 1, max: 23}), {minLength: 1, maxLength: 10}),
        (entries, sizes) => {
          const buf = Buffer.concat(entries.map(([s, l], i) => frame(s, `${TS(i % 60)} ${l}\n`)))
          const {got, reader} = readAll(buf, sizes)
          expect(got).toEqual(entries.map(([, l], i) => [l, TS(i % 60)]))
          expect(reader.entries).toBe(entries.length)
        },
      ),
    )
  })

  it('a line split over two frames of one stream, with the other stream between, stays one line', () => {
    const buf = Buffer.concat([frame(1, `${TS(1)} out-`), frame(2, `${TS(2)} err\n`), frame(1, 'continued\n')])
    expect(readAll(buf, [3]).got).toEqual([
      ['err', TS(2)],
      ['out-continued', TS(1)],
    ])
  })

  it('a TTY stream (no headers) is text, whatever the chunking; known or sniffed', () => {
    const text = Buffer.from(lines.map((l, i) => `${TS(i)} ${l}\n`).join(''))
    for (let cut = 0; cut <= text.length; cut++) expect(readAll(text, [cut, text.length]).got).toEqual(want)
    expect(readAll(text, [2], {tty: true}).got).toEqual(want)
    expect(readAll(Buffer.from('ab'), [1]).got).toEqual([['ab', null]])
    expect(readAll(Buffer.from(`${TS(1)} crlf\r\n\r\n`), [3], {tty: true}).got).toEqual([
      ['crlf', TS(1)],
      ['', null],
    ])
  })

  it('zero-length frames and a last line without newline', () => {
    const buf = Buffer.concat([frame(1, ''), frame(1, `${TS(3)} x\n`), frame(2, ''), frame(1, `${TS(4)} tail`)])
    expect(readAll(buf, [5]).got).toEqual([
      ['x', TS(3)],
      ['tail', TS(4)],
    ])
  })

  it('a line longer than maxLineBytes is cut, and the next line is whole', () => {
    const long = 'x'.repeat(5000)
    const buf = Buffer.concat([frame(1, `${TS(1)} ${long}`), frame(1, `${long}\n`), frame(1, `${TS(2)} next\n`)])
    const {got} = readAll(buf, [700], {maxLineBytes: 1000})
    expect(got).toEqual([
      ['x'.repeat(1000 - TS(1).length - 1), TS(1)],
      ['next', TS(2)],
    ])
  })

  it('LineSplitter: emit may stop the split', () => {
    const s = new LineSplitter()
    const seen: string[] = []
    expect(s.push(Buffer.from('a\nb\nc\n'), (l) => (seen.push(l.toString()), seen.length < 2))).toBe(false)
    expect(seen).toEqual(['a', 'b'])
  })

  it('FrameDemuxer with tty false never sniffs', () => {
    const out: number[] = []
    const d = new FrameDemuxer(false)
    d.push(frame(2, 'e\n'), (s) => out.push(s))
    expect(out).toEqual([2])
    expect(d.frames).toBe(1)
  })
})

describe('caps', () => {
  const entries = Array.from({length: 50}, (_, i) => frame(1, `${TS(i)} line ${i}\n`))
  const buf = Buffer.concat(entries)

  it('the byte cap: only whole lines within maxBytes, and no more input wanted', () => {
    const max = entries[0].length * 10 + 5
    const {got, reader} = readAll(buf, [7], {maxBytes: max})
    expect(got).toHaveLength(10)
    expect(reader.byteCapped).toBe(true)
    expect(reader.bytes).toBe(max)
    expect(reader.push(Buffer.from('more'))).toBe(false)
  })

  it('property: below the cap nothing is capped; above it, the lines given are a prefix', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: buf.length + 10}), fc.integer({min: 1, max: 97}), (max, size) => {
        const {got, reader} = readAll(buf, [size], {maxBytes: max})
        expect(reader.byteCapped).toBe(buf.length > max)
        let end = 0
        expect(got.length).toBe(entries.filter((e) => (end += e.length) <= max).length)
      }),
    )
  })

  it('stop from the callback ends the read, and it is not a cap', () => {
    const {got, reader} = readAll(buf, [13], {stopAt: 3})
    expect(got.map(([l]) => l)).toEqual(['line 0', 'line 1', 'line 2'])
    expect(reader.stopped).toBe(true)
    expect(readCap(reader.result(null), {timedOut: false, byteCapped: false, maxLines: 3, range: {sinceMs: 0}})).toBeNull()
  })

  it('until: later lines are not given but are counted as entries', () => {
    const {got, reader} = readAll(buf, [31], {untilMs: Date.parse(TS(9))})
    expect(got).toHaveLength(10)
    expect(reader.entries).toBe(50)
  })

  const read = (entriesSeen: number) => ({stopped: false, entries: entriesSeen, lines: entriesSeen, bytes: 100, firstTs: TS(1), lastTs: TS(2)})
  it.each([
    ['all sent below the tail: complete', read(10), {timedOut: false, byteCapped: false, maxLines: 20, range: {sinceMs: 1}}, null],
    ['the engine sent maxLines: older lines may exist', read(20), {timedOut: false, byteCapped: false, maxLines: 20, range: {sinceMs: 1}}, 'lines'],
    ['the window started after the start asked for', read(5), {timedOut: false, byteCapped: false, maxLines: 20, range: {sinceMs: 1, windowed: true}}, 'time'],
    ['bytes before lines', read(20), {timedOut: false, byteCapped: true, maxLines: 20, range: {sinceMs: 1}}, 'bytes'],
    ['timeout before everything', read(20), {timedOut: true, byteCapped: true, maxLines: 20, range: {sinceMs: 1, windowed: true}}, 'timeout'],
  ] as const)('readCap: %s', (_, r, o, want) => expect(readCap(r, o)?.by ?? null).toBe(want))

  it('a time cap covers from the window start; the others from the first line read', () => {
    expect(
      readCap(read(5), {timedOut: false, byteCapped: false, maxLines: 20, range: {sinceMs: Date.parse('2026-12-03T00:00:00Z'), windowed: true}})?.from,
    ).toBe('2026-12-03T00:00:00.000Z')
    expect(readCap(read(20), {timedOut: false, byteCapped: false, maxLines: 20, range: {sinceMs: 1}})).toEqual({
      by: 'lines',
      from: TS(1),
      through: TS(2),
      lines: 20,
      bytes: 100,
    })
  })

  it.each([
    [{by: 'time', from: 'T0', through: 'T1', lines: 3, bytes: 9}, /since T0 only \(the log window\)/],
    [{by: 'lines', from: 'T0', through: 'T1', lines: 20000, bytes: 9}, /last 20000 lines only \(T0 to T1\): older lines not read/],
    [{by: 'bytes', from: 'T0', through: 'T1', lines: 5, bytes: 8 * 1024 ** 2}, /8\.0 MiB of log only \(T0 to T1\): later lines not read/],
    [{by: 'timeout', from: null, through: null, lines: 0, bytes: 0}, /timed out after 0 lines \(\? to \?\)/],
  ] as [LogCapped, RegExp][])('cappedText %j', (c, re) => expect(cappedText(c)).toMatch(re))

  it.each([
    ['a recent start: since the start', 1_000_000, 2_000_000, {sinceMs: 1_000_000}],
    ['an old start: the window', 0, LOG_WINDOW_MS + 5, {sinceMs: 5, windowed: true}],
    ['no start known: the window', null, LOG_WINDOW_MS + 5, {sinceMs: 5, windowed: true}],
  ] as const)('incarnationRange: %s', (_, start, now, want) => expect(incarnationRange(start, now)).toEqual(want))
})

describe('the accumulator against the whole-text signature', () => {
  const noise = [
    '[gateway] ready',
    '[agent/embedded] run done session=x ok',
    '',
    'Gateway agent failed; falling back to embedded: Error: gateway timeout after 90000ms',
  ]
  const logLine = fc.tuple(fc.option(fc.integer({min: 0, max: 59}), {nil: null}), fc.constantFrom(...fixture, ...noise))

  it('property: same result for any text, framing and chunking', () => {
    fc.assert(
      fc.property(
        fc.array(logLine, {maxLength: 40}),
        fc.array(fc.integer({min: 1, max: 300}), {minLength: 1, maxLength: 8}),
        fc.option(fc.constantFrom([47321], [1]), {nil: null}),
        (ls, sizes, pids) => {
          const texts = ls.map(([s, l]) => (s === null ? l : `${TS(s)} ${l}`))
          const whole = lockTimeoutSignature(texts.join('\n'), pids)
          const acc = new LockSignatureAccumulator(pids)
          readAll(Buffer.concat(texts.map((t, i) => frame(1 + (i % 2), `${t}\n`))), sizes).got.forEach(([l, ts]) => acc.add(l, ts))
          expect(acc.result()).toEqual(whole)
        },
      ),
    )
  })

  it('the pure function says it was not capped; the accumulator passes the cap on', () => {
    expect(lockTimeoutSignature(fixture.join('\n')).capped).toBeNull()
    const cap: LogCapped = {by: 'lines', from: 'a', through: 'b', lines: 1, bytes: 1}
    expect(new LockSignatureAccumulator().result(cap).capped).toBe(cap)
  })
})

describe('doctor clock skew', () => {
  it.each([
    ['inside the probe', 150, 100, 200, 0],
    ['before it', 40, 100, 200, 60],
    ['after it', 260, 100, 200, 60],
  ])('%s', (_, container, asked, answered, want) => expect(clockSkewMs(container, asked, answered)).toBe(want))
})

/** A handle whose engine answers the logs request with `respond` (a stream, an error, or nothing at all). */
function fakeHandle(respond: (options: any) => PassThrough | Error | null, timeoutMs = 200) {
  const asked: any[] = []
  const handle = {
    label: 'fake',
    timeoutMs,
    docker: {
      modem: {
        dial(options: any, cb: (err: Error | null, res?: unknown) => void) {
          asked.push(options)
          const r = respond(options)
          if (r instanceof Error) setImmediate(() => cb(r))
          else if (r) setImmediate(() => cb(null, r))
        },
      },
    },
  } as unknown as DockerHandle
  return {handle, asked}
}

describe('streamContainerLog (fake engine)', () => {
  const lock = (n: number) => `${TS(n)} SessionWriteLockTimeoutError: session file locked (timeout 10000ms): pid=7 /s/${n}.jsonl.lock\n`

  it('asks the engine for a stream with tail, since and timestamps, and counts as it goes', async () => {
    const res = new PassThrough()
    const {handle, asked} = fakeHandle(() => res)
    const p = containerLockSignature(handle, 'c1', {sinceMs: 1_700_000_000_123}, {maxLines: 50})
    setImmediate(() => {
      res.write(frame(1, lock(1)).subarray(0, 5))
      res.end(Buffer.concat([frame(1, lock(1)).subarray(5), frame(2, lock(2))]))
    })
    const sig = await p
    expect(asked[0]).toMatchObject({
      path: '/containers/c1/logs?',
      method: 'GET',
      isStream: true,
      options: {stdout: true, stderr: true, timestamps: true, follow: false, tail: 50, since: '1700000000.123'},
    })
    expect(sig).toMatchObject({count: 2, first: TS(1), last: TS(2), capped: null})
  })

  it('a stream that never ends is destroyed at the timeout and the count says so', async () => {
    const res = new PassThrough()
    const {handle} = fakeHandle(() => res, 100)
    setImmediate(() => res.write(frame(1, lock(3))))
    const sig = await containerLockSignature(handle, 'c1', {sinceMs: 1})
    expect(sig.count).toBe(1)
    expect(sig.capped).toMatchObject({by: 'timeout', lines: 1})
    expect(res.destroyed).toBe(true)
  })

  it('an engine that never answers: a timeout error', async () => {
    const {handle} = fakeHandle(() => null, 100)
    await expect(streamContainerLog(handle, 'c1', {sinceMs: 1}, () => undefined)).rejects.toThrow(/Timed out after 100 ms/)
  })

  it('the byte cap destroys the stream; an engine error is an error', async () => {
    const res = new PassThrough()
    const {handle} = fakeHandle(() => res, 5000)
    setImmediate(() => res.write(Buffer.concat(Array.from({length: 100}, (_, i) => frame(1, lock(i % 60))))))
    const sig = await containerLockSignature(handle, 'c1', {sinceMs: 1}, {maxBytes: 1000})
    expect(sig.capped?.by).toBe('bytes')
    expect(sig.count).toBe(Math.floor(1000 / frame(1, lock(0)).length))
    expect(res.destroyed).toBe(true)
    const failing = fakeHandle(() => Object.assign(new Error('(HTTP code 404) no such container'), {statusCode: 404}))
    await expect(streamContainerLog(failing.handle, 'gone', {sinceMs: 1}, () => undefined)).rejects.toThrow(/no such container/)
  })

  it('recentContainerLog reads across incarnations: since now - lastMs, lines after until dropped', async () => {
    const res = new PassThrough()
    const {handle, asked} = fakeHandle(() => res)
    setImmediate(() => res.end(Buffer.concat([frame(1, `${TS(1)} old start refused\n`), frame(1, `${TS(5)} current\n`)])))
    const seen: string[] = []
    const r = await recentContainerLog(handle, 'c1', {lastMs: 600_000, nowMs: 1_700_000_600_000, untilMs: Date.parse(TS(3))}, (l) => void seen.push(l))
    expect(asked[0].options.since).toBe('1700000000.000')
    expect(seen).toEqual(['old start refused'])
    expect(r).toMatchObject({lines: 1, entries: 2, capped: null})
  })
})

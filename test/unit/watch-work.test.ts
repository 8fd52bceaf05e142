// fleet watch's work beside the scan loop (watch-work.ts) and what a scan's judgement may do (judged in
// watch-decide.ts): an instance with work in flight is observed and reported only; the others are acted on; restarts
// are bounded and start in order.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {decide, freshMemory, judged, type ScanReason, type WatchPolicy} from '../../src/decide/watch.js'
import {dropQueued, emptyBook, finish, isBusy, mayAct, runningRestarts, submit, type WorkBook, type WorkKind} from '../../src/watch/work.js'
import type {LockReport} from '../../src/observe/observe.js'
import type {Verdict} from '../../src/locks/types.js'
import {instanceStatus} from '../helpers/status.js'

describe('work in flight', () => {
  it('one piece of work per instance; a busy instance is refused and may not be acted on, the others may', () => {
    const a = submit(emptyBook(), {id: 1, kind: 'restart', since: 0}, 2)
    expect(a).toMatchObject({start: true})
    const book = a?.book as WorkBook
    expect(submit(book, {id: 1, kind: 'locks', since: 1}, 2)).toBeNull()
    expect(isBusy(book, 1)).toBe(true)
    expect(mayAct(book, 1, 5)).toBe(false)
    expect(mayAct(book, 2, 5)).toBe(true)
    expect(submit(book, {id: 2, kind: 'locks', since: 1}, 2)).toMatchObject({start: true})
  })

  it.each([
    // [what, limit, submits (id:kind), expected start per submit, running restarts after]
    ['restarts within the limit start at once', 2, ['1:r', '2:r'], [true, true], 2],
    ['a restart past the limit waits', 1, ['1:r', '2:r', '3:r'], [true, false, false], 1],
    ['clears and holder ends never wait for a restart slot', 1, ['1:r', '2:l', '3:l'], [true, true, true], 1],
    ['a limit below 1 is 1', 0, ['1:r', '2:r'], [true, false], 1],
  ] as const)('%s', (_name, limit, submits, starts, running) => {
    let book = emptyBook()
    const got: boolean[] = []
    for (const s of submits) {
      const [id, k] = s.split(':')
      const r = submit(book, {id: Number(id), kind: k === 'r' ? 'restart' : 'locks', since: 0}, limit)
      book = r?.book as WorkBook
      got.push(r?.start as boolean)
    }
    expect(got).toEqual(starts)
    expect(runningRestarts(book)).toBe(running)
  })

  it('a finished restart lets the next queued one start, first asked first', () => {
    let book = emptyBook()
    for (const id of [1, 2, 3]) book = (submit(book, {id, kind: 'restart', since: id}, 1) as {book: WorkBook}).book
    const f = finish(book, 1, 1, 100)
    expect(f.start).toEqual([2])
    expect(f.book.queue).toEqual([3])
    expect(f.book.work.get(2)?.stage).toBe('running')
    expect(finish(f.book, 2, 1, 200).start).toEqual([3])
  })

  it("an observation from before the instance's last work ended may not act (it may show what that work changed); a later one may", () => {
    const book = finish((submit(emptyBook(), {id: 1, kind: 'locks', since: 0}, 1) as {book: WorkBook}).book, 1, 1, 1000).book
    expect(isBusy(book, 1)).toBe(false)
    expect(mayAct(book, 1, 999)).toBe(false)
    expect(mayAct(book, 1, 1000)).toBe(true)
  })

  it('stopping drops the queued restarts (they never started) and keeps the running work', () => {
    let book = emptyBook()
    for (const id of [1, 2, 3]) book = (submit(book, {id, kind: 'restart', since: id}, 1) as {book: WorkBook}).book
    const {book: after, dropped} = dropQueued(book)
    expect(dropped.map((w) => w.id)).toEqual([2, 3])
    expect([...after.work.keys()]).toEqual([1])
    expect(after.queue).toEqual([])
  })

  it('property: any sequence of asks and ends keeps restarts within the limit, no slot idle while one waits, one piece of work per instance, the queue in order', () => {
    const op = fc.oneof(
      fc.record({ask: fc.integer({min: 1, max: 6}), kind: fc.constantFrom<WorkKind>('locks', 'restart')}),
      fc.record({end: fc.integer({min: 1, max: 6})}),
    )
    fc.assert(
      fc.property(fc.integer({min: 1, max: 3}), fc.array(op, {maxLength: 80}), (limit, ops) => {
        let book = emptyBook()
        const order: number[] = []
        let now = 0
        for (const o of ops) {
          now++
          if ('ask' in o) {
            const before = isBusy(book, o.ask)
            const r = submit(book, {id: o.ask, kind: o.kind, since: now}, limit)
            expect(r === null).toBe(before)
            if (r) {
              book = r.book
              if (!r.start) order.push(o.ask)
            }
          } else if (isBusy(book, o.end) && book.work.get(o.end)?.stage === 'running') {
            const r = finish(book, o.end, limit, now)
            expect(r.start).toEqual(order.slice(0, r.start.length))
            order.splice(0, r.start.length)
            book = r.book
            expect(isBusy(book, o.end)).toBe(false)
            expect(mayAct(book, o.end, now - 1)).toBe(false)
          }
          expect(runningRestarts(book)).toBeLessThanOrEqual(limit)
          if (book.queue.length > 0) expect(runningRestarts(book)).toBe(limit)
          expect(book.queue).toEqual(order)
          for (const id of book.queue) expect(book.work.get(id)).toMatchObject({kind: 'restart', stage: 'queued'})
          expect(new Set(book.queue).size).toBe(book.queue.length)
        }
      }),
      {numRuns: 1000},
    )
  })
})

const lock = (verdict: Verdict, p = '/s/a.jsonl.lock'): LockReport =>
  ({
    path: p,
    containerPath: '/c',
    kind: 'session',
    verdict,
    raw: '{"pid": 26}',
    pid: 26,
    ageMs: 1000,
    reasons: [],
    evidence: {container: 'c', containerRunning: true, containerStartedAt: null, mountedBy: ['c'], process: {pid: 26, exists: true}, probeError: null},
  }) as unknown as LockReport
const policy: WatchPolicy = {reportOnly: false, autoRestart: true, maxAttempts: 3, cooldownMs: 0, recoverAfterMs: 600_000, alertRecoveryMs: 2000}

describe('what a judgement may do', () => {
  // An instance seen twice with a stale lock and a hung one (restart wanted), and ping failing twice before.
  const st = instanceStatus([lock('stale'), lock('hung', '/s/b.jsonl.lock')], {state: 'running', ok: false})
  const mem0 = decide(st, false, {...freshMemory(), pingFailures: 1}, policy, 0).next
  const d = decide(st, false, mem0, policy, 1000)

  it.each([
    ['interval, free: everything', 'interval', true, ['clear', 'restart']],
    ['timed, free: everything (no ping of its own)', 'timed', true, ['clear', 'restart']],
    ['event, free: clears and ends only', 'event', true, ['clear']],
    ['interval, work in flight: announced only', 'interval', false, ['pending']],
    ['event, work in flight: announced only', 'event', false, ['pending']],
  ] as const)('%s', (_name, reason, free, want) => {
    const r = judged(reason, free, mem0, d)
    const wanted: readonly string[] = want
    expect(r.actions.map((a) => a.type).filter((t) => t !== 'alert' && t !== 'pending')).toEqual(wanted.filter((t) => t !== 'pending'))
    if (wanted.includes('pending')) expect(r.actions.map((a) => a.type)).toEqual(want)
  })

  it('with work in flight only the locks seen are remembered: no attempt, ping failure, healthy stretch or episode changes', () => {
    const r = judged('interval', false, mem0, d)
    expect(r.next).toEqual({...mem0, seen: d.next.seen})
    expect(d.next.attempts).toBe(mem0.attempts + 1)
    expect(r.next.attempts).toBe(mem0.attempts)
  })

  it('property: while work is in flight, no judgement (any scan, any reason, any memory) clears, ends or restarts, and the memory moves only in what it saw', () => {
    const verdicts: Verdict[] = ['live', 'stale', 'orphan', 'hung', 'conflict', 'unknown']
    fc.assert(
      fc.property(
        fc.array(fc.record({verdict: fc.constantFrom(...verdicts), n: fc.integer({min: 0, max: 2})}), {maxLength: 4}),
        fc.constantFrom<ScanReason>('interval', 'event', 'timed'),
        fc.constantFrom(true, false, null),
        fc.constantFrom('running', 'exited', 'restarting'),
        fc.integer({min: 0, max: 5}),
        (locks, reason, ping, state, pingFailures) => {
          const ls = locks.map((l) => lock(l.verdict, `/s/${l.n}-${l.verdict}.jsonl.lock`))
          const s = instanceStatus(ls, {state, ok: state === 'running' && ls.every((l) => l.verdict === 'live')})
          const mem = decide(s, ping, {...freshMemory(), pingFailures}, policy, 0).next
          const r = judged(reason, false, mem, decide(s, ping, mem, policy, 1000))
          expect(r.actions.every((a) => a.type === 'pending')).toBe(true)
          expect({...r.next, seen: mem.seen}).toEqual(mem)
        },
      ),
      {numRuns: 1000},
    )
  })
})

import {describe, expect, it} from 'vitest'
import {blocksTurns, fileLockReport, writerReports, type ReportContext} from '../../src/observe/lock-reports.js'
import type {LockFile, LockPolicy} from '../../src/locks/types.js'
import {parseLockPayload} from '../../src/locks/parse.js'

const policy: LockPolicy = {maxHoldMs: 300_000, orphanAfterMs: 120_000, deadlineMarginMs: 120_000, clockSkewMs: 2_000, malformedGraceMs: 5_000}
const NOW = Date.parse('2026-12-02T01:00:00Z')
const STARTED = NOW - 3_600_000
const ctx = (over: Partial<ReportContext> = {}): ReportContext => ({
  policy,
  c: null,
  running: true,
  container: {name: 'c', running: true, startedAtMs: STARTED},
  probe: {ok: true, processes: new Map(), source: 'exec', bootTimeMs: NOW - 86_400_000},
  now: NOW,
  ...over,
})
const deadLock = (name: string): LockFile => ({
  path: `/d/agents/main/sessions/${name}`,
  containerPath: `/s/agents/main/sessions/${name}`,
  kind: name === 'sessions.json.lock' ? 'store' : 'session',
  agent: 'main',
  session: name,
  size: 60,
  mtimeMs: STARTED - 86_400_000,
  raw: JSON.stringify({pid: 4242, createdAt: new Date(STARTED - 86_400_000).toISOString(), starttime: 1}, null, 2),
})

describe('lock reports', () => {
  it('a .jsonl.lock on an SQLite version is ignored litter, keeping what it would be on JSONL', () => {
    const f = deadLock('x.jsonl.lock')
    const r = fileLockReport(ctx(), f, parseLockPayload(f.raw!), ['c'], 'sqlite')
    expect(r).toMatchObject({verdict: 'ignored', legacyVerdict: 'stale'})
    expect(r.reasons[0]).toBe('legacy-ignored')
    expect(blocksTurns(r)).toBe(false)
  })

  it('the same lock on a JSONL version (or an unknown one) is judged as before', () => {
    const f = deadLock('sessions.json.lock')
    for (const storage of ['jsonl', null] as const) {
      const r = fileLockReport(ctx(), f, parseLockPayload(f.raw!), ['c'], storage)
      expect(r.verdict).toBe('stale')
      expect(r.legacyVerdict).toBeUndefined()
      expect(blocksTurns(r)).toBe(true)
    }
  })

  it('a writer that exited since the scan released its lock: no report; one outside the container: unknown', () => {
    const db = {agent: 'main', path: '/d/a.sqlite', containerPath: '/s/a.sqlite', db: null, shm: null, walMtimeMs: null}
    const lock = {
      type: 'POSIX',
      mode: 'WRITE' as const,
      pid: 900,
      major: 254,
      minor: 0,
      inode: 1,
      start: 120,
      end: 120,
      line: 'POSIX  ADVISORY  WRITE 900 fe:00:1 120 120',
    }
    const gone = ctx({probe: {ok: true, processes: new Map([[40, {pid: 40, exists: false}]]), source: 'host-proc'}})
    expect(writerReports(gone, [{db, pid: 40, lock}], ['c'])).toEqual([])
    const [foreign] = writerReports(ctx(), [{db, pid: 0, lock}], ['c'])
    expect(foreign).toMatchObject({kind: 'sqlite-writer', verdict: 'unknown', reasons: ['foreign-holder'], pid: null, raw: lock.line})
    expect(blocksTurns(foreign)).toBe(false)
  })

  // [case, report, blocks]
  const TABLE: [string, {verdict: any; reasons: any[]; kind: any}, boolean][] = [
    ['stale lock', {verdict: 'stale', reasons: ['dead-pid'], kind: 'session'}, true],
    ['orphan writer', {verdict: 'orphan', reasons: ['agent-process', 'past-deadline'], kind: 'sqlite-writer'}, true],
    ['live lock of a stopped holder', {verdict: 'live', reasons: ['stopped'], kind: 'session'}, true],
    ['live turn holding a lock file a long time', {verdict: 'live', reasons: ['long-hold'], kind: 'session'}, false],
    ['live writer holding the db a long time', {verdict: 'live', reasons: ['long-hold'], kind: 'sqlite-writer'}, true],
    ['the gateway writing', {verdict: 'live', reasons: [], kind: 'sqlite-writer'}, false],
    ['ignored legacy lock of a stopped holder', {verdict: 'ignored', reasons: ['legacy-ignored', 'stopped'], kind: 'session'}, false],
    ['unknown', {verdict: 'unknown', reasons: ['probe-failed'], kind: 'gateway'}, false],
    ['conflict', {verdict: 'conflict', reasons: ['shared-sessions-dir'], kind: 'gateway'}, true],
  ]
  it.each(TABLE)('blocksTurns: %s', (_n, r, blocks) => expect(blocksTurns(r)).toBe(blocks))
})

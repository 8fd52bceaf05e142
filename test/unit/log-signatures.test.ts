// The log signature of every lock family: the real lines of ../shared/fixtures/gateway-log-lines.txt (copied to
// test/fixtures) for `session file locked`, and for 2026.8+ lines in the shapes the 2026.9.6 dist writes them
// (gateway/ws-log `⇄ res ✗ <method> <ms> errorCode=… errorMessage=…`, the `sqlite/transaction` subsystem warning,
// `StateDatabaseCoordinatorContentionError`), with the messages quoted in openclaw-facts.md.
import {readFileSync} from 'node:fs'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {LOG_SIGNATURES, lineSignature, lockTimeoutSignature, type LogSignatureKind} from '../../src/docker/logs.js'
import {anyOf, STATE_CONTENTION} from '../../src/locks/signatures.js'

const fixture = readFileSync(new URL('../fixtures/gateway-log-lines.txt', import.meta.url), 'utf8')
const zero: Record<LogSignatureKind, number> = {
  'session-file-locked': 0,
  'database-locked': 0,
  'sqlite-lock-wait': 0,
  'state-contention': 0,
  'agent-unavailable': 0,
}

const SQLITE_LINES: [string, LogSignatureKind | null][] = [
  [
    '2026-12-02T10:00:01.000000000Z [sqlite/transaction] SQLite transaction lock wait failed async=false busyTimeoutMs=5000 databaseLabel=agent failureKind=lock-contention',
    'sqlite-lock-wait',
  ],
  ['2026-12-02T10:00:02.000000000Z Error: database is locked: code=ERR_SQLITE_ERROR', 'database-locked'],
  [
    'Agent run failed: the Gateway state database was busy (SQLite: database is locked). Retry; if it repeats, check Gateway storage health.',
    'database-locked',
  ],
  ['[gateway/ws] ⇄ res ✗ agent 5012ms errorCode=UNAVAILABLE errorMessage=Error: database is locked conn=1a2b3c4d…9f0e id=5e6f…7a8b', 'database-locked'],
  ['[gateway/ws] ⇄ res ✗ agent 15034ms errorCode=UNAVAILABLE errorMessage=agent run failed conn=1a2b3c4d…9f0e', 'agent-unavailable'],
  [
    '\x1b[33m⇄\x1b[39m \x1b[1mres\x1b[22m \x1b[91m✗\x1b[39m \x1b[1magent\x1b[22m \x1b[2m7001ms\x1b[22m \x1b[2merrorCode\x1b[22m=UNAVAILABLE',
    'agent-unavailable',
  ],
  ['StateDatabaseCoordinatorContentionError: another OpenClaw process owns state-lifecycle', 'state-contention'],
  ['Doctor could not enter maintenance: another OpenClaw process owns gateway-lifecycle', 'state-contention'],
  ['another OpenClaw process owns state-handles', 'state-contention'],
  // Not failed lock turns: a passing agent response, another method failing, gateway start-up, a stale-lock sweep.
  ['[gateway/ws] ⇄ res ✓ agent 812ms conn=1a2b3c4d…9f0e', null],
  ['[gateway/ws] ⇄ res ✗ health 3ms errorCode=UNAVAILABLE', null],
  ['[gateway] ready', null],
  ['removed stale session lock: /home/node/.openclaw/agents/main/sessions/9e051a52.jsonl.lock (dead-pid)', null],
]

/** Seen live on 2026.9.6 (docker logs) with its state filesystem full, for one failed turn. */
const FULL_DISK_LINES = [
  '2026-12-04T13:32:21.100000000Z 2026-12-04T13:32:21.100+00:00 [gateway] request handler failed: Error: database or disk is full: code=ERR_SQLITE_ERROR',
  '2026-12-04T13:32:21.102000000Z 2026-12-04T13:32:21.102+00:00 [ws] ⇄ res ✗ agent 50ms errorCode=UNAVAILABLE errorMessage=Error: database or disk is full: code=ERR_SQLITE_ERROR conn=dbcabe51…1bf4 id=2:04854fb5-4…f89c',
]

describe('storage errors in the log: counted apart, never as lock errors', () => {
  it('the real 2026.9.6 full-disk lines: 2 storage-full lines, 0 lock errors (not agent-unavailable)', () => {
    const sig = lockTimeoutSignature(FULL_DISK_LINES.join('\n'))
    expect(sig.count).toBe(0)
    expect(sig.bySignature).toEqual(zero)
    expect(sig.storage).toEqual({
      count: 2,
      last: '2026-12-04T13:32:21.102000000Z',
      kind: 'storage-full',
      line: expect.stringContaining('res ✗ agent 50ms errorCode=UNAVAILABLE errorMessage=Error: database or disk is full'),
    })
    for (const l of FULL_DISK_LINES) expect(lineSignature(l)).toBeNull()
  })

  it.each([
    ['SqliteError: attempt to write a readonly database', 'storage-readonly'],
    ["EROFS: read-only file system, open '/home/node/.openclaw/state/openclaw.sqlite'", 'storage-readonly'],
    ['[ws] ⇄ res ✗ agent 12ms errorCode=UNAVAILABLE errorMessage=Error: disk I/O error: code=ERR_SQLITE_ERROR', 'storage-io'],
    ['ENOSPC: no space left on device, write', 'storage-full'],
  ])('%s → %s', (line, kind) => {
    expect(lockTimeoutSignature(line).storage).toMatchObject({count: 1, kind})
    expect(lockTimeoutSignature(line).count).toBe(0)
  })

  it('lock lines beside storage lines keep their count', () => {
    const sig = lockTimeoutSignature([...FULL_DISK_LINES, ...SQLITE_LINES.map(([l]) => l)].join('\n'))
    expect(sig.count).toBe(9)
    expect(sig.storage.count).toBe(2)
  })
})

describe('log signatures of every lock family', () => {
  it('the fixture: 6 session-file-locked lines (10000/60000 ms, pid=N, pid=N alive=… ageMs=…, owner=unknown) and nothing else', () => {
    const sig = lockTimeoutSignature(fixture)
    expect(sig.count).toBe(6)
    expect(sig.bySignature).toEqual({...zero, 'session-file-locked': 6})
    expect(sig.pids.sort((a, b) => a - b)).toEqual([28, 4687, 6716, 47321])
    expect(sig.timeoutsMs.sort()).toEqual([10000, 60000])
    expect(sig.contention).toEqual([])
  })

  it('the 2026.5+ form with alive=… ageMs=… gives its pid, timeout and path', () => {
    const line = fixture.split('\n').find((l) => l.includes('alive=true'))!
    expect(line).toBeDefined()
    const sig = lockTimeoutSignature(line)
    expect(sig).toMatchObject({
      count: 1,
      pids: [28],
      timeoutsMs: [60000],
      ownerUnknown: 0,
      paths: ['/home/node/.openclaw/agents/main/sessions/5f2c7a10-1b2e-4c1d-9a77-0f3e2b8d9c11.jsonl.lock'],
    })
  })

  it.each(SQLITE_LINES)('%s → %s', (line, kind) => {
    expect(lineSignature(line)?.kind ?? null).toBe(kind)
  })

  it('2026.8+ lines: count is the sum of bySignature, first/last over every family, contention families named', () => {
    const sig = lockTimeoutSignature(SQLITE_LINES.map(([l]) => l).join('\n'))
    expect(sig.bySignature).toEqual({...zero, 'sqlite-lock-wait': 1, 'database-locked': 3, 'agent-unavailable': 2, 'state-contention': 3})
    expect(sig.count).toBe(9)
    expect(sig).toMatchObject({first: '2026-12-02T10:00:01.000000000Z', last: '2026-12-02T10:00:02.000000000Z', pids: [], paths: [], ownerUnknown: 0})
    expect(sig.contention).toEqual(['state-lifecycle', 'gateway-lifecycle', 'state-handles'])
  })

  it('property: count = lines that match a family = sum of bySignature, whatever the noise between them', () => {
    const lines = [...fixture.split('\n'), ...SQLITE_LINES.map(([l]) => l)]
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(...lines),
            fc.string({maxLength: 40}).filter((s) => !s.includes('\n')),
          ),
          {maxLength: 30},
        ),
        (picked) => {
          const sig = lockTimeoutSignature(picked.join('\n'))
          const expected = picked.filter((l) => LOG_SIGNATURES.some(([, re]) => re.test(l.replace(/\x1b\[[0-9;]*m/g, '')))).length
          expect(sig.count).toBe(expected)
          expect(Object.values(sig.bySignature).reduce((a, b) => a + b, 0)).toBe(sig.count)
        },
      ),
    )
  })

  it('the contention family is captured with and without the error name in front', () => {
    expect(STATE_CONTENTION.exec('StateDatabaseCoordinatorContentionError: another OpenClaw process owns state-lifecycle')?.[1]).toBe('state-lifecycle')
    expect(STATE_CONTENTION.exec('x owns gateway-lifecycle')?.[1]).toBe('gateway-lifecycle')
    expect(STATE_CONTENTION.exec('StateDatabaseCoordinatorContentionError')?.[1]).toBeUndefined()
  })

  it('anyOf matches where any pattern does, and refuses an empty list', () => {
    const re = anyOf(/abc/, /x\d/)
    expect(['ABC', 'x1', 'zz'].map((s) => re.test(s))).toEqual([true, true, false])
    expect(() => anyOf()).toThrow(/at least one/)
  })
})

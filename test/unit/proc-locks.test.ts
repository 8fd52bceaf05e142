import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {devNumbers, parseProcLocks, RESERVED_BYTE, targetsOf, WAL_WRITE_LOCK_BYTE, writerHolds} from '../../src/locks/proc-locks.js'
import {judgeWriter, type WriterEvidence} from '../../src/locks/judge-writer.js'
import {judgeLease, type LeaseRow} from '../../src/openclaw/leases.js'
import type {LockPolicy, ProcessEvidence} from '../../src/locks/types.js'

// Lines as the kernel writes them (seen on this machine with a real 2026.9.6 gateway: DMS READ 128 on each -shm,
// EXCLUSIVE WRITE on its coordinator dbs), plus a writer on byte 120.
const TABLE = `1: POSIX  ADVISORY  WRITE 14027 fe:00:2189209 1073741824 1073742335
2: POSIX  ADVISORY  READ 14027 fe:00:2189205 128 128
3: POSIX  ADVISORY  READ 14027 fe:00:2189156 1073741826 1073742335
4: FLOCK  ADVISORY  WRITE 12630 fe:00:1466421 0 EOF
5: POSIX  ADVISORY  WRITE 48211 fe:00:2189205 120 120
6: OFDLCK ADVISORY  READ -1 00:06:3 0 EOF
7: -> POSIX  ADVISORY  WRITE 48999 fe:00:2189205 120 120
garbage line
`
// st_dev of fe:00 as stat reports it (major 254, minor 0).
const DEV = (254n << 8n) | 0n

describe('/proc/locks', () => {
  it('parses every lock line, skipping waiters and garbage', () => {
    const locks = parseProcLocks(TABLE)
    expect(locks.map((l) => [l.type, l.mode, l.pid, l.inode, l.start, l.end])).toEqual([
      ['POSIX', 'WRITE', 14027, 2189209, 1073741824, 1073742335],
      ['POSIX', 'READ', 14027, 2189205, 128, 128],
      ['POSIX', 'READ', 14027, 2189156, 1073741826, 1073742335],
      ['FLOCK', 'WRITE', 12630, 1466421, 0, null],
      ['POSIX', 'WRITE', 48211, 2189205, 120, 120],
      ['OFDLCK', 'READ', -1, 3, 0, null],
    ])
    expect(locks[0]).toMatchObject({major: 0xfe, minor: 0})
  })

  it('dev_t to major:minor as the kernel prints them (old and new encodings)', () => {
    expect(devNumbers(DEV)).toEqual({major: 254, minor: 0})
    expect(devNumbers(0x801n)).toEqual({major: 8, minor: 1})
    // large minor numbers spill into the high bits (new_encode_dev)
    expect(devNumbers((0x12n << 8n) | 0x34n | (0x5n << 20n))).toEqual({major: 0x12, minor: 0x34 | (0x5 << 8)})
  })

  it('names the writer of a WAL db (byte 120 of -shm) and not its readers', () => {
    const locks = parseProcLocks(TABLE)
    const holds = writerHolds(locks, targetsOf('agent.sqlite', {dev: DEV, inode: 2189204n}, {dev: DEV, inode: 2189205n}))
    expect(holds.map((h) => [h.key, h.pid])).toEqual([['agent.sqlite', 48211]])
    expect(holds[0].lock.line).toBe('POSIX  ADVISORY  WRITE 48211 fe:00:2189205 120 120')
  })

  it('a reserved or exclusive lock on the db file itself is a writer (rollback-journal mode, coordinators)', () => {
    const holds = writerHolds(parseProcLocks(TABLE), targetsOf('coord', {dev: DEV, inode: 2189209n}, null))
    expect(holds.map((h) => h.pid)).toEqual([14027])
    expect(RESERVED_BYTE).toBe(1073741825)
  })

  it('another device with the same inode is another file', () => {
    expect(writerHolds(parseProcLocks(TABLE), targetsOf('x', null, {dev: 0x801n, inode: 2189205n}))).toEqual([])
  })

  it('property: a READ lock is never a writer, whatever its range', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 1 << 22}), fc.nat(200), fc.nat(200), (pid, a, b) => {
        const line = `1: POSIX  ADVISORY  READ ${pid} fe:00:77 ${Math.min(a, b)} ${Math.max(a, b)}`
        return writerHolds(parseProcLocks(line), targetsOf('k', {dev: DEV, inode: 77n}, {dev: DEV, inode: 77n})).length === 0
      }),
    )
  })

  it('property: a WRITE lock is a writer exactly when its range covers the writer byte', () => {
    fc.assert(
      fc.property(fc.nat(300), fc.option(fc.nat(300), {nil: null}), (start, len) => {
        const end = len === null ? null : start + len
        const line = `9: POSIX  ADVISORY  WRITE 42 fe:00:77 ${start} ${end === null ? 'EOF' : end}`
        const held = writerHolds(parseProcLocks(line), [{key: 'k', dev: DEV, inode: 77n, byte: WAL_WRITE_LOCK_BYTE}]).length === 1
        return held === (start <= WAL_WRITE_LOCK_BYTE && (end === null || end >= WAL_WRITE_LOCK_BYTE))
      }),
    )
  })
})

const policy: LockPolicy = {maxHoldMs: 300_000, orphanAfterMs: 120_000, deadlineMarginMs: 120_000, clockSkewMs: 2_000, malformedGraceMs: 5_000}
const running = {name: 'c', running: true, startedAtMs: 0}
const proc = (p: Partial<ProcessEvidence>): ProcessEvidence => ({
  pid: 40,
  exists: true,
  state: 'S',
  ppid: 30,
  starttime: 100,
  cmdline: ['openclaw-agent'],
  isAgent: true,
  isMain: false,
  ...p,
})
const turn = (t: Partial<NonNullable<ProcessEvidence['turn']>>) => ({
  execRoot: {pid: 30, cmdline: ['openclaw', 'agent']},
  timeoutSec: null,
  fleet: null,
  clients: null,
  ...t,
})
const ev = (e: Partial<WriterEvidence>): WriterEvidence => ({container: running, mountedBy: ['c'], process: proc({}), holderAgeMs: 1_000, ...e})
const MIN = 60_000

// [case, evidence, verdict, reasons]
const CASES: [string, Partial<WriterEvidence>, string, string[]][] = [
  ['the gateway writing', {process: proc({isMain: true, isAgent: false, cmdline: ['openclaw-gateway'], ppid: 1})}, 'live', []],
  ['the gateway writing for hours: still live (no hold age exists)', {process: proc({isMain: true, isAgent: false}), holderAgeMs: 10 * 60 * MIN}, 'live', []],
  ['the gateway frozen (SIGSTOP)', {process: proc({isMain: true, isAgent: false, state: 'T'})}, 'live', ['stopped']],
  ['the gateway blocked on I/O', {process: proc({isMain: true, isAgent: false, state: 'D'})}, 'live', ['uninterruptible']],
  ['a young exec turn', {}, 'live', []],
  ['an exec turn past orphanAfter, nothing else known', {holderAgeMs: 3 * MIN}, 'live', ['long-hold']],
  [
    'an exec turn past its own --timeout 60 + margin',
    {holderAgeMs: 3.5 * MIN, process: proc({turn: turn({timeoutSec: 60})})},
    'orphan',
    ['agent-process', 'past-deadline'],
  ],
  ['an exec turn past the default 600 s + margin', {holderAgeMs: 13 * MIN}, 'orphan', ['agent-process', 'past-deadline']],
  ['--timeout 0: no deadline', {holderAgeMs: 60 * MIN, process: proc({turn: turn({timeoutSec: 0})})}, 'live', ['long-hold']],
  [
    "fleet's own turn, its fleet run gone",
    {process: proc({turn: turn({fleet: {execId: 'x', owner: 'h:1:2', ownerAlive: false}})})},
    'orphan',
    ['agent-process', 'client-gone'],
  ],
  [
    "fleet's own turn from a live run, even past its deadline",
    {holderAgeMs: 60 * MIN, process: proc({turn: turn({fleet: {execId: 'x', owner: 'h:1:2', ownerAlive: true}})})},
    'live',
    ['fleet-exec'],
  ],
  ['a stopped turn past orphanAfter', {holderAgeMs: 3 * MIN, process: proc({state: 'T'})}, 'orphan', ['agent-process', 'stopped']],
  ['a stopped young turn', {process: proc({state: 'T'})}, 'live', ['stopped']],
  ['a turn with an unknown age (no boot time)', {holderAgeMs: null}, 'unknown', ['probe-failed']],
  [
    'an operator sqlite3 shell for an hour: never ended',
    {holderAgeMs: 60 * MIN, process: proc({isAgent: false, cmdline: ['sqlite3', 'x.sqlite']})},
    'live',
    ['long-hold'],
  ],
  ['a holder outside this container', {process: null}, 'unknown', ['foreign-holder']],
  ['the probe failed', {process: null, probeError: 'timed out'}, 'unknown', ['probe-failed']],
  ['paused container', {container: {...running, paused: true}, holderAgeMs: 60 * MIN}, 'unknown', ['container-paused']],
  ['two containers on the state dir', {mountedBy: ['c', 'd'], holderAgeMs: 60 * MIN}, 'conflict', ['shared-sessions-dir']],
]

describe('judgeWriter: the SQLite write lock holder (2026.8+)', () => {
  it.each(CASES)('%s', (_n, e, verdict, reasons) => {
    const j = judgeWriter(ev(e), policy)
    expect(j.verdict).toBe(verdict)
    expect(j.reasons).toEqual(reasons)
  })

  it('property: only an agent turn (never the gateway, never another process) is ever an orphan', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom('R', 'S', 'D', 'T'),
        fc.option(fc.nat(10 * 3_600_000), {nil: null}),
        fc.option(fc.boolean(), {nil: null}),
        (isMain, isAgent, state, age, ownerAlive) => {
          const p = proc({isMain, isAgent, state, turn: turn({fleet: ownerAlive === null ? null : {execId: 'x', owner: 'o', ownerAlive}})})
          const j = judgeWriter(ev({process: p, holderAgeMs: age}), policy)
          return j.verdict !== 'orphan' || (isAgent && !isMain)
        },
      ),
    )
  })

  it('property: missing evidence is never orphan', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string(), {nil: undefined}),
        fc.nat(),
        (probeError, age) =>
          judgeWriter(ev({process: null, holderAgeMs: age, ...(probeError !== undefined ? {probeError} : {})}), policy).verdict === 'unknown',
      ),
    )
  })
})

describe('judgeLease: 2026.8+ lease rows (report only)', () => {
  const NOW = Date.parse('2026-12-02T01:00:00Z')
  const row = (r: Partial<LeaseRow>): LeaseRow => ({
    table: 'agent_database_leases',
    key: 'main',
    ownerPid: 7,
    ownerStartTime: 100,
    sinceMs: NOW - 1000,
    expiresAtMs: null,
    heartbeatAtMs: null,
    owner: {pid: 7, exists: true, starttime: 100, cmdline: ['openclaw-gateway']},
    ...r,
  })
  const ctx = {nowMs: NOW, gatewayPid: 7, orphanAfterMs: 120_000}
  const CASES: [string, Partial<LeaseRow>, string, boolean][] = [
    ['the gateway holds its agent db', {}, 'held', false],
    ['the gateway, for days', {sinceMs: NOW - 3 * 86_400_000}, 'held', false],
    ['owner gone', {owner: {pid: 7, exists: false, starttime: null, cmdline: []}}, 'dead-owner', false],
    ['owner pid reused', {owner: {pid: 7, exists: true, starttime: 555, cmdline: ['sh']}}, 'recycled-owner', false],
    ['expired state lease', {table: 'state_leases', key: 'gateway-owner/global', expiresAtMs: NOW - 1}, 'expired', false],
    ['no owner pid', {ownerPid: null, owner: null}, 'unknown', false],
    [
      'a stale openclaw doctor holding for 10 min (#135383)',
      {ownerPid: 90, owner: {pid: 90, exists: true, starttime: 100, cmdline: ['openclaw', 'doctor']}, sinceMs: NOW - 600_000},
      'held',
      true,
    ],
    ['a young CLI lease', {ownerPid: 90, owner: {pid: 90, exists: true, starttime: 100, cmdline: ['openclaw']}}, 'held', false],
  ]
  it.each(CASES)('%s', (_n, r, verdict, longHeld) => {
    expect(judgeLease(row(r), ctx)).toMatchObject({verdict, longHeld})
  })
  it('property: only a live owner is ever held, and the gateway never long-held', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({min: 1, max: 99}), fc.nat(10 * 86_400_000), (exists, pid, age) => {
        const j = judgeLease(row({ownerPid: pid, owner: {pid, exists, starttime: 100, cmdline: []}, sinceMs: NOW - age}), ctx)
        return (j.verdict !== 'held' || exists) && !(pid === 7 && j.longHeld)
      }),
    )
  })
})

import {readFileSync, readdirSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {lockKindOf, parseIsoDate, parseLockPayload, sessionOf} from '../../src/locks/parse.js'
import type {LockPayload} from '../../src/locks/types.js'

const FIXTURES = fileURLToPath(new URL('../fixtures/locks/', import.meta.url))

const none = {pid: null, createdAt: null, createdAtMs: null, starttime: null}
const FIXTURE_EXPECTATIONS: Record<string, {bytes: number; payload: LockPayload}> = {
  'empty.jsonl.lock': {bytes: 0, payload: {...none, shape: 'unknown', problems: ['empty']}},
  'truncated.jsonl.lock': {bytes: 13, payload: {...none, shape: 'unknown', problems: ['invalid-json']}},
  'invalid-createdAt.jsonl.lock': {
    bytes: 62,
    payload: {pid: 7, createdAt: null, createdAtMs: null, starttime: 99, shape: 'v2026.3-4', problems: ['invalid-createdAt']},
  },
  'missing-pid.jsonl.lock': {
    bytes: 45,
    payload: {
      ...none,
      createdAt: '2026-04-09T07:59:50.000Z',
      createdAtMs: Date.UTC(2026, 3, 9, 7, 59, 50),
      shape: 'unknown',
      problems: ['missing-pid'],
    },
  },
  'v2026.2.x-no-starttime.jsonl.lock': {
    bytes: 60,
    payload: {
      pid: 4687,
      createdAt: '2026-04-25T12:30:25.001Z',
      createdAtMs: Date.UTC(2026, 3, 25, 12, 30, 25, 1),
      starttime: null,
      shape: 'v2026.2',
      problems: [],
    },
  },
  'v2026.4.29-dead-holder.jsonl.lock': {
    bytes: 83,
    payload: {
      pid: 6340,
      createdAt: '2026-11-22T11:09:41.503Z',
      createdAtMs: Date.UTC(2026, 10, 22, 11, 9, 41, 503),
      starttime: 281215,
      shape: 'v2026.3-4',
      problems: [],
    },
  },
  'v2026.5.x-trailing-newline.jsonl.lock': {
    bytes: 81,
    payload: {
      pid: 28,
      createdAt: '2026-05-28T04:22:10.118Z',
      createdAtMs: Date.UTC(2026, 4, 28, 4, 22, 10, 118),
      starttime: 10412,
      shape: 'v2026.5+',
      problems: [],
    },
  },
}

const isoDate = fc.date({min: new Date('1970-01-01T00:00:00.000Z'), max: new Date('9999-12-31T23:59:59.999Z'), noInvalidDate: true}).map((d) => d.toISOString())
const pid = fc.maxSafeNat().filter((n) => n > 0)

describe('lock payload fixtures', () => {
  it('the fixture set is the expected one', () => {
    expect(readdirSync(FIXTURES).sort()).toEqual(Object.keys(FIXTURE_EXPECTATIONS).sort())
  })

  it.each(Object.entries(FIXTURE_EXPECTATIONS))('%s', (name, {bytes, payload}) => {
    const raw = readFileSync(FIXTURES + name, 'utf8')
    expect(Buffer.byteLength(raw)).toBe(bytes)
    expect(parseLockPayload(raw)).toEqual(payload)
  })
})

describe('parseLockPayload', () => {
  it.each<[string, Partial<LockPayload>]>([
    ['[1,2]', {shape: 'unknown', problems: ['not-an-object']}],
    ['null', {problems: ['not-an-object']}],
    ['42', {problems: ['not-an-object']}],
    ['   \n', {problems: ['empty']}],
    ['{"pid":0,"createdAt":"2026-01-01T00:00:00Z"}', {pid: null, problems: ['invalid-pid']}],
    ['{"pid":-3,"createdAt":"2026-01-01T00:00:00Z"}', {pid: null, problems: ['invalid-pid']}],
    ['{"pid":-1,"createdAt":"2026-01-01T00:00:00Z"}', {pid: null, problems: ['invalid-pid']}],
    ['{"pid":1.5,"createdAt":"2026-01-01T00:00:00Z"}', {pid: null, problems: ['invalid-pid']}],
    ['{"pid":"12","createdAt":"2026-01-01T00:00:00Z"}', {pid: null, problems: ['invalid-pid']}],
    ['{"pid":9007199254740992,"createdAt":"2026-01-01T00:00:00Z"}', {pid: null, problems: ['invalid-pid']}],
    ['{"pid":null,"createdAt":"2026-01-01T00:00:00Z"}', {pid: null, shape: 'v2026.2', problems: ['missing-pid']}],
    ['{"pid":5}', {pid: 5, shape: 'unknown', problems: ['missing-createdAt']}],
    ['{"pid":5,"createdAt":1714000000000}', {createdAtMs: null, problems: ['invalid-createdAt']}],
    ['{"pid":5,"createdAt":"2026-01-01T00:00:00Z","starttime":-1}', {starttime: null, shape: 'v2026.3-4', problems: ['invalid-starttime']}],
    ['{"pid":5,"createdAt":"2026-01-01T00:00:00Z","starttime":"7"}', {starttime: null, problems: ['invalid-starttime']}],
    ['{"pid":5,"createdAt":"2026-01-01T00:00:00Z","starttime":0}', {starttime: 0, problems: []}],
    ['{"pid":5,"createdAt":"2026-01-01T00:00:00Z","extra":{"x":1}}', {pid: 5, shape: 'v2026.2', problems: []}],
    ['{"pid":5,"createdAt":"2026-01-01T00:00:00Z"}\n', {pid: 5, shape: 'unknown', problems: []}],
  ])('%j', (raw, expected) => {
    expect(parseLockPayload(raw)).toMatchObject(expected)
  })

  it('property: pretty-printed payloads of every known shape round-trip', () => {
    fc.assert(
      fc.property(pid, isoDate, fc.option(fc.maxSafeNat(), {nil: undefined}), fc.boolean(), (p, createdAt, starttime, newline) => {
        const raw = JSON.stringify({pid: p, createdAt, starttime}, null, 2) + (newline ? '\n' : '')
        const shape = starttime === undefined ? (newline ? 'unknown' : 'v2026.2') : newline ? 'v2026.5+' : 'v2026.3-4'
        expect(parseLockPayload(raw)).toEqual({pid: p, createdAt, createdAtMs: Date.parse(createdAt), starttime: starttime ?? null, shape, problems: []})
      }),
      {numRuns: 1000},
    )
  })

  it('property: a truncated payload never yields a pid', () => {
    fc.assert(
      fc.property(pid, isoDate, fc.maxSafeNat(), fc.nat(), (p, createdAt, starttime, cut) => {
        const raw = JSON.stringify({pid: p, createdAt, starttime}, null, 2)
        const prefix = raw.slice(0, cut % (raw.length - 1)) // drops at least the closing brace
        const parsed = parseLockPayload(prefix)
        expect(parsed.pid).toBeNull()
        expect(parsed.shape).toBe('unknown')
        expect(parsed.problems).toEqual([prefix.trim() === '' ? 'empty' : 'invalid-json'])
      }),
      {numRuns: 1000},
    )
  })

  it('property: arbitrary text never throws and yields only valid values', () => {
    const anyValue = fc.oneof(fc.jsonValue({maxDepth: 2}), isoDate, pid)
    const text = fc.oneof(
      fc.string(),
      fc.string({unit: 'binary'}),
      fc.jsonValue({maxDepth: 2}).map((v) => JSON.stringify(v)),
      fc.record({pid: anyValue, createdAt: anyValue, starttime: anyValue}, {requiredKeys: []}).map((o) => JSON.stringify(o, null, 2)),
    )
    fc.assert(
      fc.property(text, (raw) => {
        const p = parseLockPayload(raw)
        return (
          (p.pid === null || (Number.isSafeInteger(p.pid) && p.pid > 0)) &&
          (p.starttime === null || (Number.isSafeInteger(p.starttime) && p.starttime >= 0)) &&
          (p.createdAt === null ? p.createdAtMs === null : p.createdAtMs === Date.parse(p.createdAt)) &&
          new Set(p.problems).size === p.problems.length
        )
      }),
      {numRuns: 2000},
    )
  })
})

describe('parseIsoDate', () => {
  it.each(['2026-04-09T07:59:50.000Z', '2026-04-09T07:59:50+02:00', '2026-04-09T07:59:50-0530', '2026-04-09T07:59Z', '2026-04-09', '2024-02-29T00:00:00Z'])(
    'accepts %j',
    (s) => expect(parseIsoDate(s)).toBe(Date.parse(s)),
  )

  it.each<unknown>([
    'not-a-date',
    1714000000000,
    '1714000000000',
    '2026',
    '2026-04-09T07:59:50',
    '2026-02-30T00:00:00Z',
    '2025-02-29',
    '2026-13-01',
    '2026-04-09T24:00:00Z',
    'April 9, 2026',
    '',
    null,
    {},
  ])('rejects %j', (v) => expect(parseIsoDate(v)).toBeNull())
})

describe('lock file names', () => {
  it.each<[string, string | null, string | null]>([
    ['0b7c6f1e-5a1d-4c2e-9d1a-2f3e4a5b6c7d.jsonl.lock', 'session', '0b7c6f1e-5a1d-4c2e-9d1a-2f3e4a5b6c7d'],
    ['abc-topic-42.jsonl.lock', 'session', 'abc-topic-42'],
    ['sessions.json.lock', 'store', 'sessions.json'],
    ['.jsonl.lock', null, null],
    ['abc.jsonl', null, null],
    ['abc.jsonl.lock.bak', null, null],
    ['abc.json.lock', null, null],
    ['sessions.json', null, null],
    ['x-sessions.json.lock', null, null],
  ])('%s', (name, kind, session) => {
    expect(lockKindOf(name)).toBe(kind)
    expect(sessionOf(name)).toBe(session)
  })
})

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {canRemoveSessions, removedKeys, sessionKey, verifySchedule, verifyVerdict} from '../../src/heal/verify.js'

describe('heal --verify', () => {
  it('spreads the turns over the duration: the first at once, the last at the end', () => {
    expect(verifySchedule(30 * 60_000, 10)).toEqual([0, 200_000, 400_000, 600_000, 800_000, 1_000_000, 1_200_000, 1_400_000, 1_600_000, 1_800_000])
    expect(verifySchedule(6_000, 3)).toEqual([0, 3_000, 6_000])
    expect(verifySchedule(60_000, 1)).toEqual([0])
    expect(verifySchedule(0, 4)).toEqual([0, 0, 0, 0])
  })

  it('property: N offsets, ascending, within [0, duration]', () => {
    fc.assert(
      fc.property(fc.nat(10 * 3_600_000), fc.integer({min: 1, max: 1000}), (d, n) => {
        const s = verifySchedule(d, n)
        return s.length === n && s[0] === 0 && s.every((x, i) => x >= 0 && x <= d && (i === 0 || x >= s[i - 1]))
      }),
    )
  })

  const ok = (n: number) => ({n, ok: true, failure: null})
  // [case, turns, new lock errors, holds, why contains]
  const TABLE: [string, {n: number; ok: boolean; failure: any}[], number | null, boolean, string][] = [
    ['every turn answers, no new lock error', [ok(1), ok(2), ok(3)], 0, true, '3/3 test turns answered and no new lock error'],
    ['a turn fails', [ok(1), {n: 2, ok: false, failure: 'lock-timeout'}, ok(3)], 0, false, '1/3 test turns failed (#2 lock-timeout)'],
    ['every turn answers, but the log shows new lock errors', [ok(1), ok(2)], 2, false, '2 new lock error(s)'],
    ['the log could not be read: no proof', [ok(1)], null, false, 'could not be read'],
    ['failures and log errors: the failures are named first', [{n: 1, ok: false, failure: 'storage-locked'}], 5, false, '#1 storage-locked'],
  ]
  it.each(TABLE)('%s', (_n, turns, errors, holds, why) => {
    const v = verifyVerdict(turns, errors)
    expect(v.ok).toBe(holds)
    expect(v.why).toContain(why)
  })

  it('property: it holds exactly when every turn answered and the log shows 0 new lock errors', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), {minLength: 1, maxLength: 20}), fc.option(fc.nat(5), {nil: null}), (oks, errors) => {
        const v = verifyVerdict(
          oks.map((o, i) => ({n: i + 1, ok: o, failure: o ? null : 'timeout'})),
          errors,
        )
        return v.ok === (oks.every(Boolean) && errors === 0)
      }),
    )
  })
})

describe('heal --verify: removing its sessions', () => {
  it('only 2026.9 and later have openclaw sessions delete', () => {
    expect(canRemoveSessions('2026.9.6')).toBe(true)
    expect(canRemoveSessions('2027.1.0')).toBe(true)
    expect(canRemoveSessions('2026.8.2')).toBe(false)
    expect(canRemoveSessions('2026.4.29')).toBe(false)
    expect(canRemoveSessions(null)).toBe(false)
  })
  it('the key of a --session-id turn, and what the delete answer says was removed (real 2026.9.6 shapes)', () => {
    expect(sessionKey('main', 'openclaw-fleet-verify-ab12cd34-1')).toBe('agent:main:explicit:openclaw-fleet-verify-ab12cd34-1')
    const answer = JSON.stringify({
      ok: true,
      operation: 'delete',
      dryRun: false,
      results: [
        {key: 'agent:main:explicit:a', ok: true, status: 'deleted'},
        {key: 'agent:main:explicit:b', ok: false},
      ],
    })
    expect(removedKeys(answer)).toEqual(['agent:main:explicit:a'])
    expect(removedKeys('not json')).toEqual([])
    expect(removedKeys('{"results": "x"}')).toEqual([])
  })
})

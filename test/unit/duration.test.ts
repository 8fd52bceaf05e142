import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {formatDuration, parseDuration} from '../../src/config/duration.js'

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['500ms', 500],
    ['1.5s', 1500],
    ['10', 10_000],
    [30, 30_000],
  ])('%j is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms))

  it.each(['5x', '', 'm5', '5 m', '-1s', 'abc', '1s2'])('%j is not a duration', (text) => expect(parseDuration(text)).toBeNull())

  it('property: composed units add up', () => {
    fc.assert(
      fc.property(fc.nat(99), fc.nat(59), fc.nat(59), (h, m, s) => {
        expect(parseDuration(`${h}h${m}m${s}s`)).toBe(((h * 60 + m) * 60 + s) * 1000)
      }),
    )
  })

  it('formats short and long spans', () => {
    expect(formatDuration(250)).toBe('250ms')
    expect(formatDuration(12_000)).toBe('12s')
    expect(formatDuration(125_000)).toBe('2m05s')
    expect(formatDuration(3 * 3_600_000 + 60_000)).toBe('3h01m')
  })
})

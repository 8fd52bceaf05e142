/** The one version table (openclaw/version.ts): each capability answers as the year.minor tests it replaced did. */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {lockBehaviour, parseOpenClawVersion, versionCan, VERSION_CAPABILITIES, type VersionCapability} from '../../src/openclaw/version.js'
import {gatewayRunsTurns} from '../../src/openclaw/gateway-work.js'
import {canRemoveSessions} from '../../src/heal/verify.js'

const atLeast = (y: number, m: number, year: number, minor: number) => year > y || (year === y && minor >= m)
const BEFORE: Record<VersionCapability, (v: {year: number; minor: number; patch: number}) => boolean> = {
  'no-payload-starttime': (v) => v.minor <= 2 && v.year === 2026,
  'acquire-timeout-60s': (v) => atLeast(2026, 5, v.year, v.minor),
  'write-lock-config-key': (v) => v.year === 2026 && v.minor === 5,
  'sqlite-sessions': (v) => atLeast(2026, 8, v.year, v.minor),
  'turns-in-gateway': (v) => atLeast(2026, 8, v.year, v.minor),
  'crash-loop-on-unmigrated': (v) => v.year === 2026 && v.minor === 8 && v.patch <= 1,
  'doctor-fix': (v) => atLeast(2026, 8, v.year, v.minor),
  'sessions-delete': (v) => atLeast(2026, 9, v.year, v.minor),
  'embedded-fallback-signatures': (v) => v.year === 2026 && v.minor < 9,
}

describe('version capabilities', () => {
  it('property: every capability answers as the test it replaced', () => {
    const caps = Object.keys(VERSION_CAPABILITIES) as VersionCapability[]
    fc.assert(
      fc.property(
        fc.integer({min: 2024, max: 2028}),
        fc.integer({min: 0, max: 13}),
        fc.integer({min: 0, max: 40}),
        fc.constantFrom(...caps),
        (year, minor, patch, cap) => {
          expect(versionCan({year, minor, patch}, cap)).toBe(BEFORE[cap]({year, minor, patch}))
        },
      ),
      {numRuns: 2000},
    )
  })

  it('is what the version-dependent rules read', () => {
    expect(lockBehaviour(parseOpenClawVersion('2026.8.0')!).lockStorage).toBe('sqlite')
    expect(lockBehaviour(parseOpenClawVersion('2026.7.9')!).acquireTimeoutMs).toBe(60_000)
    expect(lockBehaviour(parseOpenClawVersion('2026.4.29')!).acquireTimeoutMs).toBe(10_000)
    expect(gatewayRunsTurns('2026.7.1')).toBe(false)
    expect(gatewayRunsTurns('2026.8.0')).toBe(true)
    expect(canRemoveSessions('2026.8.9')).toBe(false)
    expect(canRemoveSessions('2026.9.6')).toBe(true)
  })
})

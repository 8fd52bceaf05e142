// The state filesystem rule (observe/state-fs.ts): full, read-only, ok or unknown from what was read, and the storage
// fault that keeps an instance out of `ok` and away from restarts.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {STORAGE_HINTS} from '../../src/locks/signatures.js'
import {bytesText, fullBelowBytes, stateFsStatus, stateFsVerdict, storageFault, type StateFsReading} from '../../src/observe/state-fs.js'

const MiB = 1024 ** 2
const GiB = 1024 ** 3
const reading = (r: Partial<StateFsReading>): StateFsReading => ({
  path: '/srv/oc821/config',
  mountPoint: '/srv/oc821/config',
  fsType: 'tmpfs',
  source: 'fleet-lab-821',
  freeBytes: 200 * MiB,
  totalBytes: 256 * MiB,
  readOnly: false,
  error: null,
  ...r,
})

describe('stateFsVerdict', () => {
  it.each<[string, Partial<StateFsReading> | null, string, RegExp]>([
    ['room', {}, 'ok', /state dir \/srv\/oc821\/config is on tmpfs \(fleet-lab-821 at \/srv\/oc821\/config\): 200 MiB free of 256 MiB/],
    ['nothing free (filled as the e2e does)', {freeBytes: 0}, 'full', /: full, 0 B free of 256 MiB/],
    ['under 1 % of a small fs', {freeBytes: 2 * MiB}, 'full', /full, 2\.0 MiB free/],
    ['1 TiB disk with 90 MiB free: full (under 100 MiB)', {totalBytes: 1024 * GiB, freeBytes: 90 * MiB}, 'full', /full/],
    ['1 TiB disk with 2 GiB free: ok (low is doctor’s warning)', {totalBytes: 1024 * GiB, freeBytes: 2 * GiB}, 'ok', /2\.0 GiB free of 1\.0 TiB/],
    ['read-only beats full', {readOnly: true, freeBytes: 0}, 'readonly', /mounted read-only/],
    ['statfs failed', {freeBytes: null, totalBytes: null, error: 'EACCES'}, 'unknown', /cannot read its space: EACCES/],
    ['no mount entry', {mountPoint: null, fsType: null, source: null}, 'ok', /on an unknown filesystem/],
    ['not on this machine', null, 'unknown', /not read/],
  ])('%s', (_n, r, state, why) => {
    const v = stateFsVerdict(r === null ? null : reading(r))
    expect(v.state).toBe(state)
    expect(v.why).toMatch(why)
  })

  it('property: full exactly when free < min(100 MiB, 1 % of the fs), unless read-only', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 2 ** 42}), fc.double({min: 0, max: 1, noNaN: true}), (total, share) => {
        const free = Math.floor(total * share)
        const v = stateFsVerdict(reading({totalBytes: total, freeBytes: free}))
        expect(v.state).toBe(free < Math.min(100 * MiB, total * 0.01) ? 'full' : 'ok')
        expect(fullBelowBytes(total)).toBeLessThanOrEqual(100 * MiB)
      }),
    )
  })

  it('bytesText', () => {
    expect([0, 1023, 1024, 63.2 * MiB, 1.5 * GiB].map(bytesText)).toEqual(['0 B', '1023 B', '1.0 KiB', '63 MiB', '1.5 GiB'])
  })
})

describe('stateFsStatus (status JSON stateFs)', () => {
  it('the verdict and the facts of the same reading, without its error', () => {
    const r = reading({freeBytes: 0, error: 'x'})
    expect(stateFsStatus(r)).toEqual({
      ...stateFsVerdict(r),
      path: '/srv/oc821/config',
      fsType: 'tmpfs',
      source: 'fleet-lab-821',
      mountPoint: '/srv/oc821/config',
      freeBytes: 0,
      totalBytes: 256 * MiB,
      readOnly: false,
    })
    expect(stateFsStatus(r).state).toBe('full')
  })

  it('not read: unknown, every fact null', () => {
    expect(stateFsStatus(null)).toEqual({
      ...stateFsVerdict(null),
      path: null,
      fsType: null,
      source: null,
      mountPoint: null,
      freeBytes: null,
      totalBytes: null,
      readOnly: null,
    })
  })

  it("property: the verdict is stateFsVerdict of the reading, each fact the reading's", () => {
    const orNull = <T>(a: fc.Arbitrary<T>) => fc.option(a, {nil: null})
    fc.assert(
      fc.property(
        orNull(fc.string()),
        orNull(fc.string()),
        orNull(fc.nat()),
        orNull(fc.nat()),
        orNull(fc.boolean()),
        orNull(fc.string()),
        (fsType, mountPoint, freeBytes, totalBytes, readOnly, error) => {
          const r = reading({fsType, mountPoint, freeBytes, totalBytes, readOnly, error})
          const {state, why, ...facts} = stateFsStatus(r)
          expect({state, why}).toEqual(stateFsVerdict(r))
          const {error: _error, ...read} = r
          expect(facts).toEqual(read)
        },
      ),
    )
  })
})

describe('storageFault', () => {
  const now = Date.parse('2026-12-04T13:33:00Z')
  const log = (kind: 'storage-full' | 'storage-readonly' | 'storage-io', last = '2026-12-04T13:32:21.102Z') => ({count: 2, last, kind, line: `Error: ${kind}`})
  const ok = stateFsVerdict(reading({}))
  const unknown = stateFsVerdict(null)

  it('the fs read full or read-only is a fault by itself, with its hint', () => {
    expect(storageFault(stateFsVerdict(reading({freeBytes: 0})), null, now, 120_000)).toEqual({
      kind: 'storage-full',
      why: expect.stringContaining('full, 0 B free'),
      hint: STORAGE_HINTS['storage-full'],
    })
    expect(storageFault(stateFsVerdict(reading({readOnly: true})), null, now, 120_000)?.kind).toBe('storage-readonly')
  })

  it.each<[string, Parameters<typeof storageFault>, string | null]>([
    ['recent storage errors, fs not readable here (remote engine)', [unknown, log('storage-full'), now, 120_000], 'storage-full'],
    ['recent I/O errors, fs has room', [ok, log('storage-io'), now, 120_000], 'storage-io'],
    ['recent read-only errors, fs writable for fleet', [ok, log('storage-readonly'), now, 120_000], 'storage-readonly'],
    [
      'recent disk-full errors, the fs has room now: still a fault (seen: turns kept failing after the space was freed)',
      [ok, log('storage-full'), now, 120_000],
      'storage-full',
    ],
    ['errors older than the window', [unknown, log('storage-io', '2026-12-04T13:00:00Z'), now, 120_000], null],
    ['a good turn after the last error', [unknown, log('storage-full'), now, 120_000, Date.parse('2026-12-04T13:32:50Z')], null],
    ['a good turn before the last error', [unknown, log('storage-full'), now, 120_000, Date.parse('2026-12-04T13:30:00Z')], 'storage-full'],
    ['no errors', [unknown, {count: 0, last: null, kind: null, line: null}, now, 120_000], null],
  ])('%s', (_n, args, kind) => {
    expect(storageFault(...args)?.kind ?? null).toBe(kind)
  })
})

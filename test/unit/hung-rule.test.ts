/** One hung rule (locks/judge.ts hungAfterMs): judge's `hung` verdict and msUntilHung's timing read it alike. */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {hungAfterMs, judge} from '../../src/locks/judge.js'
import type {LockKind, LockPolicy, ProcessEvidence} from '../../src/locks/types.js'
import {msUntilHung, THRESHOLD_SLACK_MS} from '../../src/locks/verdict-timing.js'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const POLICY: LockPolicy = {maxHoldMs: 600_000, orphanAfterMs: 300_000, clockSkewMs: 2000, malformedGraceMs: 5000}

/** Judges a lock of `kind` held `ageMs` by a process `proc` (pid 42) in its running container. */
function judgedAt(kind: LockKind, proc: Partial<ProcessEvidence>, ageMs: number) {
  const created = NOW - ageMs
  return judge(
    {path: '/s/a.jsonl.lock', containerPath: '/c/a.jsonl.lock', kind, agent: 'main', session: 'a', size: 80, mtimeMs: created, raw: '{}'},
    {pid: 42, createdAt: new Date(created).toISOString(), createdAtMs: created, starttime: 1000, shape: 'v2026.3-4', problems: []},
    {
      container: {name: 'oc', running: true, startedAtMs: NOW - 3_600_000},
      mountedBy: ['oc'],
      process: {pid: 42, exists: true, state: 'S', starttime: 1000, ...proc},
    },
    POLICY,
    NOW,
  )
}

describe('the one hung rule', () => {
  it('only a lock held by a process that is not a turn turns hung, at maxHold', () => {
    expect(hungAfterMs('session', {isMain: true, isAgent: false}, POLICY)).toBe(600_000)
    expect(hungAfterMs('store', {isMain: false, isAgent: false}, POLICY)).toBe(600_000)
    expect(hungAfterMs('session', {isMain: false, isAgent: true}, POLICY)).toBeNull()
    expect(hungAfterMs('gateway', {isMain: true, isAgent: false}, POLICY)).toBeNull()
    expect(hungAfterMs('sqlite-writer', {isMain: true, isAgent: false}, POLICY)).toBeNull()
  })

  it('property: a live lock that msUntilHung times is hung once that time has passed, and one it does not time never is by age', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<LockKind>('session', 'store', 'gateway'),
        fc.record({isMain: fc.boolean(), isAgent: fc.boolean()}),
        fc.integer({min: 0, max: 1_200_000}),
        (kind, proc, ageMs) => {
          const j = judgedAt(kind, proc, ageMs)
          if (j.verdict !== 'live') return
          const ms = msUntilHung(
            {
              verdict: j.verdict,
              reasons: j.reasons,
              ageMs: j.ageMs,
              mtime: new Date(NOW - ageMs).toISOString(),
              kind,
              evidence: {process: {pid: 42, exists: true, ...proc}},
            },
            POLICY,
          )
          const later = judgedAt(kind, proc, ageMs + (ms ?? 10_000_000))
          if (ms !== null) {
            expect(later.verdict).toBe('hung')
            expect(judgedAt(kind, proc, ageMs + ms - THRESHOLD_SLACK_MS).verdict).not.toBe('hung')
          } else expect(later.verdict).not.toBe('hung')
        },
      ),
    )
  })
})

/** The `ignored` verdict is the verdict function's (locks/judge.ts judgeFile), one hop from judge. */
import {describe, expect, it} from 'vitest'
import {judge, judgeFile, type SessionStorage} from '../../src/locks/judge.js'
import type {LockEvidence, LockFile, LockKind, LockPolicy} from '../../src/locks/types.js'

const NOW = Date.UTC(2026, 10, 22, 12, 0, 0)
const POLICY: LockPolicy = {maxHoldMs: 600_000, orphanAfterMs: 300_000, clockSkewMs: 2000, malformedGraceMs: 5000}
const file = (kind: LockKind): LockFile => ({
  path: '/s/a.jsonl.lock',
  containerPath: '/c/a.jsonl.lock',
  kind,
  agent: 'main',
  session: 'a',
  size: 80,
  mtimeMs: NOW - 60_000,
  raw: '{}',
})
const payload = {
  pid: 42,
  createdAt: new Date(NOW - 60_000).toISOString(),
  createdAtMs: NOW - 60_000,
  starttime: 1000,
  shape: 'v2026.3-4' as const,
  problems: [],
}
/** pid 42 is gone: judge says stale (dead-pid). */
const evidence: LockEvidence = {container: {name: 'oc', running: true, startedAtMs: NOW - 3_600_000}, mountedBy: ['oc'], process: {pid: 42, exists: false}}

describe('judgeFile', () => {
  it.each<[LockKind, SessionStorage, string, string | undefined]>([
    ['session', 'sqlite', 'ignored', 'stale'],
    ['store', 'sqlite', 'ignored', 'stale'],
    ['gateway', 'sqlite', 'stale', undefined],
    ['session', 'jsonl', 'stale', undefined],
    ['session', null, 'stale', undefined],
  ])('a %s lock on %s storage: %s', (kind, storage, verdict, legacy) => {
    const j = judgeFile(file(kind), payload, evidence, POLICY, NOW, storage)
    expect(j.verdict).toBe(verdict)
    expect(j.legacyVerdict).toBe(legacy)
    const plain = judge(file(kind), payload, evidence, POLICY, NOW)
    expect(j.reasons).toEqual(legacy ? ['legacy-ignored', ...plain.reasons] : plain.reasons)
  })
})

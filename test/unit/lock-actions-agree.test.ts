/**
 * Heal and watch decide what to do with each lock by one rule (src/decide/lock-actions.ts): fed the same observation,
 * heal's plan and watch's decision (with its seen-twice proof given: every lock seen on the previous scan, same
 * content) agree on every lock: delete, end its holder, or leave it, and why.
 */
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {decideLocks} from '../../src/decide/lock-actions.js'
import {planInstance} from '../../src/decide/heal-plan.js'
import type {InstanceStatus, LockReport} from '../../src/observe/observe.js'
import {decide, freshMemory, type InstanceMemory, type WatchPolicy} from '../../src/decide/watch.js'
import type {Reason, Verdict} from '../../src/locks/types.js'
import {instanceStatus, KNOWN_VERSION, lockReport} from '../helpers/status.js'

const VERDICTS: Verdict[] = ['ignored', 'live', 'stale', 'hung', 'orphan', 'conflict', 'unknown']
const WATCH: WatchPolicy = {reportOnly: false, autoRestart: true, maxAttempts: 3, cooldownMs: 1000, recoverAfterMs: 600_000}
const lock = lockReport

type Answer = {action: 'delete' | 'end-holder' | 'leave'; why: string | null}

/** Heal's plan, per lock path. The why of an action is not part of the plan: only a leave carries one. */
function healSays(s: InstanceStatus): Map<string, Answer> {
  const plan = planInstance(s, {force: false, tidy: false, restart: 'needed'})
  const out = new Map<string, Answer>()
  for (const l of plan.deletes) out.set(l.path, {action: 'delete', why: null})
  for (const h of plan.signals) out.set(h.lock.path, {action: 'end-holder', why: null})
  for (const u of plan.untouched) out.set(u.lock.path, {action: 'leave', why: u.why})
  return out
}

/** Watch's decision on a scan after one that saw every lock with the same content (the seen-twice proof). */
function watchSays(s: InstanceStatus): Map<string, Answer> {
  const mem: InstanceMemory = {...freshMemory(), seen: new Map(s.locks.map((l) => [l.path, {verdict: l.verdict, raw: l.raw}]))}
  const d = decide(s, null, mem, WATCH, 10_000)
  const out = new Map<string, Answer>()
  for (const a of d.actions) {
    if (a.type === 'clear') out.set(a.lock.path, {action: 'delete', why: null})
    else if (a.type === 'end-holder') out.set(a.lock.path, {action: 'end-holder', why: null})
    else if (a.type === 'pending') out.set(a.lock.path, {action: 'leave', why: 'pending'})
  }
  for (const l of d.left) out.set(l.lock.path, {action: 'leave', why: l.why})
  return out
}

function expectAgreement(s: InstanceStatus): void {
  const heal = healSays(s)
  const watch = watchSays(s)
  expect(heal.size).toBe(s.locks.length)
  for (const l of s.locks) expect({path: l.path, ...watch.get(l.path)}).toEqual({path: l.path, ...heal.get(l.path)})
}

describe('heal and watch: one lock rule', () => {
  const noProcess = {evidence: {...lock('orphan', 0).evidence, process: null}}
  it.each<[string, LockReport[], Partial<InstanceStatus>]>([
    ['every verdict, version known', VERDICTS.map((v, i) => lock(v, i)), {}],
    ['an orphan without process evidence is left, with the reason, by both', [lock('orphan', 0, noProcess)], {}],
    ['an orphan with no pid is left', [lock('orphan', 0, {pid: null})], {}],
    ['a stale legacy lock is left (no --tidy)', [lock('ignored', 0, {legacyVerdict: 'stale'}), lock('ignored', 1, {legacyVerdict: 'live'})], {}],
    [
      'unknown version: everything left',
      VERDICTS.map((v, i) => lock(v, i)),
      {openclaw: {version: null, storage: null, source: null, error: 'no package.json'}},
    ],
    ['paused container: everything left', VERDICTS.map((v, i) => lock(v, i)), {state: 'paused', ok: false}],
    ['exited container', [lock('stale', 0, {reasons: ['container-not-running']})], {state: 'exited', ok: false}],
    ['a conflict names the other containers', [lock('conflict', 0, {evidence: {...lock('conflict', 0).evidence, mountedBy: ['c', 'other']}})], {}],
  ])('%s', (_name, locks, extra) => expectAgreement(instanceStatus(locks, extra)))

  it('the orphan without process evidence, concretely: left "orphan without process evidence" (watch used to send it to end-holder, then skip it)', () => {
    const s = instanceStatus([lock('orphan', 0, noProcess)])
    expect(healSays(s).get('/d/s0.jsonl.lock')).toEqual({action: 'leave', why: 'orphan without process evidence'})
    // Not proven yet, nothing pending either: it is left for good, and watch reports it at once.
    const first = decide(s, null, freshMemory(), WATCH, 0)
    expect(first.actions.filter((a) => 'lock' in a)).toEqual([])
    expect(first.left.map((l) => l.why)).toEqual(['orphan without process evidence'])
  })

  it('watch waits for proof where heal acts at once; report-only leaves it, awaiting', () => {
    const s = instanceStatus([lock('stale', 0), lock('orphan', 1)])
    expect(decide(s, null, freshMemory(), WATCH, 0).actions.map((a) => a.type)).toEqual(['pending', 'pending'])
    expect(decideLocks(s, {reportOnly: true}).map((d) => (d.action === 'leave' ? d.awaiting : d.action))).toEqual(['report-only', 'report-only'])
    expect(decideLocks(s, {proven: () => false}).map((d) => (d.action === 'leave' ? d.awaiting : d.action))).toEqual(['proof', 'proof'])
    expect(decideLocks(s, {}).map((d) => d.action)).toEqual(['delete', 'end-holder'])
  })

  const REASONS: Reason[] = ['dead-pid', 'stopped', 'being-written', 'container-paused', 'long-hold']
  const process = fc.option(
    fc.record({
      pid: fc.integer({min: 1, max: 99}),
      exists: fc.boolean(),
      starttime: fc.option(fc.integer({min: 0, max: 9}), {nil: undefined}),
      isAgent: fc.boolean(),
      isMain: fc.boolean(),
    }),
    {nil: null},
  )
  const lockArb = fc.record({
    verdict: fc.constantFrom(...VERDICTS),
    legacyVerdict: fc.option(fc.constantFrom(...VERDICTS), {nil: undefined}),
    kind: fc.constantFrom<LockReport['kind']>('session', 'store', 'gateway', 'sqlite-writer'),
    suspicious: fc.constantFrom<LockReport['suspicious']>(null, 'symlink'),
    pid: fc.option(fc.integer({min: 1, max: 99}), {nil: null}),
    process,
    mountedBy: fc.subarray(['c', 'd', 'e']),
    reasons: fc.subarray(REASONS),
  })

  it('property: fed the same observation, heal and watch agree on every lock', () => {
    fc.assert(
      fc.property(fc.array(lockArb, {maxLength: 8}), fc.constantFrom('running', 'paused', 'exited', 'missing'), fc.boolean(), (specs, state, versionKnown) => {
        const locks = specs.map((x, i) =>
          lock(x.verdict, i, {
            kind: x.kind,
            suspicious: x.suspicious,
            pid: x.pid,
            reasons: x.reasons,
            ...(x.legacyVerdict ? {legacyVerdict: x.legacyVerdict} : {}),
            evidence: {...lock(x.verdict, i).evidence, mountedBy: x.mountedBy, process: x.process},
          }),
        )
        const openclaw = versionKnown ? KNOWN_VERSION : {version: null, storage: null, source: null, error: 'unknown'}
        expectAgreement(instanceStatus(locks, {state, openclaw, ok: false}))
      }),
      {numRuns: 300},
    )
  })
})

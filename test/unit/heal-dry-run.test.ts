// --dry-run is the run with its effects switched off: the recorder changes nothing and records what the run would
// do; the refusals, the restart after a ping and the certain failures are decided once, for both.
import {existsSync, mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {planDocument} from '../../src/heal/document.js'
import {renderPlan} from '../../src/report/heal.js'
import {planInstance} from '../../src/decide/heal-plan.js'
import {certainFailureOf, certainGroupRestart, IF_PING_FAILS, refusalOf, restartIfPingFails, type InstanceHeal} from '../../src/heal/heal.js'
import {act, deleteLock, endOrphan, HealEffects, restartInstance, waitUp, type ActionRecord} from '../../src/heal/steps.js'
import {IncidentLog} from '../../src/incidents/log.js'
import type {LockReport} from '../../src/observe/observe.js'
import {instanceStatus} from '../helpers/status.js'

const inst = {name: 'oc7', lockAccess: 'host', docker: {kind: 'local'}} as never
const fleet = {heal: {termGraceMs: 5000}, locks: {probeTimeoutMs: 1000}} as never
const lock = (over: Partial<LockReport> = {}): LockReport =>
  ({
    path: '/nonexistent/s.jsonl.lock',
    containerPath: '/c/s.jsonl.lock',
    kind: 'session',
    raw: '{}',
    mtime: new Date().toISOString(),
    size: 2,
    verdict: 'stale',
    reasons: ['dead-pid'],
    pid: 26,
    evidence: {
      container: 'c',
      containerRunning: true,
      process: {pid: 26, exists: true, starttime: 5, cmdline: ['openclaw-agent'], isAgent: true, state: 'T'},
      mountedBy: ['c'],
    },
    ...over,
  }) as LockReport

describe('HealEffects.dry: the recorder', () => {
  it('records each change as planned, with its condition, runs nothing and writes no incident', async () => {
    const fx = HealEffects.dry()
    const actions: ActionRecord[] = []
    let ran = false
    const r = await fx.act(inst, actions, {
      type: 'delete-lock',
      target: '/x',
      run: async () => (ran = true),
      result: () => ({outcome: 'removed'}),
      planned: false,
      if: 'if so',
    })
    expect(ran).toBe(false)
    expect(r).toBe(false)
    expect(actions).toEqual([expect.objectContaining({type: 'delete-lock', target: '/x', outcome: 'planned', if: 'if so'})])
    expect(fx.log.written).toBe(false)
    fx.log.write('intent', {x: 1})
    expect(fx.log.written).toBe(false)
  })

  it('the steps go through it: a lock not touched, a holder not signalled, no restart, no wait', async () => {
    const fx = HealEffects.dry()
    const actions: ActionRecord[] = []
    const l = lock()
    await deleteLock(fx, inst, l, actions)
    await endOrphan(fleet, fx, inst, 'c', {pid: 26, starttime: 5, cmdline: 'openclaw-agent', lock: l}, actions)
    await restartInstance(fleet, fx, inst, undefined, {services: [], container: 'c'}, actions, IF_PING_FAILS)
    const w = await waitUp(fleet, fx, inst, 'c', 0, 1, actions, undefined, IF_PING_FAILS)
    expect(w.ok).toBe(true)
    expect(actions.map((a) => [a.type, a.outcome, a.if ?? null])).toEqual([
      ['delete-lock', 'planned', null],
      ['end-holder', 'planned', null],
      ['delete-lock', 'planned', 'if its holder, once ended, left it behind'],
      ['restart', 'planned', IF_PING_FAILS],
      ['wait', 'planned', IF_PING_FAILS],
    ])
  })

  it('the live one is act itself: intent and result in the incident log', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-fx-'))
    const log = new IncidentLog(dir, 'r1')
    const actions: ActionRecord[] = []
    const fx = new HealEffects(log)
    expect(fx.dryRun).toBe(false)
    const r = await fx.act(inst, actions, {type: 'backup', target: 't', run: async () => 7, result: () => ({outcome: 'written'}), planned: 0})
    expect(r).toBe(7)
    expect(actions[0].outcome).toBe('written')
    expect(existsSync(log.file)).toBe(true)
    // The free function is the same path.
    await act(log, inst, actions, {type: 'backup', target: 't2', run: async () => 1, result: () => ({outcome: 'written'}), planned: 0})
    expect(actions).toHaveLength(2)
  })
})

describe('decided once for the plan and the run', () => {
  const a = instanceStatus([], {id: 1, name: 'oc1', container: 'c1', sharedWith: ['c2'], ok: false})
  const b = instanceStatus([], {id: 2, name: 'oc2', container: 'c2', ok: false})
  const c = instanceStatus([], {id: 3, name: 'oc3', container: 'c3'})

  it('refusals: a shared sessions dir on both sides (unless --force), a paused container, an unreachable host', () => {
    expect(refusalOf(a, [a, b, c], false)?.detail).toBe('sessions dir shared with c2: nothing done')
    expect(refusalOf(b, [a, b, c], false)?.detail).toBe('sessions dir shared with c1: nothing done')
    expect(refusalOf(c, [a, b, c], false)).toBeNull()
    expect(refusalOf(a, [a, b, c], true)).toBeNull()
    expect(refusalOf(instanceStatus([], {state: 'paused'}), [], true)).toMatchObject({step: 'judge', status: 'skipped'})
    expect(refusalOf(instanceStatus([], {state: 'unreachable', errors: ['gone']}), [], false)).toMatchObject({status: 'failed', message: 'gone'})
  })

  it('a restart after the ping is promised only where the rule could restart', () => {
    const st = instanceStatus([lock()])
    const p = planInstance(st, {force: false, restart: 'needed'})
    expect(restartIfPingFails(st, p, 'needed', true, false)).toBe(true)
    expect(restartIfPingFails(st, p, 'needed', true, true)).toBe(false) // refused: not even pinged
    expect(restartIfPingFails(st, p, 'needed', false, false)).toBe(false) // not affected: only a final ping
    expect(restartIfPingFails(st, p, 'never', true, false)).toBe(false)
    const wrongMount = instanceStatus([], {
      ok: false,
      mount: {ok: false, problem: 'other-source', configured: '/a', mounted: '/b', readOnly: false, why: 'mounts /b, not /a'},
    } as never)
    expect(restartIfPingFails(wrongMount, planInstance(wrongMount, {force: false, restart: 'needed'}), 'needed', true, false)).toBe(false)
    const hung = instanceStatus([lock({verdict: 'hung'})])
    expect(restartIfPingFails(hung, planInstance(hung, {force: false, restart: 'needed'}), 'needed', true, false)).toBe(false) // certain already
  })

  it('certain failures: a refusal, a wrong mount; none for a fault heal may cure', () => {
    expect(certainFailureOf(a, refusalOf(a, [a, b], false))).toContain('nothing done')
    expect(certainFailureOf(instanceStatus([], {mount: {ok: false, why: 'mounts /b, not /a'}} as never), null)).toBe(
      'does not serve as status means it: mounts /b, not /a',
    )
    expect(certainFailureOf(instanceStatus([lock()], {ok: false}), null)).toBeNull()
  })
})

describe('the dry run document and its text', () => {
  const res = (over: Partial<InstanceHeal>): InstanceHeal =>
    ({
      id: 7,
      name: 'oc7',
      container: 'c7',
      before: {state: 'running', health: 'healthy', worst: null, counts: {}},
      plan: {deleteLocks: [], endHolders: [], untouched: [], sharedWith: [], restart: null, restartIfPingFails: false},
      steps: [],
      actions: [],
      certainFailure: null,
      ...over,
    }) as InstanceHeal

  it('ok is what is observed; failed counts the certain failures', () => {
    const doc = planDocument({results: [res({}), res({id: 8, certainFailure: 'x'})], statuses: [{ok: true}, {ok: false}]}, [], false, 1)
    expect(doc).toMatchObject({dryRun: true, runId: null, incidentLog: null, ok: false, summary: {failed: 1, healed: 0}})
    expect(planDocument({results: [res({})], statuses: [{ok: true}]}, [], false, 1).ok).toBe(true)
  })

  it('a refused instance: its refusal, no ping, no restart', () => {
    const text = renderPlan([
      res({steps: [{step: 'conflict', status: 'skipped', durationMs: 0, detail: 'sessions dir shared with c8: nothing done'}], certainFailure: 'm'}),
    ])
    expect(text.split('\n')).toEqual([
      'DRY RUN: nothing will be changed. Plan:',
      'oc7 (c7, running):',
      '  nothing done: sessions dir shared with c8: nothing done',
    ])
  })
})

describe('--restart group: whose restart of the group is certain', () => {
  const fleet = {
    instances: [
      {id: 1, group: 'g'},
      {id: 2, group: 'g'},
      {id: 3, group: 'g'},
      {id: 4, group: 'h'},
    ],
  } as never
  const st = (id: number, over = {}) => instanceStatus([], {id, name: `oc${id}`, container: `c${id}`, ...over})
  const statuses = [st(1), st(2), st(3, {state: 'exited'}), st(4, {state: 'exited'})]
  const plans = [
    {id: 1, restart: null},
    {id: 2, restart: null},
    {id: 3, restart: 'container exited'},
    {id: 4, restart: 'container exited'},
  ]

  it('the first member in heal order with a certain restart, for every member of its group only', () => {
    expect(certainGroupRestart({group: 'g'}, fleet, statuses, plans, [3, 4, 1, 2], false)).toBe('oc3')
    expect(certainGroupRestart({group: 'h'}, fleet, statuses, plans, [3, 4, 1, 2], false)).toBe('oc4')
    expect(certainGroupRestart({group: undefined}, fleet, statuses, plans, [3, 4, 1, 2], false)).toBeNull()
    expect(certainGroupRestart({group: 'g'}, fleet, statuses, plans.slice(0, 2), [1, 2], false)).toBeNull()
  })

  it('not a member heal refuses (a shared sessions dir) unless --force', () => {
    const shared = [st(1), st(2), st(3, {state: 'exited', sharedWith: ['c2']})]
    expect(certainGroupRestart({group: 'g'}, fleet, shared, plans, [3, 1, 2], false)).toBeNull()
    expect(certainGroupRestart({group: 'g'}, fleet, shared, plans, [3, 1, 2], true)).toBe('oc3')
  })
})

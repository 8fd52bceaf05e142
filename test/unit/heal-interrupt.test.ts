// An interrupted heal leaves a true record: what is left undone, the run-end, the signal handling, intents and
// their results, and how `fleet incidents` shows such a run.
import fc from 'fast-check'
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {incidentSettings} from '../../src/incidents-command.js'
import {parseEvents, parseRunDir, type RunDir} from '../../src/incidents/dirs.js'
import {buildReport, summarise, unmatchedIntents} from '../../src/incidents/document.js'
import {healDocument} from '../../src/heal/document.js'
import {renderHeal} from '../../src/report/heal.js'
import {renderList, renderReportMarkdown} from '../../src/report/incidents.js'
import {actionCounts, leftUndone, runEndRecord, type InstanceHeal} from '../../src/heal/heal.js'
import {RunInterrupt, signalExitCode} from '../../src/runs/interrupt.js'
import {act, holderTarget, type ActionRecord} from '../../src/heal/steps.js'
import {IncidentLog} from '../../src/incidents/log.js'

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fleet-int-'))
const inst = {name: 'oc7'} as never
const lines = (log: IncidentLog) => parseEvents(readFileSync(log.file, 'utf8')).events

const action = (type: ActionRecord['type'], target: string, outcome: string): ActionRecord => ({at: '2026-12-04T00:00:00.000Z', type, target, outcome})
const plan = {
  deleteLocks: [{path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['dead-pid']}],
  endHolders: [{pid: 42, cmdline: 'openclaw-agent', lock: '/s/b.jsonl.lock'}],
  untouched: [],
  sharedWith: [],
  restart: null,
  restartIfPingFails: true,
}
const ping = {ok: true} as InstanceHeal['ping']

describe('leftUndone: what heal planned or decided and did not start', () => {
  const cases: {name: string; r: Parameters<typeof leftUndone>[0]; want: string[]}[] = [
    {
      name: 'nothing done at all',
      r: {plan, actions: [], restarted: false, restartDecision: null, ping: null},
      want: ['delete lock /s/a.jsonl.lock', 'end holder pid 42 (openclaw-agent)', 'ping'],
    },
    {
      name: 'the lock removed, the holder not reached',
      r: {plan, actions: [action('delete-lock', '/s/a.jsonl.lock', 'removed')], restarted: false, restartDecision: null, ping: null},
      want: ['end holder pid 42 (openclaw-agent)', 'ping'],
    },
    {
      name: 'all acted on and pinged: nothing left',
      r: {
        plan,
        actions: [action('delete-lock', '/s/a.jsonl.lock', 'removed'), action('end-holder', holderTarget({pid: 42, cmdline: 'openclaw-agent'}), 'terminated')],
        restarted: false,
        restartDecision: {restart: false, why: 'answers', hint: null},
        ping,
      },
      want: [],
    },
    {
      name: 'a failed removal was tried: not "not done"',
      r: {plan: {...plan, endHolders: []}, actions: [action('delete-lock', '/s/a.jsonl.lock', 'failed')], restarted: false, restartDecision: null, ping},
      want: [],
    },
    {
      name: 'a restart decided, interrupted before it',
      r: {
        plan: {...plan, deleteLocks: [], endHolders: []},
        actions: [action('continue', 'pid 7', 'continued')],
        restarted: false,
        restartDecision: {restart: true, why: 'hung lock holder', hint: null},
        ping: null,
      },
      want: ['restart (hung lock holder)', 'ping'],
    },
    {
      name: 'restarted, the wait cut short',
      r: {
        plan: {...plan, deleteLocks: [], endHolders: []},
        actions: [action('restart', 'g: svc', 'done'), action('wait', 'c', 'interrupted')],
        restarted: true,
        restartDecision: {restart: true, why: 'hung', hint: null},
        ping: null,
      },
      want: ['wait until healthy', 'ping'],
    },
    {
      name: 'restarted with its group (the restart recorded on another instance), waited',
      r: {
        plan: {...plan, deleteLocks: [], endHolders: []},
        actions: [action('wait', 'c', 'healthy')],
        restarted: true,
        restartDecision: {restart: true, why: 'hung', hint: null},
        ping,
      },
      want: [],
    },
  ]
  for (const c of cases) it(c.name, () => expect(leftUndone(c.r)).toEqual(c.want))

  it('property: every planned lock and holder is either tried or named, never both', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({min: 1, max: 50}), {maxLength: 6}),
        fc.uniqueArray(fc.integer({min: 1, max: 50}), {maxLength: 6}),
        fc.array(fc.boolean(), {maxLength: 12}),
        (locks, pids, done) => {
          const p = {
            ...plan,
            deleteLocks: locks.map((n) => ({path: `/s/${n}.lock`, verdict: 'stale', reasons: []})),
            endHolders: pids.map((pid) => ({pid, cmdline: 'x', lock: '/s/l'})),
          }
          const actions = [
            ...p.deleteLocks.filter((_, i) => done[i]).map((l) => action('delete-lock', l.path, 'removed')),
            ...p.endHolders.filter((_, i) => done[i + 6]).map((h) => action('end-holder', holderTarget(h), 'killed')),
          ]
          const left = leftUndone({plan: p, actions, restarted: false, restartDecision: null, ping})
          return left.length + actions.length === locks.length + pids.length
        },
      ),
    )
  })
})

describe('the run-end record and the exit code', () => {
  it('counts what was done, names what was not, and says how the run stopped', () => {
    const r = {
      name: 'oc7',
      healed: false,
      restarted: false,
      ping: null,
      notDone: ['ping'],
      actions: [
        action('delete-lock', '/a', 'removed'),
        action('end-holder', 'pid 1 (x)', 'killed'),
        action('end-holder', 'pid 2 (x)', 'gone'),
        action('continue', 'pid 3', 'continued'),
      ],
    } as unknown as InstanceHeal
    expect(runEndRecord([r], {interrupted: 'SIGINT', unreachable: null})).toEqual({
      results: [{instance: 'oc7', healed: false, restarted: false, failure: null, notDone: ['ping']}],
      done: {locksRemoved: 1, holdersEnded: 1, continued: 1, restarts: 0},
      interrupted: 'SIGINT',
      unreachable: null,
    })
    expect(actionCounts([])).toEqual({locksRemoved: 0, holdersEnded: 0, continued: 0, restarts: 0})
  })

  it('exit codes as a shell reports them', () => {
    expect(signalExitCode('SIGINT')).toBe(130)
    expect(signalExitCode('SIGTERM')).toBe(143)
  })
})

describe('RunInterrupt', () => {
  it('the first signal aborts and is recorded; the second writes a last run-end, lets go of the run locks and exits at once', () => {
    const said: string[] = []
    const exits: number[] = []
    const i = new RunInterrupt({say: (l) => said.push(l), exit: (c) => exits.push(c)})
    const log = new IncidentLog(tmp(), 'abcd1234')
    log.write('intent', {instance: 'oc7', action: 'delete-lock', target: '/a'})
    const lock = path.join(tmp(), 'x.lock')
    writeFileSync(lock, '{}')
    i.log = log
    i.lockPaths = [lock]
    expect(i.reason).toBeNull()
    i.receive('SIGTERM')
    expect(i.signal.aborted).toBe(true)
    expect(i.reason).toBe('SIGTERM')
    expect(exits).toEqual([])
    expect(said[0]).toContain('finishing the step in flight')
    expect(existsSync(lock)).toBe(true)
    i.receive('SIGINT')
    expect(exits).toEqual([130])
    expect(existsSync(lock)).toBe(false)
    const events = lines(log)
    expect(events.map((e) => e.event)).toEqual(['intent', 'signal', 'run-end'])
    expect(events[2]).toMatchObject({interrupted: 'SIGTERM', forced: 'SIGINT'})
  })

  it('install/dispose: the handlers come and go (no listener left behind)', () => {
    const before = process.listenerCount('SIGINT')
    const i = new RunInterrupt({say: () => undefined, exit: () => undefined}).install()
    expect(process.listenerCount('SIGINT')).toBe(before + 1)
    expect(process.listenerCount('SIGTERM')).toBeGreaterThan(0)
    i.dispose()
    expect(process.listenerCount('SIGINT')).toBe(before)
  })
})

describe('act: the intent before, the result after, whatever happens', () => {
  it('writes the intent before the change runs and the result after', async () => {
    const log = new IncidentLog(tmp(), 'abcd1234')
    const actions: ActionRecord[] = []
    let seenBefore: string[] = []
    await act(log, inst, actions, {
      type: 'end-holder',
      target: 'pid 9 (x)',
      intent: {pid: 9},
      run: async () => {
        seenBefore = lines(log).map((e) => e.event)
        return {outcome: 'terminated', durationMs: 5}
      },
      result: (r) => r,
      planned: {outcome: 'planned', durationMs: 0},
    })
    expect(seenBefore).toEqual(['intent'])
    expect(lines(log).map((e) => [e.event, e.action ?? e.type, e.target, e.outcome])).toEqual([
      ['intent', 'end-holder', 'pid 9 (x)', undefined],
      ['action', 'end-holder', 'pid 9 (x)', 'terminated'],
    ])
    expect(actions).toHaveLength(1)
  })

  it('an error (the engine gone mid-call) is recorded as failed with its message, then rethrown', async () => {
    const log = new IncidentLog(tmp(), 'abcd1234')
    const actions: ActionRecord[] = []
    await expect(
      act(log, inst, actions, {
        type: 'continue',
        target: 'pid 3',
        run: () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock')),
        result: () => ({outcome: 'continued'}),
        planned: undefined as never,
      }),
    ).rejects.toThrow('ENOENT')
    expect(actions).toMatchObject([{type: 'continue', target: 'pid 3', outcome: 'failed', detail: 'connect ENOENT /var/run/docker.sock'}])
    expect(unmatchedIntents(...split(lines(log)))).toEqual([])
  })
})

const split = (events: ReturnType<typeof lines>) => [events.filter((e) => e.event === 'intent'), events.filter((e) => e.event === 'action')] as const

describe('fleet incidents on an interrupted or killed run', () => {
  const run = parseRunDir('2026-12-04T01-00-00-000Z-abcd1234') as RunDir
  const ev = (s: string, event: string, data: Record<string, unknown> = {}) => ({ts: `2026-12-04T01:00:${s}Z`, run: 'abcd1234', event, ...data})
  const acted = [
    ev('00.000', 'run-start', {config: '/f.yml'}),
    ev('01.000', 'lock', {instance: 'oc7', path: '/s/b.jsonl.lock', verdict: 'orphan', reasons: ['agent-process', 'client-gone']}),
    ev('02.000', 'intent', {instance: 'oc7', action: 'end-holder', target: 'pid 42 (openclaw-agent)', pid: 42, lock: '/s/b.jsonl.lock'}),
    ev('03.000', 'signal', {signal: 'SIGINT'}),
    ev('05.000', 'action', {instance: 'oc7', type: 'end-holder', target: 'pid 42 (openclaw-agent)', outcome: 'terminated'}),
    ev('05.100', 'intent', {instance: 'oc7', action: 'delete-lock', target: '/s/b.jsonl.lock', path: '/s/b.jsonl.lock'}),
    ev('05.200', 'action', {instance: 'oc7', type: 'delete-lock', target: '/s/b.jsonl.lock', outcome: 'removed'}),
  ]
  const end = ev('06.000', 'run-end', {
    results: [
      {instance: 'oc7', healed: false, restarted: false, failure: null, notDone: ['ping']},
      {instance: 'oc8', healed: false, restarted: false, failure: null, notDone: ['delete lock /s/c.jsonl.lock', 'ping']},
    ],
    interrupted: 'SIGINT',
    unreachable: null,
  })

  it('an interrupted run: interrupted, with its counts and what was not done', () => {
    const r = buildReport(run, '/d/x', [...acted, end])
    expect(r).toMatchObject({complete: true, interrupted: 'SIGINT', unreachable: null, unfinished: []})
    expect(summarise(r)).toMatchObject({holdersEnded: 1, locksRemoved: 1, interrupted: 'SIGINT', unfinished: 0, healed: false})
    expect(r.notes.join('\n')).toContain('interrupted by SIGINT: the step in flight was finished')
    expect(r.notes.join('\n')).toContain('oc8: not done: delete lock /s/c.jsonl.lock; ping')
    const md = renderReportMarkdown(r)
    expect(md).toContain('**interrupted by SIGINT**')
    expect(md).toContain('- oc8: not healed; not done: delete lock /s/c.jsonl.lock; ping')
    const list = renderList({dir: '/d', runs: [summarise(r)]})
    expect(list).toContain('interrupted (SIGINT)')
    expect(list).not.toContain('incomplete')
  })

  it('a killed run (no run-end) with an intent left without its result: incomplete, 1 unfinished, named', () => {
    const r = buildReport(run, '/d/x', acted.slice(0, 3))
    expect(r.complete).toBe(false)
    expect(r.unfinished).toEqual([{at: '2026-12-04T01:00:02.000Z', instance: 'oc7', action: 'end-holder', target: 'pid 42 (openclaw-agent)'}])
    expect(renderList({dir: '/d', runs: [summarise(r)]})).toContain('incomplete, 1 unfinished')
    expect(r.notes.join('\n')).toContain('end-holder pid 42 (openclaw-agent) was announced at 2026-12-04T01:00:02.000Z and has no result')
  })

  it('older logs: intents without a target are matched by instance and action', () => {
    const old = [
      ev('01.000', 'intent', {instance: 'oc7', action: 'delete-lock', path: '/a'}),
      ev('02.000', 'action', {instance: 'oc7', type: 'delete-lock', target: '/a', outcome: 'removed'}),
    ]
    expect(unmatchedIntents([old[0]], [old[1]])).toEqual([])
    expect(unmatchedIntents([old[0]], [])).toEqual([{at: old[0].ts, instance: 'oc7', action: 'delete-lock', target: '/a'}])
    // A result before its intent answers nothing.
    expect(unmatchedIntents([old[0]], [{...old[1], ts: '2026-12-04T00:59:00.000Z'}])).toHaveLength(1)
  })

  it('a second signal: run-end forced, the note says an intent may be unfinished', () => {
    const r = buildReport(run, '/d/x', [...acted.slice(0, 3), ev('04.000', 'run-end', {interrupted: 'SIGINT', forced: 'SIGINT'})])
    expect(r.interrupted).toBe('SIGINT')
    expect(r.unfinished).toHaveLength(1)
    expect(r.notes.join('\n')).toContain('then ended at once by SIGINT')
  })
})

describe('heal output when stopped short', () => {
  const r = {
    id: 7,
    name: 'oc7',
    before: {worst: 'orphan'},
    actions: [action('end-holder', 'pid 42 (openclaw-agent)', 'terminated')],
    steps: [{step: 'ping', status: 'skipped', durationMs: 0, detail: 'not started: interrupted by SIGINT'}],
    restarted: false,
    ping: null,
    notDone: ['ping'],
    healed: false,
    recurred: [],
    restartDecision: null,
  } as unknown as InstanceHeal

  it('prints the signal, what was done and what was not; the document is not ok', () => {
    const doc = healDocument({runId: 'abcd1234', incidentLog: '/i/x.jsonl', results: [r], stop: {interrupted: 'SIGINT', unreachable: null}}, [], false, 1000)
    expect(doc).toMatchObject({ok: false, interrupted: 'SIGINT', unreachable: null})
    const text = renderHeal(doc)
    expect(text).toContain('heal INTERRUPTED by SIGINT')
    expect(text).toContain('oc7: done: end-holder pid 42 (openclaw-agent): terminated')
    expect(text).toContain('oc7: not done: ping')
    expect(text).toContain('ping: not started: interrupted by SIGINT')
  })

  it('the engine gone: said, exit-3 material', () => {
    const doc = healDocument(
      {runId: 'abcd1234', incidentLog: null, results: [r], stop: {interrupted: null, unreachable: 'Docker at local is unreachable'}},
      [],
      false,
      1000,
    )
    expect(doc.ok).toBe(false)
    expect(renderHeal(doc)).toContain('heal cut short: Docker unreachable: Docker at local is unreachable')
  })

  it('a run that went through prints none of it', () => {
    const doc = healDocument(
      {runId: 'abcd1234', incidentLog: null, results: [{...r, notDone: []}], stop: {interrupted: null, unreachable: null}},
      [],
      false,
      1000,
    )
    expect(renderHeal(doc)).not.toMatch(/INTERRUPTED|cut short|not done/)
  })
})

describe('incidents without a config', () => {
  it('--dir, else the config, else the default dir and retention', () => {
    const fleet = {file: '/f.yml', heal: {incidentDir: '/inc', incidentRetention: {keepRuns: 3, keepForMs: 1000}}}
    expect(incidentSettings('rel', fleet)).toEqual({dir: path.resolve('rel'), retention: {keepRuns: 3, keepForMs: 1000}, config: '/f.yml'})
    expect(incidentSettings(undefined, fleet).dir).toBe('/inc')
    const none = incidentSettings(undefined, null)
    expect(none.config).toBeNull()
    expect(none.dir).toMatch(/openclaw-fleet\/incidents$/)
    expect(none.retention).toEqual({keepRuns: 200, keepForMs: 30 * 86_400_000})
  })
})

// heal's `cure start` wiring: when the step runs (startCureApplies), what a dry run plans for each decision (the run
// with its effects off: the same healStartCure), what it records, and that a dry run knows a refusal it will not cure.
import {describe, expect, it} from 'vitest'
import {validateFleet} from '../../src/config/load.js'
import {startCureApplies, decideStartCure, MAX_START_WAITS, type StartCureFacts} from '../../src/decide/start-cure.js'
import type {Life, LifeState} from '../../src/openclaw/gateway-life.js'
import type {StartRefusal} from '../../src/openclaw/start-refusals.js'
import {HealEffects, type ActionRecord} from '../../src/heal/steps.js'
import {healStartCure} from '../../src/heal/heal-start-cure.js'
import {firstStartCure} from '../../src/heal/start-cure.js'
import {certainFailureOf, type InstanceHeal} from '../../src/heal/heal.js'
import {healDocument} from '../../src/heal/document.js'
import {renderHeal, renderPlan} from '../../src/report/heal.js'
import {instanceStatus, lockReport} from '../helpers/status.js'
import {MIGRATIONS, SCHEMA, MAINTENANCE, HEARTBEAT, DISK, GW_LOCK, CHANNELS} from '../helpers/refusals.js'
import type {InstanceStatus} from '../../src/observe/observe.js'

const V96: InstanceStatus['openclaw'] = {version: '2026.9.6', storage: 'sqlite', source: 'cache', error: null}

function life(state: LifeState, r: StartRefusal | null, readiness: Life['readiness']['state'] = 'not-ready'): Life {
  return {
    state,
    why: `${state} (why)`,
    serves: state === 'ready',
    restartCount: 3,
    exitCode: 1,
    upMs: 1000,
    readiness: {state: readiness, source: readiness === 'unknown' ? null : 'readyz', detail: null},
    refusal: r,
    lastLine: null,
    channelsDown: [],
  }
}

const refusing = (state: LifeState, r: StartRefusal | null, extra: Partial<InstanceStatus> = {}) =>
  instanceStatus([], {
    openclaw: V96,
    ok: false,
    life: life(state, r),
    state: state === 'restarting' || state === 'crash-loop' ? 'restarting' : 'running',
    ...extra,
  })

// [case, life state, refusal, readiness, the step runs]
const APPLIES: [string, LifeState, StartRefusal | null, Life['readiness']['state'], boolean][] = [
  ['crash loop refusing with migrations incomplete', 'crash-loop', MIGRATIONS, 'not-ready', true],
  ['failing: schema incomplete', 'failing', SCHEMA, 'not-ready', true],
  ['restarting after one refusal', 'restarting', MIGRATIONS, 'not-ready', true],
  ['starting with an earlier refusal in its window', 'starting', MIGRATIONS, 'not-ready', true],
  ['crash loop on a refusal that clears by itself', 'crash-loop', HEARTBEAT, 'not-ready', true],
  ['a refusal only a person cures (disk)', 'crash-loop', DISK, 'not-ready', true],
  ['readiness unknown while failing', 'failing', SCHEMA, 'unknown', true],
  ['no refusal: starting is the ping step wait', 'starting', null, 'not-ready', false],
  ['no refusal: crash loop (the restart rule refuses, as before)', 'crash-loop', null, 'not-ready', false],
  ['ready: an old refusal is over', 'ready', MIGRATIONS, 'ready', false],
  ['ready but failing (channels down): it serves', 'failing', MIGRATIONS, 'ready', false],
  ['a gateway lock: the lock rules own it', 'crash-loop', GW_LOCK, 'not-ready', false],
  ['channels kept down: the start channels step owns it', 'failing', CHANNELS, 'not-ready', false],
  ['stopped: the restart rule owns it', 'stopped', MIGRATIONS, 'unknown', false],
  ['paused', 'paused', MIGRATIONS, 'unknown', false],
  ['missing', 'missing', MIGRATIONS, 'unknown', false],
  ['unreachable', 'unreachable', MIGRATIONS, 'unknown', false],
  ['unverified', 'unverified', MIGRATIONS, 'unknown', false],
]

describe('startCureApplies: which gateways heal runs `cure start` for', () => {
  it.each(APPLIES)('%s', (_n, state, r, readiness, applies) => {
    expect(startCureApplies(life(state, r, readiness))).toBe(applies)
  })
})

const facts = (f: Partial<StartCureFacts> = {}): StartCureFacts => ({
  version: '2026.9.6',
  mountOk: true,
  liveTurns: [],
  activeWork: null,
  doctorFixRanFor: [],
  ...f,
})

describe('decideStartCure: the rows the heal wiring added', () => {
  it.each([
    ['the first wait for a refusal that clears by itself', 'crash-loop', HEARTBEAT, 0, 'wait'],
    ['the last wait allowed', 'crash-loop', HEARTBEAT, MAX_START_WAITS - 1, 'wait'],
    ['waited enough: report, never a third wait', 'crash-loop', HEARTBEAT, MAX_START_WAITS, 'none'],
    ['restarting after one refusal, waited enough', 'restarting', MIGRATIONS, MAX_START_WAITS, 'none'],
    ['waits do not block doctor for a crash loop that asks for it', 'crash-loop', MIGRATIONS, MAX_START_WAITS, 'doctor-fix'],
    ['restarting on a refusal OpenClaw never clears by itself: doctor at once', 'restarting', MAINTENANCE, 0, 'doctor-fix'],
    ['starting (a manual start may follow a repair): wait, even for that kind', 'starting', MAINTENANCE, 0, 'wait'],
    ['crash loop on it', 'crash-loop', MAINTENANCE, 0, 'doctor-fix'],
  ] as const)('%s', (_n, state, r, waits, cure) => {
    const d = decideStartCure(life(state, r), r, facts({waits}))
    expect(d.cure).toBe(cure)
    if (cure === 'none') expect(d.why).toContain(`waited ${waits} time(s)`)
  })

  it('ready but failing (channels down): none, never a stop for doctor', () => {
    expect(decideStartCure(life('failing', MIGRATIONS, 'ready'), MIGRATIONS, facts())).toMatchObject({
      cure: 'none',
      why: expect.stringContaining('says it is ready'),
    })
  })
})

const fleet = validateFleet({instances: '7', container: 'c{id}', dataDir: '/nonexistent/oc{id}', gateway: {startBudget: '4m'}}, '/nonexistent/fleet.config.yml')

/** The step on a dry run: the run itself with its effects off (no Docker is asked). */
async function dry(st: InstanceStatus) {
  const actions: ActionRecord[] = []
  const fx = HealEffects.dry()
  const report = await healStartCure({
    fleet,
    fx,
    inst: fleet.instances[0],
    status: st,
    actions,
    observeAgain: () => Promise.reject(new Error('a dry run observes once')),
  })
  return {report, actions}
}

describe('healStartCure in a dry run: what the run plans for each decision', () => {
  it('doctor-fix: one planned start-cure action naming the one-off, the policy var and the bound; the steps after it depend on it', async () => {
    const {report, actions} = await dry(refusing('crash-loop', MIGRATIONS))
    expect(report.outcome).toBe('planned')
    expect(report.rounds).toEqual([expect.objectContaining({decision: 'doctor-fix', refusal: {kind: 'startup-migrations-incomplete', line: MIGRATIONS.line}})])
    expect(actions).toEqual([
      expect.objectContaining({
        type: 'start-cure',
        target: 'c',
        outcome: 'planned',
        detail: expect.stringMatching(
          /docker stop -t 330.*openclaw doctor --fix --non-interactive.*OPENCLAW_SERVICE_REPAIR_POLICY=external.*4m.*once for startup-migrations-incomplete/,
        ),
      }),
    ])
    expect(report.condition).toBe('if doctor --fix cures the start')
    expect(actions.some((a) => a.type === 'restart')).toBe(false)
  })

  it('wait: a planned wait, never a restart', async () => {
    const {report, actions} = await dry(refusing('restarting', MIGRATIONS))
    expect(report).toMatchObject({
      outcome: 'planned',
      rounds: [expect.objectContaining({decision: 'wait'})],
      condition: expect.stringContaining('clears by itself'),
    })
    expect(report.detail).toContain('never a restart')
    expect(actions).toEqual([expect.objectContaining({type: 'wait', outcome: 'planned'})])
  })

  it.each([
    ['a refusal only a person cures', refusing('crash-loop', DISK), 'does not cure it'],
    [
      'a version before 2026.8',
      refusing('crash-loop', MIGRATIONS, {openclaw: {version: '2026.4.29', storage: 'jsonl', source: 'cache', error: null}}),
      'older than 2026.8',
    ],
    ['an unknown version', refusing('crash-loop', MIGRATIONS, {openclaw: {version: null, storage: null, source: null, error: 'x'}}), 'version is unknown'],
    [
      'a wrong mount',
      refusing('crash-loop', MIGRATIONS, {mount: {ok: false, problem: 'other-dir', configured: '/a', mounted: '/b', readOnly: false, why: 'mounts /b'}}),
      'dataDir',
    ],
    ['a live turn holding a lock', refusing('failing', MIGRATIONS, {locks: [lockReport('live')]}), 'pid 26'],
  ])('none (%s): no action, the hint is the failure, and a dry run knows it will not be healed', async (_n, st, why) => {
    const {report, actions} = await dry(st)
    expect(report.outcome).toBe('not-cured')
    expect(report.detail).toContain(why)
    expect(actions).toEqual([])
    expect(firstStartCure(st)).toMatchObject({cure: 'none'})
    expect(certainFailureOf(st, null)).toBeTruthy()
  })

  it('a dry run of a refusal heal may cure is no certain failure', () => {
    expect(certainFailureOf(refusing('crash-loop', MIGRATIONS), null)).toBeNull()
    expect(certainFailureOf(refusing('restarting', HEARTBEAT), null)).toBeNull()
    expect(firstStartCure(refusing('crash-loop', GW_LOCK))).toBeNull()
  })
})

describe('the report says the cure', () => {
  const at = '2026-01-01T00:00:00.000Z'
  const r = {
    id: 7,
    name: 'oc7',
    container: 'c7',
    before: {state: 'restarting', health: 'starting', worst: null, counts: {}},
    plan: {deleteLocks: [], endHolders: [], untouched: [], sharedWith: [], restart: null, restartIfPingFails: false},
    steps: [],
    actions: [
      {at, type: 'start-cure', target: 'c7', outcome: 'planned', detail: 'stop the gateway, openclaw doctor --fix'},
      {at, type: 'ping', target: 'c7', outcome: 'planned', if: 'if doctor --fix cures the start'},
    ],
    startCure: {
      rounds: [],
      outcome: 'ready',
      detail: '',
      configChanged: [
        {path: 'skills.entries.github.enabled', change: 'added', after: 'false'},
        {path: 'skills.entries.notion.enabled', change: 'added', after: 'false'},
      ],
    },
    ping: {ok: true, reply: 'SPEED_OK', latencyMs: 1000},
    healed: true,
    recurred: [],
    notDone: [],
    restartDecision: null,
    restarted: false,
    after: null,
    durationMs: 1,
  } as unknown as InstanceHeal

  it('a dry run plans the doctor run, then what depends on it', () => {
    expect(renderPlan([r]).split('\n')).toEqual([
      'DRY RUN: nothing will be changed. Plan:',
      'oc7 (c7, restarting):',
      '  cure the start of c7 with openclaw doctor --fix (stop the gateway, openclaw doctor --fix)',
      '  then, if doctor --fix cures the start:',
      '    ping c7',
    ])
  })

  it('the run says what doctor changed in the user config, once per kind of change', () => {
    const doc = healDocument({runId: 'r', incidentLog: '/tmp/i', results: [r]}, [], false, 1)
    expect(renderHeal(doc)).toContain('oc7: openclaw doctor --fix CHANGED its openclaw.json: skills.entries.*.enabled added (false) for 2: github, notion')
  })
})

import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {decideStartCure, doctorFixSupported, NEVER_CLEARS_BY_ITSELF, type StartCure, type StartCureFacts} from '../../src/decide/start-cure.js'
import type {LifeState} from '../../src/openclaw/gateway-life.js'
import {MIGRATIONS, SCHEMA, LEGACY, MAINTENANCE, MIGRATION_LEASE, HEARTBEAT, DISK, NEWER, GW_LOCK, CHANNELS} from '../helpers/refusals.js'
import {REFUSAL_KINDS, type RefusalKind, type StartRefusal} from '../../src/openclaw/start-refusals.js'

const life = (state: LifeState) => ({state, why: `${state} (why)`})
const facts = (f: Partial<StartCureFacts> = {}): StartCureFacts => ({
  version: '2026.9.6',
  mountOk: true,
  liveTurns: [],
  activeWork: null,
  doctorFixRanFor: [],
  ...f,
})

// [case, life state, refusal, facts, cure, why contains]
const TABLE: [string, LifeState, StartRefusal | null, Partial<StartCureFacts>, StartCure, string][] = [
  ['crash loop, migrations incomplete, 2026.9.6', 'crash-loop', MIGRATIONS, {}, 'doctor-fix', 'startup-migrations-incomplete'],
  ['failing, schema incomplete', 'failing', SCHEMA, {}, 'doctor-fix', 'schema-incomplete'],
  ['crash loop, legacy workspace, 2026.8.2', 'crash-loop', LEGACY, {version: '2026.8.2'}, 'doctor-fix', 'legacy-workspace'],
  ['version string as `openclaw --version` prints it', 'crash-loop', MIGRATIONS, {version: 'OpenClaw 2026.9.6 (a1b2c3d)'}, 'doctor-fix', 'doctor --fix'],
  ['a later year', 'crash-loop', MIGRATIONS, {version: '2027.1.0'}, 'doctor-fix', 'doctor --fix'],
  ['no refusal', 'crash-loop', null, {}, 'none', 'no start refusal'],
  ['ready: the refusal is over', 'ready', MIGRATIONS, {}, 'none', 'ready'],
  ['migration lease held: wait', 'crash-loop', MIGRATION_LEASE, {}, 'wait', 'startup-migrations-running'],
  ['lease heartbeat: wait', 'failing', HEARTBEAT, {}, 'wait', 'lease-heartbeat'],
  ['disk full: operator', 'crash-loop', DISK, {}, 'none', 'does not cure'],
  ['newer database: operator', 'crash-loop', NEWER, {}, 'none', 'does not cure'],
  ['gateway lock: the lock rules', 'crash-loop', GW_LOCK, {}, 'none', 'does not cure'],
  ['channels suppressed', 'failing', CHANNELS, {}, 'none', 'does not cure'],
  ['version unknown', 'crash-loop', MIGRATIONS, {version: null}, 'none', 'version is unknown'],
  ['2026.4.29', 'crash-loop', MIGRATIONS, {version: '2026.4.29'}, 'none', 'older than 2026.8'],
  ['2026.7.9', 'failing', SCHEMA, {version: '2026.7.9'}, 'none', 'older than 2026.8'],
  ['unparsable version', 'failing', SCHEMA, {version: 'main'}, 'none', 'older than 2026.8'],
  ['wrong mount', 'crash-loop', MIGRATIONS, {mountOk: false}, 'none', 'dataDir'],
  ['live turns', 'failing', MIGRATIONS, {liveTurns: [41, 42]}, 'none', 'pid 41, pid 42'],
  ['active work reported', 'failing', MIGRATIONS, {activeWork: 2}, 'none', '2 active work'],
  ['zero active work is no work', 'failing', MIGRATIONS, {activeWork: 0}, 'doctor-fix', 'doctor --fix'],
  ['already ran for this kind in this heal', 'crash-loop', MIGRATIONS, {doctorFixRanFor: ['startup-migrations-incomplete']}, 'none', 'already ran'],
  ['ran for another kind: this one is new', 'crash-loop', SCHEMA, {doctorFixRanFor: ['startup-migrations-incomplete']}, 'doctor-fix', 'schema-incomplete'],
  ['starting: wait', 'starting', MIGRATIONS, {}, 'wait', 'no proof yet'],
  ['restarting (not yet a loop): wait', 'restarting', MIGRATIONS, {}, 'wait', 'no proof yet'],
  [
    'restarting on a start-up maintenance refusal (never clears by itself): doctor-fix',
    'restarting',
    MAINTENANCE,
    {},
    'doctor-fix',
    'refuses this state by design',
  ],
  ['starting with one: wait (a manual start may follow a repair)', 'starting', MAINTENANCE, {}, 'wait', 'no proof yet'],
  ['stopped', 'stopped', MIGRATIONS, {}, 'none', 'stopped'],
  ['paused', 'paused', MIGRATIONS, {}, 'none', 'paused'],
  ['unverified', 'unverified', MIGRATIONS, {}, 'none', 'unverified'],
  ['missing', 'missing', MIGRATIONS, {}, 'none', 'missing'],
  ['unreachable', 'unreachable', MIGRATIONS, {}, 'none', 'unreachable'],
]

describe('decideStartCure', () => {
  it.each(TABLE)('%s', (_name, state, r, f, cure, why) => {
    const d = decideStartCure(life(state), r, facts(f))
    expect(d.cure).toBe(cure)
    expect(d.why).toContain(why)
    if (d.cure === 'none' && r && r.cure !== 'doctor-fix' && state !== 'ready') expect(d.hint).toBe(r.hint)
  })

  it('doctorFixSupported: 2026.8 and later only', () => {
    expect(doctorFixSupported('2026.8.0')).toBe(true)
    expect(doctorFixSupported('2026.9.6')).toBe(true)
    expect(doctorFixSupported('2026.7.99')).toBe(false)
    expect(doctorFixSupported(null)).toBe(false)
  })
})

const STATES: LifeState[] = ['ready', 'starting', 'restarting', 'crash-loop', 'failing', 'unverified', 'stopped', 'paused', 'missing', 'unreachable']
const LINES = [MIGRATIONS, SCHEMA, LEGACY, MAINTENANCE, MIGRATION_LEASE, HEARTBEAT, DISK, NEWER, GW_LOCK, CHANNELS]
const arbRefusal = fc.option(fc.constantFrom(...LINES), {nil: null})
const arbVersion = fc.option(
  fc.tuple(fc.integer({min: 2025, max: 2028}), fc.integer({min: 1, max: 12}), fc.integer({min: 0, max: 40})).map(([y, m, p]) => `${y}.${m}.${p}`),
  {nil: null},
)
const arbFacts: fc.Arbitrary<StartCureFacts> = fc.record({
  version: arbVersion,
  mountOk: fc.boolean(),
  liveTurns: fc.array(fc.integer({min: 2, max: 99_999}), {maxLength: 3}),
  activeWork: fc.option(fc.integer({min: 0, max: 5}), {nil: null}),
  doctorFixRanFor: fc.subarray([...REFUSAL_KINDS] as RefusalKind[]),
})

describe('decideStartCure properties', () => {
  it('doctor-fix only for a failing or crash-looping gateway (or one the policy restarts on a refusal that never clears by itself) whose refusal asks for it, on a known 2026.8+, mount ok, no live work, not yet run for it', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATES), arbRefusal, arbFacts, (state, r, f) => {
        const d = decideStartCure(life(state), r, f)
        expect(['doctor-fix', 'wait', 'none']).toContain(d.cure)
        expect(d.why.length).toBeGreaterThan(0)
        if (d.cure !== 'doctor-fix') return
        if (state === 'restarting') expect(NEVER_CLEARS_BY_ITSELF.has(r!.kind)).toBe(true)
        else expect(['failing', 'crash-loop']).toContain(state)
        expect(r?.cure).toBe('doctor-fix')
        expect(doctorFixSupported(f.version)).toBe(true)
        expect(f.mountOk).toBe(true)
        expect(f.liveTurns).toHaveLength(0)
        expect(f.activeWork ?? 0).toBe(0)
        expect(f.doctorFixRanFor).not.toContain(r!.kind)
      }),
      {numRuns: 2000},
    )
  })

  it('never a loop: a heal that records each run gets doctor-fix at most once per refusal kind, however often it asks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom<LifeState>('failing', 'crash-loop', 'restarting'), fc.constantFrom(...LINES)), {maxLength: 20}),
        (steps) => {
          const ran: RefusalKind[] = []
          for (const [state, r] of steps) {
            const d = decideStartCure(life(state), r, facts({doctorFixRanFor: ran}))
            if (d.cure === 'doctor-fix') {
              expect(ran).not.toContain(r.kind)
              ran.push(r.kind)
            }
          }
          expect(new Set(ran).size).toBe(ran.length)
        },
      ),
    )
  })

  it('a refusal that clears by itself is waited for, one that needs a person never gets doctor-fix', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATES.filter((s) => s !== 'ready')), fc.constantFrom(...LINES), arbFacts, (state, r, f) => {
        const d = decideStartCure(life(state), r, f)
        if (r.cure === 'wait') expect(d.cure).toBe('wait')
        if (r.cure !== 'doctor-fix') expect(d.cure).not.toBe('doctor-fix')
      }),
    )
  })

  it('is deterministic', () => {
    fc.assert(
      fc.property(fc.constantFrom(...STATES), arbRefusal, arbFacts, (s, r, f) => {
        expect(decideStartCure(life(s), r, f)).toEqual(decideStartCure(life(s), r, f))
      }),
    )
  })
})

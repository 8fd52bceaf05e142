import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {
  backupsThatDoNotFit,
  decideDrain,
  sharedLocationNote,
  decideGate,
  planRollback,
  preflightUpgrade,
  rolloutBatches,
  versionStep,
  type DrainFacts,
  type DrainStep,
  type GateFacts,
  type RollbackFacts,
  type UpgradePreflightFacts,
} from '../../src/decide/upgrade.js'
import type {LifeState} from '../../src/openclaw/gateway-life.js'

describe('versionStep', () => {
  // [from, to, direction, crosses storage, a note contains]
  const TABLE: [string | null, string | null, string, boolean, string | null][] = [
    ['2026.9.5', '2026.9.6', 'upgrade', false, null],
    ['2026.4.29', '2026.9.6', 'upgrade', true, 'JSONL'],
    ['2026.7.9', '2026.8.0', 'upgrade', true, 'turns move inside the gateway'],
    ['2026.8.2', '2026.9.6', 'upgrade', false, null],
    ['2026.9.6', '2026.9.6', 'same', false, null],
    ['2026.9.6', '2026.9.5', 'downgrade', false, 'fleet does not downgrade'],
    ['2026.9.6', '2026.4.29', 'downgrade', false, 'exit 78'],
    [null, '2026.9.6', 'unknown', false, null],
    ['2026.9.6', 'latest', 'unknown', false, null],
    ['OpenClaw 2026.5.5 (abc1234)', '2026.9.6', 'upgrade', true, 'SQLite'],
  ]
  it.each(TABLE)('%s -> %s: %s', (from, to, direction, crosses, note) => {
    const s = versionStep(from, to)
    expect(s.direction).toBe(direction)
    expect(s.crossesStorage).toBe(crosses)
    if (note) expect(s.notes.join(' ')).toContain(note)
    else if (direction !== 'unknown') expect(s.notes.filter((n) => n.includes('storage'))).toEqual([])
  })
  it('property: a step and its reverse are upgrade/downgrade or both same', () => {
    const v = fc.tuple(fc.integer({min: 2026, max: 2027}), fc.integer({min: 1, max: 12}), fc.integer({min: 0, max: 40})).map((t) => t.join('.'))
    fc.assert(
      fc.property(v, v, (a, b) => {
        const there = versionStep(a, b).direction
        const back = versionStep(b, a).direction
        if (there === 'same') expect(back).toBe('same')
        else expect(new Set([there, back])).toEqual(new Set(['upgrade', 'downgrade']))
      }),
    )
  })
})

describe('rolloutBatches', () => {
  const m = (name: string, group: string | null) => ({name, group})
  it('canary first, then the rest of its group, then the other groups', () => {
    const b = rolloutBatches([m('oc7', 'g1'), m('oc8', 'g1'), m('oc9', 'g1'), m('oc10', 'g2'), m('oc11', 'g2')])
    expect(b.map((x) => [x.label, x.members.map((y) => y.name)])).toEqual([
      ['canary', ['oc7']],
      ['g1', ['oc8', 'oc9']],
      ['g2', ['oc10', 'oc11']],
    ])
  })
  it('--batch 2 takes two groups at a time; a lone canary group adds no empty batch', () => {
    const b = rolloutBatches([m('oc1', 'a'), m('oc2', 'b'), m('oc3', 'c'), m('oc4', 'c')], 2)
    expect(b.map((x) => x.members.map((y) => y.name))).toEqual([['oc1'], ['oc2', 'oc3', 'oc4']])
  })
  it('the canary group goes first even when listed later', () => {
    const b = rolloutBatches([m('oc9', 'g2'), m('oc7', 'g1'), m('oc10', 'g2')])
    expect(b.map((x) => x.members.map((y) => y.name))).toEqual([['oc9'], ['oc10'], ['oc7']])
  })
  it('none: no batch', () => expect(rolloutBatches([])).toEqual([]))
  it('property: every member exactly once, the canary alone first, groups never split across batches', () => {
    const arb = fc.uniqueArray(fc.tuple(fc.integer({min: 1, max: 60}), fc.constantFrom('a', 'b', 'c', 'd', null)), {
      selector: (t) => t[0],
      minLength: 1,
      maxLength: 20,
    })
    fc.assert(
      fc.property(arb, fc.integer({min: 1, max: 4}), (rows, per) => {
        const members = rows.map(([id, g]) => m(`oc${id}`, g))
        const b = rolloutBatches(members, per)
        expect(b[0].members).toEqual([members[0]])
        const all = b.flatMap((x) => x.members)
        expect(all.length).toBe(members.length)
        expect(new Set(all)).toEqual(new Set(members))
        const batchOf = new Map<string, number>()
        b.slice(1).forEach((x, i) => x.members.forEach((y) => y.group && batchOf.set(y.group, batchOf.get(y.group) ?? i)))
        b.slice(1).forEach((x, i) => x.members.forEach((y) => y.group && expect(batchOf.get(y.group)).toBe(i)))
      }),
    )
  })
})

describe('preflightUpgrade', () => {
  const ok: UpgradePreflightFacts = {
    name: 'oc7',
    inGroup: true,
    containerFound: true,
    stateOnHost: true,
    stateDirExists: true,
    ownersKept: true,
    imageFound: true,
    imageVersion: '2026.9.6',
    currentVersion: '2026.9.5',
    location: {ok: true, describe: 'OPENCLAW_IMAGE in .env', current: 'openclaw:2026.9.5'},
    alreadyThere: false,
  }
  // [case, change, verdict, a problem contains]
  const TABLE: [string, Partial<UpgradePreflightFacts>, string, string | null][] = [
    ['all there', {}, 'upgrade', null],
    ['already on the image', {alreadyThere: true, currentVersion: '2026.9.6'}, 'skip', null],
    ['no group', {inGroup: false}, 'refuse', 'compose group'],
    ['no container', {containerFound: false, currentVersion: null}, 'refuse', 'no container'],
    ['image missing', {imageFound: false, imageVersion: null}, 'refuse', 'not on this instance'],
    ['not an OpenClaw image', {imageVersion: null}, 'refuse', 'no OpenClaw package'],
    ['current version unknown', {currentVersion: null}, 'refuse', 'unknown'],
    ['downgrade', {currentVersion: '2026.9.6', imageVersion: '2026.4.29'}, 'refuse', 'does not downgrade'],
    ['location not found', {location: {ok: false, error: '.env does not set OPENCLAW_IMAGE'}}, 'refuse', 'does not set'],
    ['remote state', {stateOnHost: false}, 'refuse', 'remote'],
    ['state dir gone', {stateDirExists: false}, 'refuse', 'does not exist'],
    ['state owned by another user, fleet not root', {ownersKept: false}, 'refuse', 'run fleet as root'],
    ['4.29 to 9.6 (storage step is a note, not a problem)', {currentVersion: '2026.4.29'}, 'upgrade', null],
  ]
  it.each(TABLE)('%s', (_c, change, verdict, problem) => {
    const p = preflightUpgrade({...ok, ...change})
    expect(p.verdict).toBe(verdict)
    if (problem) expect(p.problems.join(' | ')).toContain(problem)
    else expect(p.problems).toEqual([])
  })
  it('every problem is listed, not the first only', () => {
    expect(preflightUpgrade({...ok, inGroup: false, imageFound: false, imageVersion: null, stateOnHost: false}).problems).toHaveLength(3)
  })
})

describe('decideDrain', () => {
  const base: DrainFacts = {work: 'busy', elapsedMs: 0, timeoutMs: 60_000, force: false, interactive: false}
  // [case, change, step]
  const TABLE: [string, Partial<DrainFacts>, DrainStep][] = [
    ['idle: stop', {work: 'idle'}, 'stop'],
    ['idle past the timeout: stop', {work: 'idle', elapsedMs: 90_000}, 'stop'],
    ['busy within the timeout: wait', {}, 'wait'],
    ['unknown within the timeout: wait (unknown work is work)', {work: 'unknown'}, 'wait'],
    ['busy past the timeout, no terminal: give up', {elapsedMs: 60_000}, 'give-up'],
    ['unknown past the timeout, no terminal: give up', {work: 'unknown', elapsedMs: 61_000}, 'give-up'],
    ['busy past the timeout, terminal: ask', {elapsedMs: 60_000, interactive: true}, 'ask'],
    ['busy past the timeout, --force: stop', {elapsedMs: 60_000, force: true}, 'stop'],
    ['busy within the timeout, --force: still wait', {force: true}, 'wait'],
  ]
  it.each(TABLE)('%s', (_c, change, step) => expect(decideDrain({...base, ...change})).toBe(step))
  it('property: without --force and a person, busy or unknown work is never stopped', () => {
    fc.assert(
      fc.property(fc.constantFrom<'busy' | 'unknown'>('busy', 'unknown'), fc.nat(), fc.nat(), (work, elapsedMs, timeoutMs) => {
        expect(decideDrain({work, elapsedMs, timeoutMs, force: false, interactive: false})).not.toBe('stop')
      }),
    )
  })
})

describe('decideGate', () => {
  const g = (life: LifeState, change: Partial<GateFacts> = {}): GateFacts => ({life, cure: null, elapsedMs: 1000, timeoutMs: 300_000, ...change})
  // [case, facts, step, why contains]
  const TABLE: [string, GateFacts, string, string | null][] = [
    ['ready', g('ready'), 'ready', null],
    ['starting: wait', g('starting'), 'wait', null],
    ['starting past the gate timeout: fail', g('starting', {elapsedMs: 300_000}), 'fail', 'not ready after 300s'],
    ['refusal doctor cures: doctor', g('crash-loop', {cure: 'doctor-fix'}), 'doctor-fix', null],
    ['refusal that clears by itself: wait', g('crash-loop', {cure: 'wait'}), 'wait', null],
    ['crash loop, no refusal: fail at once', g('crash-loop'), 'fail', 'crash-loop'],
    ['failing, a refusal without a cure: fail', g('failing', {cure: 'none'}), 'fail', 'no cure'],
    ['stopped (exited at once): fail', g('stopped'), 'fail', 'stopped'],
    ['one policy restart: wait', g('restarting'), 'wait', null],
    ['missing: fail', g('missing'), 'fail', 'missing'],
    ['unverified (no readiness signal) within the timeout: wait', g('unverified'), 'wait', null],
  ]
  it.each(TABLE)('%s', (_c, facts, step, why) => {
    const s = decideGate(facts)
    expect(s.step).toBe(step)
    if (why) expect(s.step === 'fail' && s.why).toContain(why)
  })
  it('property: only a ready gateway passes', () => {
    const states: LifeState[] = ['ready', 'starting', 'restarting', 'crash-loop', 'failing', 'unverified', 'stopped', 'paused', 'missing', 'unreachable']
    fc.assert(
      fc.property(
        fc.constantFrom(...states),
        fc.constantFrom(null, 'doctor-fix' as const, 'wait' as const, 'none' as const),
        fc.nat(),
        (life, cure, elapsedMs) => {
          expect(decideGate({life, cure, elapsedMs, timeoutMs: 1000}).step === 'ready').toBe(life === 'ready')
        },
      ),
    )
  })
})

describe('planRollback', () => {
  // [case, facts, restore file, restore state, recreate]
  const TABLE: [string, RollbackFacts, boolean, boolean, boolean][] = [
    ['nothing changed yet (drain gave up)', {fileSwitched: false, recreated: false, doctorRan: false, backupTaken: false}, false, false, false],
    ['file switched, recreate failed before a start', {fileSwitched: true, recreated: false, doctorRan: false, backupTaken: true}, true, false, true],
    ['recreated on the new image: state back from the backup', {fileSwitched: true, recreated: true, doctorRan: false, backupTaken: true}, true, true, true],
    ['doctor ran on the state: state back', {fileSwitched: true, recreated: true, doctorRan: true, backupTaken: true}, true, true, true],
    ['shared variable switched by an earlier member', {fileSwitched: false, recreated: true, doctorRan: false, backupTaken: true}, false, true, true],
    ['no backup: the state is never touched', {fileSwitched: true, recreated: true, doctorRan: false, backupTaken: false}, true, false, true],
  ]
  it.each(TABLE)('%s', (_c, f, file, state, recreate) => {
    const p = planRollback(f)
    expect([p.restoreFile, p.restoreState, p.recreate]).toEqual([file, state, recreate])
  })
  it('property: state is restored only from a backup and only when the new image ran', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.boolean(), fc.boolean(), (fileSwitched, recreated, doctorRan, backupTaken) => {
        const p = planRollback({fileSwitched, recreated, doctorRan, backupTaken})
        if (p.restoreState) expect(backupTaken && (recreated || doctorRan)).toBe(true)
      }),
    )
  })
})

describe('backupsThatDoNotFit', () => {
  const GiB = 2 ** 30
  it('twice each state, added up, with a margin', () => {
    const sizes = [
      {name: 'oc7', bytes: 1 * GiB},
      {name: 'oc8', bytes: 1 * GiB},
      {name: 'oc9', bytes: 1 * GiB},
    ]
    expect(backupsThatDoNotFit(sizes, {freeBytes: 10 * GiB, totalBytes: 20 * GiB})).toEqual([])
    expect(backupsThatDoNotFit(sizes, {freeBytes: 5 * GiB, totalBytes: 20 * GiB}).map((x) => x.name)).toEqual(['oc9'])
    expect(backupsThatDoNotFit(sizes, {freeBytes: 1 * GiB, totalBytes: 20 * GiB}).map((x) => x.name)).toEqual(['oc7', 'oc8', 'oc9'])
  })
  it('property: more free space never makes more instances not fit', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({max: 2 ** 34}), {maxLength: 8}), fc.nat({max: 2 ** 36}), fc.nat({max: 2 ** 36}), (bytes, a, b) => {
        const sizes = bytes.map((n, i) => ({name: `oc${i}`, bytes: n}))
        const total = 2 ** 37
        const [lo, hi] = a < b ? [a, b] : [b, a]
        expect(backupsThatDoNotFit(sizes, {freeBytes: hi, totalBytes: total}).length).toBeLessThanOrEqual(
          backupsThatDoNotFit(sizes, {freeBytes: lo, totalBytes: total}).length,
        )
      }),
    )
  })
})

describe('sharedLocationNote', () => {
  it('names the services that read the location and are not upgraded', () => {
    expect(sharedLocationNote(['gw-7', 'gw-8', 'gw-9'], new Set(['gw-7']), 'OPENCLAW_IMAGE in .env', 'oc:2')).toBe(
      'OPENCLAW_IMAGE in .env is also the image of gw-8, gw-9, not in this upgrade: they move to oc:2 at their next docker compose up -d',
    )
    expect(sharedLocationNote(['gw-7', 'gw-8'], new Set(['gw-7', 'gw-8']), 'x', 'oc:2')).toBeNull()
    expect(sharedLocationNote(['gw-7'], new Set(['gw-7']), 'image: of gw-7', 'oc:2')).toBeNull()
  })
})

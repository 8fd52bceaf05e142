// fleet heal --dry-run is the run with its actions switched off (issue 26): every lab fault goes through
// `heal --dry-run --json` and then the real `heal --json`, and the plan is compared with what was done: locks
// deleted, holders ended and resumed, containers restarted (a whole group too), waits, instances pinged, the exit.
//   1521 dead-pid · 1522 orphan · 1523 frozen · 1524+1525 shared sessions · 1526 stopped with its lock
//   1527 wrong mount · 1528 malformed locks · 1529 paused · 1530 frozen, healed with --restart group (1531 and 1532,
//   with a stale lock, unselected members of its group)
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {mapLimit} from '../../src/util/concurrency.js'
import {configVariant, containerFacts, containerName, fleetIn, labDown, labUp, sleep, withLocks, type Lab} from './helpers.js'

const FIRST = 1521
let lab: Lab
let config: string

interface Case {
  name: string
  args: string[]
}

const CASES: Case[] = [
  {name: 'stale (dead-pid)', args: ['--instances', '1521']},
  {name: 'orphan', args: ['--instances', '1522']},
  {name: 'frozen', args: ['--instances', '1523']},
  {name: 'shared sessions', args: ['--instances', '1524,1525']},
  {name: 'stopped with its lock', args: ['--instances', '1526']},
  {name: 'wrong mount', args: ['--instances', '1527']},
  {name: 'malformed locks', args: ['--instances', '1528']},
  {name: 'paused', args: ['--instances', '1529']},
  {name: '--restart group', args: ['--instances', '1530', '--restart', 'group']},
]

interface Run {
  exitCode: number
  doc: any
  text: string
}
const runs = new Map<string, {dry: Run; real: Run; startedBefore: Record<string, string>}>()

async function heal(args: string[]): Promise<Run> {
  const r = await fleetIn(lab, ['heal', ...args, '--json'], {config})
  let doc: any
  try {
    doc = JSON.parse(r.stdout)
  } catch {
    throw new Error(`heal ${args.join(' ')}: not JSON (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`)
  }
  return {exitCode: r.exitCode, doc, text: `${r.stdout}\n${r.stderr}`}
}

const key = (a: {type: string; target: string}) => `${a.type} ${a.target}`

beforeAll(async () => {
  lab = await labUp(FIRST, 12)
  const root = lab.root
  config = configVariant(
    lab,
    'fleet.dry.yml',
    (y) => `${withLocks(y, {maxHold: '8s', orphanAfter: '3s'})}heal:\n  incidentDir: incidents\n  waitTimeout: 90s\n`,
  )
  // Container recreations first (they run compose for their group), then the process faults side by side.
  await Promise.all([faults.sharedSessions(1525, {root, other: 1524}), faults.wrongMount(1527, {root})])
  const frozenAt = Date.now()
  await Promise.all([faults.frozen(1523, {root}), faults.frozen(1530, {root})])
  await Promise.all([
    faults.deadPid(1521, {root}),
    faults.orphan(1522, {root}),
    faults.stoppedWithLock(1526, {root}),
    faults.malformedLocks(1528, {root}),
    faults.deadPid(1532, {root}),
  ])
  await faults.paused(1529, {root})
  // The frozen gateways' locks held past maxHold (8 s); the orphan past its --timeout 1 + deadlineMargin; (h) past the 5 s grace.
  await sleep(Math.max(6_000, 10_000 - (Date.now() - frozenAt)))
  // Each case: its dry run, then its real heal; the cases touch disjoint instances, so two run side by side.
  await mapLimit(CASES, 2, async (c) => {
    const dry = await heal([...c.args, '--dry-run'])
    const ids: number[] = dry.doc.instances.map((i: {id: number}) => i.id)
    const facts = await containerFacts(ids.map(containerName))
    const real = await heal(c.args)
    runs.set(c.name, {dry, real, startedBefore: Object.fromEntries(Object.entries(facts).map(([n, f]) => [n, f.startedAt]))})
  })
}, 900_000)

afterAll(() => labDown(lab), 300_000)

describe('fleet heal --dry-run says what the real heal then does', () => {
  it.each(CASES.map((c) => [c.name]))('%s: the plan names every action taken, takes every certain one, and the exit code', async (name) => {
    const {dry, real, startedBefore} = runs.get(name)!
    const why = `dry run:\n${dry.text}\nreal heal:\n${real.text}`
    expect(dry.doc.dryRun).toBe(true)
    expect(dry.doc.incidentLog).toBeNull()
    // The same instances, in the same order: whatever the heal works on (a restarted group's members too) is in the plan first.
    expect(
      real.doc.instances.map((i: {name: string}) => i.name),
      why,
    ).toEqual(dry.doc.instances.map((i: {name: string}) => i.name))
    const after = await containerFacts(real.doc.instances.map((i: {container: string}) => i.container))
    for (const r of real.doc.instances) {
      const p = dry.doc.instances.find((i: {id: number}) => i.id === r.id)
      const planned = p.actions.filter((a: {type: string}) => a.type !== 'ping')
      expect(
        planned.every((a: {outcome: string}) => a.outcome === 'planned'),
        why,
      ).toBe(true)
      const certain = new Set(planned.filter((a: {if?: string}) => !a.if).map(key))
      const possible = new Set(planned.map(key))
      const taken = new Set(r.actions.map(key))
      // Every action the heal took was planned; every certain one was taken.
      for (const k of taken) expect(possible, `${r.name}: "${k}" was done but not planned\n${why}`).toContain(k)
      for (const k of certain) expect(taken, `${r.name}: "${k}" was planned for certain but not done\n${why}`).toContain(k)
      // Pinged: planned (certain) ⇒ pinged; pinged ⇒ planned. Restarted ⇔ in the plan, and the container really restarted.
      const pings = p.actions.filter((a: {type: string}) => a.type === 'ping')
      if (pings.some((a: {if?: string}) => !a.if)) expect(r.ping, `${r.name} was to be pinged\n${why}`).not.toBeNull()
      if (r.ping) expect(pings.length, `${r.name} was pinged, not in the plan\n${why}`).toBeGreaterThan(0)
      const restartPlanned = planned.filter((a: {type: string}) => a.type === 'restart')
      if (restartPlanned.some((a: {if?: string}) => !a.if)) expect(r.restarted, `${r.name}: a certain restart\n${why}`).toBe(true)
      if (r.restarted) expect(restartPlanned.length, `${r.name} restarted, not in the plan\n${why}`).toBeGreaterThan(0)
      const moved = after[r.container].startedAt !== startedBefore[r.container]
      expect(moved, `${r.name}: its container ${moved ? 'restarted' : 'did not restart'}, the table says restarted=${r.restarted}\n${why}`).toBe(r.restarted)
      // A restarted container is pinged afterwards.
      if (r.restarted) expect(r.ping, `${r.name}: restarted and not pinged\n${why}`).not.toBeNull()
    }
    // The exit code the plan knows (1: an instance it will not heal whatever its pings answer) is the run's: every ping answers here.
    expect(dry.exitCode, why).toBe(dry.doc.summary.failed > 0 ? 1 : 0)
    expect(real.exitCode, why).toBe(dry.exitCode)
    // ok is what is observed: every case here starts from a fault.
    expect(dry.doc.ok, why).toBe(false)
  })

  it('stale, orphan, malformed: locks deleted and the holder ended as planned, no restart', () => {
    const one = (name: string) => runs.get(name)!
    const a = one('stale (dead-pid)')
    // After the ping, a restart only if it fails in a way a restart cures: the rest of the plan says so.
    const ifFails = expect.stringContaining('only if the ping fails')
    expect(a.dry.doc.instances[0].actions.map((x: any) => [x.type, x.if ?? null])).toEqual([
      ['delete-lock', null],
      ['ping', null],
      ['restart', ifFails],
      ['wait', ifFails],
      ['ping', ifFails],
    ])
    expect(a.real.doc.instances[0]).toMatchObject({healed: true, restarted: false})
    const b = one('orphan')
    expect(b.dry.doc.instances[0].actions.map((x: any) => x.type)).toEqual(['end-holder', 'delete-lock', 'ping', 'restart', 'wait', 'ping'])
    expect(b.dry.doc.instances[0].actions[1].if).toContain('left it behind')
    expect(b.real.doc.instances[0].actions).toContainEqual(expect.objectContaining({type: 'end-holder', outcome: expect.stringMatching(/terminated|killed/)}))
    const h = one('malformed locks')
    expect(h.dry.doc.instances[0].actions.filter((x: any) => x.type === 'delete-lock')).toHaveLength(4)
    expect(h.real.doc.instances[0].actions.filter((x: any) => x.type === 'delete-lock' && x.outcome === 'removed')).toHaveLength(4)
    // The ping answered, so no restart was made.
    expect(a.dry.doc.instances[0].plan.restartIfPingFails).toBe(true)
  })

  it('a frozen gateway and a stopped container: a certain restart, after resuming the frozen holder', () => {
    const c = runs.get('frozen')!
    expect(c.dry.doc.instances[0].actions.map((x: any) => [x.type, x.if ?? null])).toEqual([
      ['continue', null],
      ['restart', null],
      ['wait', null],
      ['ping', null],
    ])
    expect(c.real.doc.instances[0]).toMatchObject({healed: true, restarted: true})
    const g = runs.get('stopped with its lock')!
    expect(g.dry.doc.instances[0].plan.restart).toBe('container exited')
    expect(g.real.doc.instances[0]).toMatchObject({healed: true, restarted: true})
  })

  it('a shared sessions dir and a paused container: the plan is the refusal, nothing done, nobody pinged, exit 1', async () => {
    // As a person reads it: no ping and no restart promised where the heal will do nothing.
    const text = await fleetIn(lab, ['heal', '--instances', '1524,1525,1529', '--dry-run'], {config})
    expect(text.exitCode, text.stdout + text.stderr).toBe(1)
    expect(text.stdout.match(/nothing done: /g)).toHaveLength(3)
    expect(text.stdout).not.toMatch(/ping|restart/)
    for (const name of ['shared sessions', 'paused']) {
      const {dry, real} = runs.get(name)!
      for (const p of dry.doc.instances) {
        expect(p.actions, `${name}: ${p.name}`).toEqual([])
        expect(p.certainFailure).toMatch(/nothing done/)
        expect(p.plan.restartIfPingFails).toBe(false)
      }
      for (const r of real.doc.instances) expect(r).toMatchObject({actions: [], ping: null, restarted: false, healed: false})
      expect(real.exitCode).toBe(1)
    }
  })

  it('a wrong mount: pinged as planned, and the plan knows it will not be healed (exit 1)', () => {
    const {dry, real} = runs.get('wrong mount')!
    expect(dry.doc.instances[0].certainFailure).toContain('does not serve')
    expect(dry.doc.instances[0].plan.restartIfPingFails).toBe(false)
    expect(dry.doc.instances[0].actions.map((x: any) => x.type)).toEqual(['ping'])
    expect(real.doc.instances[0]).toMatchObject({healed: false, restarted: false})
  })

  it('--restart group: the unselected members are in the plan and the table, restarted with their group for certain, and pinged', () => {
    const {dry, real} = runs.get('--restart group')!
    expect(dry.doc.instances.map((i: any) => i.id)).toEqual([1530, 1531, 1532])
    for (const follower of dry.doc.instances.slice(1)) {
      // Its own ping may come before the group's restart (its steps and the restarting member's run side by side).
      const types = follower.actions.map((x: any) => x.type)
      expect(types.slice(-3), follower.name).toEqual(['restart', 'wait', 'ping'])
      const restart = follower.actions.at(-3)
      expect(restart.detail).toContain('with its group, restarted for oc1530')
      // The group's restart is certain (a hung holder in oc1530): so is theirs, whatever their own ping would say.
      expect(restart.if, follower.name).toBeUndefined()
    }
    expect(dry.doc.instances[2].actions[0]).toMatchObject({type: 'delete-lock', outcome: 'planned'})
    for (const r of real.doc.instances) expect(r, r.name).toMatchObject({restarted: true, healed: true, ping: {ok: true}})
    expect(real.doc.summary.restarted).toBe(3)
  })
})

// `fleet heal` as an adapter: flags -> one HealRequest (pure) -> the backend; the exit code from the document (pure).
import fc from 'fast-check'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {loadFleet} from '../../src/config/load.js'
import type {Fleet} from '../../src/config/model.js'
import {UsageError} from '../../src/errors.js'
import type {HealDocument} from '../../src/heal/document.js'
import {healExitCode, healRequest, type HealFlags} from '../../src/heal/run.js'

let dir = ''
let fleet: Fleet
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-heal-request-'))
  const file = path.join(dir, 'fleet.config.yml')
  writeFileSync(
    file,
    'instances: 7-11\ndataDir: data/oc{id}\ngroups:\n  a:\n    instances: 7-9\n    projectDir: a\n    composeFile: a.yml\n  b:\n    instances: 10-11\n    projectDir: b\n    composeFile: b.yml\n',
  )
  fleet = await loadFleet({configPath: file, env: {}})
})
afterAll(() => rmSync(dir, {recursive: true, force: true}))

const flags = (extra: Partial<HealFlags> = {}): HealFlags => ({
  dryRun: false,
  force: false,
  tidy: false,
  noRestart: false,
  rolling: false,
  probe: false,
  backup: false,
  ...extra,
})
const ids = (sel: number[]) => fleet.instances.filter((i) => sel.includes(i.id))

describe('healRequest: flags to one request', () => {
  it.each([
    ['default: restart what must restart, the selection as it is', [7, 10], {}, 'needed', [7, 10]],
    ['--no-restart', [7], {noRestart: true}, 'never', [7]],
    ['--restart always', [8], {restart: 'always'}, 'always', [8]],
    ['--restart group: the other members of the selected groups too', [8, 10], {restart: 'group'}, 'group', [7, 8, 9, 10, 11]],
    ['--restart group: a whole group selected adds nobody', [10, 11], {restart: 'group'}, 'group', [10, 11]],
  ] as const)('%s', (_what, sel, extra, restart, want) => {
    const r = healRequest(fleet, ids([...sel]), flags(extra as Partial<HealFlags>))
    expect(r.restart).toBe(restart)
    expect(r.instances.map((i) => i.id)).toEqual(want)
  })

  it('takes the config defaults unless a flag says otherwise', () => {
    const r = healRequest(fleet, ids([7]), flags())
    expect([r.concurrency, r.waitTimeoutMs, r.verify]).toEqual([fleet.heal.concurrency, fleet.heal.waitTimeoutMs, undefined])
    // The request is what heal is asked to do: how its progress is shown is the command's (progressView), not in it.
    expect(r).not.toHaveProperty('renderer')
    const s = healRequest(fleet, ids([7]), flags({concurrency: 3, waitTimeoutMs: 5000, verifyMs: 60_000}))
    expect([s.concurrency, s.waitTimeoutMs, s.verify]).toEqual([3, 5000, {durationMs: 60_000, turns: 10}])
  })

  it.each([
    ['--restart with --no-restart', {restart: 'group', noRestart: true}, /contradict/],
    ['--verify-turns without --verify', {verifyTurns: 5}, /--verify-turns needs --verify/],
  ] as const)('refuses %s (exit 2, before anything runs)', (_what, extra, msg) => {
    expect(() => healRequest(fleet, ids([7]), flags(extra as Partial<HealFlags>))).toThrow(UsageError)
    expect(() => healRequest(fleet, ids([7]), flags(extra as Partial<HealFlags>))).toThrow(msg)
  })

  it('property: every selected instance is in the request, and nothing outside the selected groups', () => {
    fc.assert(
      fc.property(fc.subarray([7, 8, 9, 10, 11], {minLength: 1}), fc.constantFrom('needed', 'group', 'always'), (sel, restart) => {
        const r = healRequest(fleet, ids(sel), flags({restart}))
        const got = r.instances.map((i) => i.id)
        for (const id of sel) expect(got).toContain(id)
        const groups = new Set(ids(sel).map((i) => i.group))
        for (const i of r.instances) expect(sel.includes(i.id) || (restart === 'group' && i.group !== undefined && groups.has(i.group))).toBe(true)
      }),
    )
  })
})

const doc = (extra: Partial<HealDocument> = {}): HealDocument => ({
  runId: 'r',
  dryRun: false,
  incidentLog: null,
  instances: [],
  summary: {instances: 1, healed: 1, failed: 0, restarted: 0, locksRemoved: 0, holdersEnded: 0, conflicts: []},
  verify: null,
  interrupted: null,
  unreachable: null,
  durationMs: 1,
  ok: true,
  ...extra,
})

describe('healExitCode', () => {
  it.each([
    ['healed', doc(), false, 0],
    ['not healed', doc({ok: false}), false, 1],
    ['an engine error cut the run short', doc({ok: false, unreachable: 'ECONNREFUSED'}), false, 3],
    ['an instance unreachable when judged', doc({ok: false}), true, 3],
    ['SIGINT wins', doc({ok: false, interrupted: 'SIGINT', unreachable: 'x'}), true, 130],
    ['SIGTERM', doc({ok: false, interrupted: 'SIGTERM'}), false, 143],
    ['dry run: an instance it will not heal whatever its pings answer', doc({dryRun: true, ok: false, summary: {...doc().summary, failed: 1}}), false, 1],
    ['dry run of an unhealthy fleet it can heal: 0 (ok says the fleet is unhealthy now)', doc({dryRun: true, ok: false}), false, 0],
  ] as const)('%s', (_what, d, unreachable, want) => {
    expect(healExitCode(d, unreachable)).toBe(want)
  })
})

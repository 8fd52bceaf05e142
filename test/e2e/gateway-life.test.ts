// `ok` only for a gateway that serves (issue 24, items 1-3), on the simulator lab (1411-1414):
// - a crash loop under `restart: unless-stopped` (a gateway that refuses every start and exits 1) is never ok, in
//   any scan, even one that lands in its few-millisecond `running` window; it has its own state with the restart
//   count, the last exit code and the refusal line; heal does not restart it and names the crash loop;
// - a gateway that is still starting is `starting`, not ok, and heal does not restart the start in progress;
// - a container that mounts another dir than the configured dataDir is not ok, names both paths, and heal touches
//   nothing in the configured dir (a stale-looking lock there is judged unknown, mount-mismatch).
import {execa} from 'execa'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {containerFacts, containerName, fleetIn, fleetJson, labDown, labUp, sessionsDir, sleep, type Lab} from './helpers.js'

let lab: Lab
const CRASH = 1411
const SLOW = 1412
const WRONG = 1413
const OK = 1414

beforeAll(async () => {
  lab = await labUp(1411, 4)
  const root = lab.root
  await faults.startRefusal(CRASH, {root})
  await faults.slowStart(SLOW, {root, ms: 120_000})
  await faults.wrongMount(WRONG, {root})
}, 600_000)

afterAll(() => labDown(lab), 300_000)

const statusOf = async (id: number) => {
  const {r, doc} = await fleetJson(lab, ['status', '-i', String(id)])
  return {exitCode: r.exitCode, i: doc.instances[0]}
}

describe('a crash-looping container is never ok', () => {
  it('in every one of 6 scans, whatever window it lands in: crash-loop or restarting, with restarts, exit code and the refusal', async () => {
    const seen: string[] = []
    let withDetail = 0
    for (let n = 0; n < 6; n++) {
      const {exitCode, i} = await statusOf(CRASH)
      expect(exitCode).toBe(1)
      expect(i.ok).toBe(false)
      expect(['crash-loop', 'restarting', 'stopped', 'starting']).toContain(i.life.state)
      seen.push(`${i.state}/${i.life.state}`)
      if (i.life.restartCount > 0 && i.life.refusal?.kind === 'startup-migrations-incomplete' && i.life.exitCode === 1) withDetail++
      await sleep(700)
    }
    // The loop is named as such once the policy has restarted it a few times.
    expect(
      seen.some((s) => s.endsWith('/crash-loop')),
      seen.join(' '),
    ).toBe(true)
    expect(withDetail).toBeGreaterThan(0)
  }, 120_000)

  it('the table names it, with the refusal line and its hint', async () => {
    const r = await fleetIn(lab, ['status', '-i', String(CRASH)])
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toMatch(/crash-loop \(\d+ restarts?, exit 1\)|restarting/)
    expect(r.stdout).toContain('startup migrations did not complete cleanly')
    expect(r.stdout).toMatch(/NOT OK/)
  }, 60_000)

  it('heal does not restart it and says it is a crash loop', async () => {
    const {r, doc} = await fleetJson(lab, ['heal', '-i', String(CRASH), '--wait-timeout', '20s'])
    expect(r.exitCode).toBe(1)
    const res = doc.instances[0]
    expect(res.restarted).toBe(false)
    expect(JSON.stringify(res.restartDecision ?? res)).toMatch(/crash-loop|restarting/)
  }, 180_000)
})

describe('a gateway that is still starting', () => {
  it('is starting, not ok, and heal does not restart the start in progress', async () => {
    const name = containerName(SLOW)
    const before = (await containerFacts([name]))[name]
    const {exitCode, i} = await statusOf(SLOW)
    expect(exitCode).toBe(1)
    expect(i.ok).toBe(false)
    expect(i.life.state).toBe('starting')
    expect(i.life.readiness.state).toBe('not-ready')
    const {r, doc} = await fleetJson(lab, ['heal', '-i', String(SLOW), '--wait-timeout', '20s'])
    expect(r.exitCode).toBe(1)
    expect(doc.instances[0].restarted).toBe(false)
    const after = (await containerFacts([name]))[name]
    expect(after.startedAt).toBe(before.startedAt)
  }, 180_000)

  it('a healthy gateway next to it is ok (ready by its ready line)', async () => {
    const {exitCode, i} = await statusOf(OK)
    expect(exitCode).toBe(0)
    expect(i.ok).toBe(true)
    expect(i.life).toMatchObject({state: 'ready', serves: true})
  }, 60_000)
})

describe('a container that mounts another dir than the configured dataDir', () => {
  it('is not ok, names both paths, and heal leaves a stale-looking lock in the configured dir alone', async () => {
    const dir = sessionsDir(lab, WRONG)
    mkdirSync(dir, {recursive: true})
    const lock = path.join(dir, 'abandoned.jsonl.lock')
    writeFileSync(lock, JSON.stringify({pid: 999_999, createdAt: new Date(Date.now() - 3_600_000).toISOString(), starttime: 1}, null, 2))
    const {exitCode, i} = await statusOf(WRONG)
    expect(exitCode).toBe(1)
    expect(i.ok).toBe(false)
    expect(i.mount).toMatchObject({ok: false, problem: 'other-dir'})
    expect(i.errors.join('\n')).toContain(i.mount.mounted)
    expect(i.errors.join('\n')).toContain(i.mount.configured)
    const l = i.locks.find((x: {path: string}) => x.path === lock)
    expect(l).toMatchObject({verdict: 'unknown'})
    expect(l.reasons).toContain('mount-mismatch')
    const {r, doc} = await fleetJson(lab, ['heal', '-i', String(WRONG), '--wait-timeout', '20s'])
    expect(r.exitCode).toBe(1)
    expect(doc.instances[0].restarted).toBe(false)
    expect(existsSync(lock)).toBe(true)
  }, 180_000)

  it('a configured dataDir that does not exist: config --validate exits 2 and names it', async () => {
    const yml = path.join(lab.root, 'fleet.missing.yml')
    const {stdout} = await execa('sed', ['s#dataDir: .*#dataDir: /nonexistent/oc{id}/config#', lab.configFile])
    writeFileSync(yml, stdout)
    const r = await fleetIn(lab, ['config', '--validate'], {config: yml})
    expect(r.exitCode).toBe(2)
    expect(r.stderr).toContain('/nonexistent/oc1411/config')
    const {r: s, doc} = await fleetJson(lab, ['status', '-i', String(OK)], {config: yml})
    expect(s.exitCode).toBe(1)
    expect(doc.instances[0].ok).toBe(false)
  }, 60_000)
})

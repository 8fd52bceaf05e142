// fleet on REAL OpenClaw 2026.9.6 (SQLite sessions, no session lock file): the wedges of the line operators run today,
// made with OpenClaw's own code (lab/real/faults.mjs).
// - A writer stuck inside its transaction (an exec'd `openclaw agent … --timeout N` whose child `openclaw-agent` opened
//   the agent db with OpenClaw's openNodeSqliteDatabase and sits in BEGIN IMMEDIATE): OpenClaw's own busy probe says
//   BUSY, a real turn fails with `database is locked`, fleet names the holder from /proc/locks, judges it live until
//   its own deadline has passed, then orphan; heal ends it without a restart and a real turn answers.
// - The same on the state db.
// - The same writer without a deadline (`--timeout 0`): fleet never ends it and heal never restarts over it.
// - Legacy .jsonl.lock files from before an upgrade: `ignored`, exit 0; heal --tidy removes them, with a copy.
// - upstream #135133: gateway lock files left by the previous incarnation with its pid reused: the new gateway refuses
//   to start (`gateway already running (pid N)`, a crash loop); fleet judges them stale, heal removes them, no restart.
// Times go to the test output.
import {execa} from 'execa'
import {chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as lab from '../../lab/compose.mjs'
import * as faults from '../../lab/real/faults.mjs'
import {waitFor} from '../../lab/run.mjs'
import {fleetJson, realLabDown, realLabUp, realTurn, type Lab} from './helpers.js'

const VERSION = '2026.9.6'
const ID = 761
const MIN = 60_000
const container = lab.containerName(ID) as string
const times: Record<string, number> = {}
let root = ''
let l: Lab

/** OpenClaw's own view of a db: a second connection's BEGIN IMMEDIATE with busy timeout 0 answers BUSY while a writer holds it. */
const busy = async (db: 'agent' | 'state' = 'agent') => (await faults.probeSqlite(ID, {root: l.root, db})).busy
const writerOf = (doc: any, agent = 'main') => doc.instances[0].locks.find((x: any) => x.kind === 'sqlite-writer' && x.agent === agent)
const turn = (message: string) => realTurn(container, VERSION, {sessionId: 'fleet-e2e-sqlite', message, timeoutS: 300}, {timeoutMs: 6 * MIN})

beforeAll(async () => {
  const t0 = Date.now()
  l = await realLabUp('fleet-real-sqlite', ID, VERSION, {onRoot: (r) => (root = r)})
  times.up = Date.now() - t0
}, 30 * MIN)

afterAll(async () => {
  console.log(`[real-openclaw-sqlite] times (ms): ${JSON.stringify(times)}`)
  await realLabDown(root)
}, 5 * MIN)

describe(`real OpenClaw ${VERSION}: SQLite sessions`, () => {
  it(
    'status reads the version from the package, judges the gateway lock files live, and ping goes through the gateway',
    async () => {
      const {r, doc} = await fleetJson(l, ['status'])
      expect(r.exitCode, r.stdout).toBe(0)
      const i = doc.instances[0]
      expect(i.openclaw).toMatchObject({version: VERSION, storage: 'sqlite'})
      const gw = i.locks.filter((x: any) => x.kind === 'gateway')
      expect(gw.length).toBeGreaterThan(0)
      for (const g of gw) expect(g).toMatchObject({verdict: 'live', evidence: {process: {isMain: true}}})
      const p0 = Date.now()
      const ping = await fleetJson(l, ['ping'])
      times.firstPing = Date.now() - p0
      expect(ping.r.exitCode, JSON.stringify(ping.doc.results[0])).toBe(0)
      expect(ping.doc.results[0]).toMatchObject({ok: true, reply: 'SPEED_OK', openclaw: VERSION})
      // The lease rows, read-only in the container, once a turn has opened the agent db: the gateway holds it, and
      // the gateway-owner lease.
      const i2 = (await fleetJson(l, ['status'])).doc.instances[0]
      const gatewayPid = gw[0].pid
      expect(i2.leases).toEqual(
        expect.arrayContaining([
          expect.objectContaining({table: 'agent_database_leases', key: 'main', ownerPid: gatewayPid, verdict: 'held', longHeld: false}),
        ]),
      )
      expect(i2.leases).toEqual(
        expect.arrayContaining([expect.objectContaining({table: 'state_leases', key: 'gateway-owner/global', ownerPid: gatewayPid, verdict: 'held'})]),
      )
    },
    10 * MIN,
  )

  it(
    'a writer stuck inside BEGIN IMMEDIATE: OpenClaw says busy and its turns fail with "database is locked"; fleet names the holder, ends it past its deadline, no restart, a real turn answers',
    async () => {
      const fault = await faults.sqliteWriterFault(ID, {root: l.root, timeout: 5})
      try {
        expect(await busy()).toBe(true)
        const first = await fleetJson(l, ['status'])
        const held = writerOf(first.doc)
        expect(held, JSON.stringify(first.doc.instances[0].locks)).toBeDefined()
        expect(held).toMatchObject({pid: fault.pid, evidence: {process: {pid: fault.pid, isAgent: true, isMain: false}}})
        expect(held.raw).toMatch(/POSIX\s+ADVISORY\s+WRITE\s+\d+\s+[0-9a-f]+:[0-9a-f]+:\d+\s+120\s+120/)
        expect(held.evidence.process.turn).toMatchObject({timeoutSec: 5, execRoot: {pid: fault.parentPid}})
        console.log(`[real-openclaw-sqlite] OpenClaw: busy; fleet: ${held.verdict} ${held.reasons.join(',')} (${held.raw})`)

        const p0 = Date.now()
        const ping = await fleetJson(l, ['ping'])
        times.pingFailsStorageLocked = Date.now() - p0
        expect(ping.r.exitCode).toBe(1)
        expect(ping.doc.results[0]).toMatchObject({ok: false, failure: 'storage-locked'})
        expect(ping.doc.results[0].detail).toMatch(/database is locked/)

        // --timeout 5 + the lab's deadlineMargin 4 s: past its own deadline.
        await waitFor(async () => writerOf((await fleetJson(l, ['status'])).doc)?.verdict === 'orphan', {
          what: 'the writer to be past its deadline',
          timeoutMs: MIN,
          intervalMs: 1000,
        })
        const past = (await fleetJson(l, ['status'])).doc
        expect(writerOf(past).reasons).toEqual(expect.arrayContaining(['agent-process', 'past-deadline']))
        const sig = past.instances[0].logSignature.bySignature
        expect(sig['database-locked'] + sig['sqlite-lock-wait']).toBeGreaterThan(0)

        const h0 = Date.now()
        const heal = await fleetJson(l, ['heal'])
        times.healWriter = Date.now() - h0
        const inst = heal.doc.instances[0]
        expect(heal.r.exitCode, heal.r.stdout).toBe(0)
        expect(inst.restarted).toBe(false)
        expect(inst.actions.some((a: any) => a.type === 'end-holder' && ['terminated', 'killed'].includes(a.outcome))).toBe(true)
        expect(inst.actions.some((a: any) => a.type === 'delete-lock')).toBe(false)
        expect(await busy()).toBe(false)
        const a0 = Date.now()
        const after = await turn('Reply exactly HEALED')
        times.turnAfterHeal = Date.now() - a0
        expect(after.exitCode, after.stderr).toBe(0)
        expect(after.stdout).toContain('HEALED')
      } finally {
        await faults.endHolder(fault)
      }
    },
    15 * MIN,
  )

  it(
    'a stuck state-db writer: the same verdict on state/openclaw.sqlite, and heal ends it without a restart',
    async () => {
      const fault = await faults.stateWriterFault(ID, {root: l.root, timeout: 1})
      try {
        expect(await busy('state')).toBe(true)
        await waitFor(async () => writerOf((await fleetJson(l, ['status'])).doc, 'state')?.verdict === 'orphan', {
          what: 'the state writer to be past its deadline',
          timeoutMs: MIN,
          intervalMs: 1000,
        })
        const h0 = Date.now()
        const heal = await fleetJson(l, ['heal'])
        times.healStateWriter = Date.now() - h0
        expect(heal.r.exitCode, heal.r.stdout).toBe(0)
        expect(heal.doc.instances[0].restarted).toBe(false)
        expect(await busy('state')).toBe(false)
      } finally {
        await faults.endHolder(fault)
      }
    },
    10 * MIN,
  )

  it(
    'a live writer without a deadline (--timeout 0) is never ended, and heal does not restart over it',
    async () => {
      const fault = await faults.sqliteWriterFault(ID, {root: l.root, timeout: 0})
      const pid = fault.pid
      try {
        const before = (await fleetJson(l, ['status'])).doc
        const startedAt = before.instances[0].startedAt
        expect(writerOf(before)).toMatchObject({verdict: 'live', pid})
        // Held past the lab's orphanAfter (5 s): flagged long-hold, and the instance is not ok (its turns fail).
        await waitFor(async () => writerOf((await fleetJson(l, ['status'])).doc)?.reasons.includes('long-hold'), {
          what: 'long-hold',
          timeoutMs: MIN,
          intervalMs: 1000,
        })
        const held = await fleetJson(l, ['status'])
        expect(held.r.exitCode).toBe(1)
        expect(held.doc.instances[0].ok).toBe(false)
        expect(writerOf(held.doc).verdict).toBe('live')
        const heal = await fleetJson(l, ['heal'])
        const inst = heal.doc.instances[0]
        expect(heal.r.exitCode).toBe(1)
        expect(inst.restarted).toBe(false)
        expect(inst.actions.filter((a: any) => a.type === 'end-holder' || a.type === 'restart')).toEqual([])
        expect(JSON.stringify(inst)).toMatch(/live turns hold locks \(pid \d+\): a restart would end them/)
        expect((await execa('docker', ['exec', container, 'test', '-d', `/proc/${pid}`], {reject: false})).exitCode).toBe(0)
        expect((await fleetJson(l, ['status'])).doc.instances[0].startedAt).toBe(startedAt)
      } finally {
        await faults.endHolder(fault)
      }
    },
    10 * MIN,
  )

  it(
    'legacy .jsonl.lock files left by an upgrade are ignored (exit 0, never acted on), and heal --tidy removes them with a copy',
    async () => {
      const sessions = path.join(l.root, 'data', `oc${ID}`, 'config', 'agents', 'main', 'sessions')
      mkdirSync(sessions, {recursive: true})
      chownSync(sessions, 1000, 1000)
      const legacy = path.join(sessions, 'before-upgrade.jsonl.lock')
      writeFileSync(legacy, JSON.stringify({pid: 99999, createdAt: '2026-07-01T00:00:00.000Z', starttime: 1}, null, 2))
      // The case before this one left lock errors in the log seconds ago; a good turn (fleet's ping) ends them, so
      // the exit code below is about the legacy lock alone.
      const ping = await fleetJson(l, ['ping'])
      expect(ping.r.exitCode, ping.r.stdout).toBe(0)
      const status = await fleetJson(l, ['status'])
      expect(status.r.exitCode, status.r.stdout).toBe(0)
      const lock = status.doc.instances[0].locks.find((x: any) => x.session === 'before-upgrade')
      expect(lock).toMatchObject({verdict: 'ignored', legacyVerdict: 'stale'})
      expect(lock.reasons[0]).toBe('legacy-ignored')
      // The live gateway's own lock files sit beside it on disk: no heal touches them.
      const gatewayLocks = status.doc.instances[0].locks.filter((x: any) => x.kind === 'gateway')
      expect(gatewayLocks.length).toBeGreaterThan(0)
      const heal = await fleetJson(l, ['heal'])
      expect(heal.r.exitCode).toBe(0)
      expect(existsSync(legacy)).toBe(true)
      const tidy = await fleetJson(l, ['heal', '--tidy'])
      expect(tidy.r.exitCode, tidy.r.stdout).toBe(0)
      expect(existsSync(legacy)).toBe(false)
      const removed = tidy.doc.instances[0].actions.find((a: any) => a.type === 'delete-lock')
      expect(removed).toMatchObject({outcome: 'removed'})
      expect(readdirSync(path.dirname(removed.detail.replace(/^copy: /, '')))).toContain('before-upgrade.jsonl.lock')
      expect(tidy.doc.instances[0].restarted).toBe(false)
      expect(tidy.doc.instances[0].actions.filter((a: any) => a.type === 'delete-lock').map((a: any) => a.target)).toEqual([legacy])
      // still there, still the same owner's (the gateway may rewrite its padding, never its owner)
      for (const g of gatewayLocks) expect(JSON.parse(readFileSync(g.path, 'utf8'))).toMatchObject({pid: g.pid, createdAt: g.createdAt})
    },
    10 * MIN,
  )

  it(
    'heal --verify on 2026.9.6: the test turns answer, and the sessions fleet made for them are removed with openclaw sessions delete',
    async () => {
      const v0 = Date.now()
      const {r, doc} = await fleetJson(l, ['heal', '--verify', '2s', '--verify-turns', '2'])
      times.healVerify = Date.now() - v0
      expect(r.exitCode, r.stdout).toBe(0)
      const [v] = doc.verify.results
      expect(v).toMatchObject({ok: true, newLockErrors: 0, removeNote: null})
      expect(v.removed).toEqual(v.sessions)
      const listed = (await execa('docker', ['exec', container, 'openclaw', 'sessions', '--json'])).stdout
      for (const s of v.sessions) expect(listed).not.toContain(s)
    },
    10 * MIN,
  )

  it(
    'upstream #135133: gateway lock files of the previous incarnation with its pid reused: the gateway refuses to start; fleet judges them stale, heal removes them, no restart',
    async () => {
      const g0 = Date.now()
      const fault = await faults.gatewayLockReuse(ID, {root: l.root})
      times.gatewayLockReuseInject = Date.now() - g0
      expect(fault.refused, JSON.stringify(faults.printable(fault))).toMatch(/gateway already running \(pid \d+\)/)
      const status = await fleetJson(l, ['status'])
      const gw = status.doc.instances[0].locks.filter((x: any) => x.kind === 'gateway')
      expect(gw.length).toBeGreaterThan(0)
      for (const g of gw) expect(g).toMatchObject({verdict: 'stale', reasons: expect.arrayContaining(['predates-container-start'])})
      const h0 = Date.now()
      const heal = await fleetJson(l, ['heal'])
      times.healGatewayLocks = Date.now() - h0
      const inst = heal.doc.instances[0]
      expect(heal.r.exitCode, heal.r.stdout).toBe(0)
      expect(inst.actions.filter((a: any) => a.type === 'delete-lock' && a.outcome === 'removed').length).toBe(gw.length)
      expect(inst.restarted).toBe(false)
      const after = await fleetJson(l, ['status'])
      for (const g of after.doc.instances[0].locks.filter((x: any) => x.kind === 'gateway')) expect(g.verdict).toBe('live')
      const own = await faults.judgeGatewayLock(ID, {root: l.root})
      expect(own.locks.map((x) => x.ownerStatus)).not.toContain('dead')
    },
    15 * MIN,
  )
})

// fleet on REAL OpenClaw 2026.9.6 (SQLite sessions, no session lock file): the wedges of the line operators run today.
// - A writer stuck inside its transaction (an exec'd `openclaw agent` tree whose child sits in BEGIN IMMEDIATE on the
//   agent db): OpenClaw's own busy probe says BUSY, a real turn fails with `database is locked`, fleet names the holder
//   from /proc/locks, judges it live until its own deadline has passed, then orphan; heal ends it without a restart
//   and a real turn answers.
// - The same writer without a deadline (`--timeout 0`): fleet never ends it and heal never restarts over it.
// - Legacy .jsonl.lock files from before an upgrade: `ignored`, exit 0; heal --tidy removes them, with a copy.
// Times go to the test output.
import {execa} from 'execa'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync, chownSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as lab from '../../lab/compose.mjs'
import {waitFor} from '../../lab/run.mjs'
import {fleetJson, type Lab} from './helpers.js'

const VERSION = '2026.9.6'
const ID = 761
const MIN = 60_000
const container = lab.containerName(ID) as string
const AGENT_DB = '/home/node/.openclaw/agents/main/agent/openclaw-agent.sqlite'
const times: Record<string, number> = {}

// The stuck writer: an exec'd parent titled as `openclaw agent … --timeout N` (PPID 0, as a real exec'd turn), and its
// child `openclaw-agent` that opens the db with the container's own node:sqlite and stays inside BEGIN IMMEDIATE.
const WRITER = `
const {spawn} = require('child_process')
const [db, timeout] = process.argv.slice(1)
if (process.env.WRITER_CHILD) {
  process.title = 'openclaw-agent'
  const {DatabaseSync} = require('node:sqlite')
  const d = new DatabaseSync(db)
  d.exec('PRAGMA busy_timeout = 5000')
  d.exec('BEGIN IMMEDIATE')
  process.stdout.write('holding ' + process.pid + '\\n')
  setInterval(() => {}, 1 << 30)
} else {
  const source = require('fs').readFileSync('/proc/self/cmdline', 'latin1').split('\\0')[2] // node -e <source> db timeout
  process.title = 'openclaw agent --agent main --message stuck --timeout ' + timeout
  const c = spawn(process.execPath, ['-e', source, db, timeout], {env: {...process.env, WRITER_CHILD: '1'}, stdio: 'inherit'})
  c.on('exit', (code) => process.exit(code ?? 1))
}
`

/** OpenClaw's own view: a second connection's BEGIN IMMEDIATE with busy timeout 0 answers BUSY while a writer holds the db. */
async function busyProbe(): Promise<string> {
  const js = `const {DatabaseSync} = require('node:sqlite'); const d = new DatabaseSync(process.argv[1]); d.exec('PRAGMA busy_timeout = 0');
try { d.exec('BEGIN IMMEDIATE'); d.exec('ROLLBACK'); console.log('free') } catch (e) { console.log('busy: ' + e.message) }`
  return (await execa('docker', ['exec', container, 'node', '-e', js, AGENT_DB])).stdout.trim()
}

async function startWriter(timeout: number): Promise<number> {
  await execa('docker', ['exec', '-d', container, 'node', '-e', WRITER, AGENT_DB, String(timeout)])
  let pid = 0
  await waitFor(
    async () => {
      const ps = (await execa('docker', ['exec', container, 'ps', '-o', 'pid,args'])).stdout
      const line = ps.split('\n').find((l) => /\sopenclaw-agent$/.test(l))
      pid = line ? Number(line.trim().split(/\s+/)[0]) : 0
      return pid > 0 && (await busyProbe()).startsWith('busy')
    },
    {what: 'the stuck writer to hold the agent db', timeoutMs: MIN, intervalMs: 300},
  )
  return pid
}

const writerOf = (doc: any) => doc.instances[0].locks.find((l: any) => l.kind === 'sqlite-writer' && l.agent === 'main')
const turn = (message: string) =>
  execa('docker', ['exec', container, 'openclaw', 'agent', '--agent', 'main', '--session-id', 'fleet-e2e-sqlite', '--message', message, '--thinking', 'low', '--json', '--timeout', '300'], {
    reject: false,
    timeout: 6 * MIN,
  })

let l: Lab

beforeAll(async () => {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), `fleet-real-sqlite-`)), 'lab')
  const t0 = Date.now()
  l = (await lab.up({root, first: ID, size: 1, openclaw: VERSION})) as Lab
  times.up = Date.now() - t0
}, 20 * MIN)

afterAll(async () => {
  console.log(`[real-openclaw-sqlite] times (ms): ${JSON.stringify(times)}`)
  if (l) await lab.down({root: l.root})
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
      const ping = await fleetJson(l, ['ping'])
      expect(ping.r.exitCode, JSON.stringify(ping.doc.results[0])).toBe(0)
      expect(ping.doc.results[0]).toMatchObject({ok: true, reply: 'SPEED_OK', openclaw: VERSION})
    },
    10 * MIN,
  )

  it(
    'a writer stuck inside BEGIN IMMEDIATE: OpenClaw says busy and its turns fail with "database is locked"; fleet names the holder, ends it past its deadline, no restart, a real turn answers',
    async () => {
      const pid = await startWriter(5)
      try {
        const own = await busyProbe()
        expect(own).toMatch(/^busy: database is locked/)
        const first = await fleetJson(l, ['status'])
        const held = writerOf(first.doc)
        expect(held, JSON.stringify(first.doc.instances[0].locks)).toBeDefined()
        expect(held).toMatchObject({pid, evidence: {process: {pid, isAgent: true, isMain: false}}})
        expect(held.raw).toMatch(/POSIX\s+ADVISORY\s+WRITE\s+\d+\s+[0-9a-f]+:[0-9a-f]+:\d+\s+120\s+120/)
        expect(held.evidence.process.turn).toMatchObject({timeoutSec: 5})
        console.log(`[real-openclaw-sqlite] OpenClaw: ${own}; fleet: ${held.verdict} ${held.reasons.join(',')} (${held.raw})`)

        const p0 = Date.now()
        const ping = await fleetJson(l, ['ping'])
        times.pingFailsStorageLocked = Date.now() - p0
        expect(ping.r.exitCode).toBe(1)
        expect(ping.doc.results[0]).toMatchObject({ok: false, failure: 'storage-locked'})
        expect(ping.doc.results[0].detail).toMatch(/database is locked/)

        // --timeout 5 + the lab's deadlineMargin 4 s: past its own deadline.
        await waitFor(async () => writerOf((await fleetJson(l, ['status'])).doc)?.verdict === 'orphan', {what: 'the writer to be past its deadline', timeoutMs: MIN, intervalMs: 1000})
        const past = writerOf((await fleetJson(l, ['status'])).doc)
        expect(past.reasons).toEqual(expect.arrayContaining(['agent-process', 'past-deadline']))

        const h0 = Date.now()
        const heal = await fleetJson(l, ['heal'])
        times.heal = Date.now() - h0
        const inst = heal.doc.instances[0]
        expect(heal.r.exitCode, heal.r.stdout).toBe(0)
        expect(inst.restarted).toBe(false)
        expect(inst.actions.some((a: any) => a.type === 'end-holder' && ['terminated', 'killed'].includes(a.outcome))).toBe(true)
        expect(inst.actions.some((a: any) => a.type === 'delete-lock')).toBe(false)
        expect(await busyProbe()).toBe('free')
        const a0 = Date.now()
        const after = await turn('Reply exactly HEALED')
        times.turnAfterHeal = Date.now() - a0
        expect(after.exitCode, after.stderr).toBe(0)
        expect(after.stdout).toContain('HEALED')
      } finally {
        await execa('docker', ['exec', '-u', '0', container, 'kill', '-KILL', String(pid)], {reject: false})
      }
    },
    15 * MIN,
  )

  it(
    'a live writer without a deadline (--timeout 0) is never ended, and heal does not restart over it',
    async () => {
      const pid = await startWriter(0)
      try {
        const before = (await fleetJson(l, ['status'])).doc
        const startedAt = before.instances[0].startedAt
        expect(writerOf(before)).toMatchObject({verdict: 'live', pid})
        // Held past the lab's orphanAfter (5 s): flagged long-hold, and the instance is not ok (its turns fail).
        await waitFor(async () => writerOf((await fleetJson(l, ['status'])).doc)?.reasons.includes('long-hold'), {what: 'long-hold', timeoutMs: MIN, intervalMs: 1000})
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
        await execa('docker', ['exec', '-u', '0', container, 'kill', '-KILL', String(pid)], {reject: false})
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
      const status = await fleetJson(l, ['status'])
      expect(status.r.exitCode, status.r.stdout).toBe(0)
      const lock = status.doc.instances[0].locks.find((x: any) => x.session === 'before-upgrade')
      expect(lock).toMatchObject({verdict: 'ignored', legacyVerdict: 'stale'})
      expect(lock.reasons[0]).toBe('legacy-ignored')
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
    },
    10 * MIN,
  )
})

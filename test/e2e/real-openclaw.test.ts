// fleet on REAL OpenClaw (the npm packages, offline images from lab/real/build.mjs, a loopback model stub in
// each container): per version, the lab comes up and fleet ping passes; on the JSONL-lock versions the genuine
// wedge fails the way users see it (a real turn holds the session lock, a second real turn fails with
// `session file locked (timeout 10000ms|60000ms): pid=N <path>`), fleet judges the live holder from the real
// two-process tree, then, the holder SIGKILLed, judges the lock stale as OpenClaw's own `openclaw doctor` does,
// heals it, and a real turn on that session succeeds. Times go to the test output (real turns take 70-160 s here).
import {execa, type ResultPromise} from 'execa'
import {existsSync, mkdtempSync, readdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as lab from '../../lab/compose.mjs'
import * as faults from '../../lab/real/faults.mjs'
import {waitFor} from '../../lab/run.mjs'
// @ts-expect-error: the simulator's lock module is plain JavaScript without types
import {ACQUIRE_TIMEOUT_MS, lockPayload, SessionWriteLockTimeoutError} from '../../lab/image/app/dist/lock.js'
import {LOCK_TIMEOUT} from '../../src/locks/signatures.js'
import {fleetJson, type Lab} from './helpers.js'

const VERSIONS: {version: string; first: number; lockTimeoutMs: number | null}[] = [
  {version: '2026.4.29', first: 701, lockTimeoutMs: 10_000},
  {version: '2026.5.5', first: 711, lockTimeoutMs: 60_000},
  {version: '2026.9.6', first: 721, lockTimeoutMs: null}, // SQLite sessions: no session lock file at all
]
const MIN = 60_000
const times: Record<string, Record<string, number>> = {}

const turnArgv = (v: string, session: string, message: string) => [
  'openclaw',
  'agent',
  ...(v.startsWith('2026.9') || v.startsWith('2026.8') ? [] : ['--local']),
  '--agent',
  'main',
  '--session-id',
  session,
  '--message',
  message,
  '--thinking',
  'low',
  '--json',
  '--timeout',
  '600',
]

afterAll(() => console.log(`[real-openclaw] times (ms): ${JSON.stringify(times)}`))

for (const {version, first, lockTimeoutMs} of VERSIONS) {
  describe(`real OpenClaw ${version}`, () => {
    let l: Lab
    const t: Record<string, number> = (times[version] = {})
    const container = lab.containerName(first)

    beforeAll(async () => {
      const root = path.join(mkdtempSync(path.join(os.tmpdir(), `fleet-real-${version}-`)), 'lab')
      const t0 = Date.now()
      l = (await lab.up({root, first, size: 1, openclaw: version})) as Lab
      t.up = Date.now() - t0
      t.image = l.timings.imageMs
      t.ready = l.timings.healthyMs
    }, 20 * MIN)

    afterAll(() => (l ? lab.down({root: l.root}) : undefined), 5 * MIN)

    it(
      'fleet status sees the gateway, and fleet ping gets SPEED_OK from a real turn',
      async () => {
        const status = await fleetJson(l, ['status'])
        expect(status.r.exitCode, status.r.stdout).toBe(0)
        expect(status.doc.instances[0]).toMatchObject({state: 'running', ok: true})
        const t0 = Date.now()
        const ping = await fleetJson(l, ['ping'])
        t.firstPing = Date.now() - t0
        expect(ping.r.exitCode, JSON.stringify(ping.doc.results?.[0]?.attempts?.[0] ?? ping.doc)).toBe(0)
        expect(ping.doc.results[0]).toMatchObject({ok: true, reply: 'SPEED_OK'})
        const t1 = Date.now()
        const again = await fleetJson(l, ['ping'])
        t.laterPing = Date.now() - t1
        expect(again.doc.results[0].ok).toBe(true)
      },
      20 * MIN,
    )

    if (lockTimeoutMs === null) return

    it(
      `the genuine wedge: a live real holder, a second turn fails with "session file locked (timeout ${lockTimeoutMs}ms)", fleet judges, heals, a real turn then succeeds`,
      async () => {
        const sessions = path.join(l.root, 'data', `oc${first}`, 'config', 'agents', 'main', 'sessions')
        const lockFile = path.join(sessions, 'wedge.jsonl.lock')
        // The model stub answers after 10 min: the first turn takes the session's lock and holds it.
        await execa('docker', ['exec', container, 'sh', '-c', 'mkdir -p /tmp/ocreal-model && echo 600000 > /tmp/ocreal-model/delay-ms'])
        const holder: ResultPromise = execa('docker', ['exec', container, ...turnArgv(version, 'wedge', 'Reply exactly HELD')], {reject: false})
        try {
          await waitFor(() => existsSync(lockFile), {what: 'the real holder to take the lock', timeoutMs: 5 * MIN, intervalMs: 500})
          const live = await fleetJson(l, ['status'])
          const held = live.doc.instances[0].locks.find((x: any) => x.session === 'wedge')
          expect(held.verdict).toBe('live')
          // OpenClaw's own judgement beside fleet's: cleanStaleLockFiles with removal off, run in the container.
          const ownLive = (await faults.judgeSessionLocks(first, {root: l.root})).locks.find((x) => x.lockPath.endsWith('wedge.jsonl.lock'))
          expect(ownLive).toMatchObject({pid: held.pid, pidAlive: true, stale: false})
          // The simulator check: the real payload has the shape the simulator writes for these versions (pretty JSON,
          // pid/createdAt/starttime in that order, no trailing newline on 2026.4.29 and 2026.5.5).
          expect(Object.keys(JSON.parse(held.raw))).toEqual(['pid', 'createdAt', 'starttime'])
          expect(held.raw).toBe(JSON.stringify(JSON.parse(held.raw), null, 2))
          const simulated: string = lockPayload('2026.4.29')
          expect(Object.keys(JSON.parse(simulated))).toEqual(Object.keys(JSON.parse(held.raw)))
          expect(simulated.endsWith('\n')).toBe(held.raw.endsWith('\n'))
          // The real tree: the holder is an openclaw agent process under the exec'd `openclaw agent` (PPID 0).
          expect(held.evidence.process).toMatchObject({exists: true, isAgent: true, isMain: false})
          expect(held.evidence.process.turn.execRoot).not.toBeNull()
          const t0 = Date.now()
          const second = await execa('docker', ['exec', container, ...turnArgv(version, 'wedge', 'Reply exactly SECOND')], {reject: false, timeout: 10 * MIN})
          t.secondTurnFails = Date.now() - t0
          expect(second.exitCode).not.toBe(0)
          expect(`${second.stderr}\n${second.stdout}`).toMatch(
            new RegExp(`session file locked \\(timeout ${lockTimeoutMs}ms\\): (pid=${held.pid}|unknown|owner=unknown)[^\\n]*wedge\\.jsonl\\.lock`),
          )
          // The simulator check: the simulator's error line is the real one's shape (fleet's one LOCK_TIMEOUT pattern reads
          // both the same), its acquire timeout is the real 2026.4.29's, and its turn tree is the real one (exec'd
          // `openclaw`, PPID 0, with the child `openclaw-agent` holding the lock).
          const realLine = `${second.stderr}\n${second.stdout}`.split('\n').find((x) => LOCK_TIMEOUT.test(x)) ?? ''
          const simLine = new SessionWriteLockTimeoutError(ACQUIRE_TIMEOUT_MS, `pid=${held.pid}`, lockFile.replace(l.root, '/x')).message
          const [, realMs, realPid] = LOCK_TIMEOUT.exec(realLine) ?? []
          const [, simMs, simPid] = LOCK_TIMEOUT.exec(simLine) ?? []
          expect([simMs, simPid]).toEqual([String(ACQUIRE_TIMEOUT_MS), String(held.pid)])
          if (version === '2026.4.29') expect(realMs).toBe(simMs)
          if (version === '2026.4.29' && realPid !== undefined) expect(realPid).toBe(simPid)
          expect(t.secondTurnFails).toBeGreaterThanOrEqual(lockTimeoutMs)
          expect(held.evidence.process.cmdline).toEqual(['openclaw-agent'])
          expect(held.evidence.process.turn.execRoot.cmdline[0]).toMatch(/^openclaw\b/)

          // The holder dies without releasing (SIGKILL): OpenClaw's own doctor and fleet agree it is stale.
          await execa('docker', ['exec', '-u', '0', container, 'kill', '-KILL', String(held.pid)])
          await holder
          await waitFor(async () => (await execa('docker', ['exec', container, 'test', '-d', `/proc/${held.pid}`], {reject: false})).exitCode !== 0, {
            what: 'the holder to be gone',
            timeoutMs: MIN,
            intervalMs: 500,
          })
          const own = (await faults.judgeSessionLocks(first, {root: l.root})).locks.find((x) => x.lockPath.endsWith('wedge.jsonl.lock'))
          const dead = await fleetJson(l, ['status'])
          const stale = dead.doc.instances[0].locks.find((x: any) => x.session === 'wedge')
          expect(stale).toMatchObject({verdict: 'stale'})
          expect(stale.reasons).toContain('dead-pid')
          expect(own).toMatchObject({pid: held.pid, pidAlive: false, stale: true})
          console.log(
            `[real-openclaw] ${version} OpenClaw cleanStaleLockFiles: stale ${own?.stale} (${own?.staleReasons.join(',')}); fleet: ${stale.verdict} ${stale.reasons.join(',')}`,
          )

          // The model answers at once again before heal pings.
          await execa('docker', ['exec', container, 'rm', '-f', '/tmp/ocreal-model/delay-ms'])
          const h0 = Date.now()
          const heal = await fleetJson(l, ['heal'])
          t.heal = Date.now() - h0
          expect(heal.doc.instances[0].actions.some((a: any) => a.type === 'delete-lock' && a.outcome === 'removed')).toBe(true)
          expect(heal.doc.instances[0].restarted).toBe(false)
          expect(readdirSync(sessions).filter((n) => n === 'wedge.jsonl.lock')).toEqual([])
          const a0 = Date.now()
          const after = await execa('docker', ['exec', container, ...turnArgv(version, 'wedge', 'Reply exactly HEALED')], {reject: false, timeout: 10 * MIN})
          t.turnAfterHeal = Date.now() - a0
          expect(after.exitCode, after.stderr).toBe(0)
          expect(after.stdout).toContain('HEALED')
        } finally {
          holder.kill('SIGKILL')
          await execa('docker', ['exec', container, 'rm', '-f', '/tmp/ocreal-model/delay-ms'], {reject: false})
        }
      },
      40 * MIN,
    )
  })
}

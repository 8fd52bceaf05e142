// A full state filesystem on REAL OpenClaw 2026.9.6 (issue 25: "Storage errors get their own ping classes and are
// never restarted"). One compose lab instance (ID 821) whose state dir (the bind-mounted host dir) is a 256 MiB tmpfs
// of its own (lab stateFs). After one good turn, the test fills it, and fleet's own ping (a real `openclaw agent` turn through the gateway)
// fails with the gateway's real storage error; then:
// - `fleet heal --probe` classes it storage-full, restarts nothing (no action, no incident, the container never
//   restarted) and exits 1 with the disk as the reason;
// - `fleet status` is not ok and says the filesystem is full; `fleet doctor` names the filesystem and its free space;
// - `fleet watch` (one scan) opens a `storage` alert and restarts nothing;
// - once the space is freed, the next ping answers without a restart, or (seen too) still fails storage-full: status
//   is ok exactly when it answered, and nothing is restarted either way.
// The state dir is unmounted by lab.down in afterAll, on failure too. Times go to the test output.
import {execa} from 'execa'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as lab from '../../lab/compose.mjs'
import {fleetIn, realLabUp, type Lab} from './helpers.js'

const ID = 821
const container = lab.containerName(ID) as string
const times: Record<string, number> = {}
let root = ''
let l: Lab
const fleet_ = (args: string[]) => fleetIn(l, [...args])
const timed = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
  const t0 = Date.now()
  try {
    return await f()
  } finally {
    times[name] = Date.now() - t0
  }
}
const incarnation = async () => (await execa('docker', ['inspect', '-f', '{{.State.StartedAt}} {{.RestartCount}}', container])).stdout.trim()

beforeAll(async () => {
  // 256 MiB: a fresh 9.6 state dir takes ~56 MiB (its control-ui asset cache), a turn a few MiB more.
  l = await timed('up', () => realLabUp('fleet-real-disk', ID, '2026.9.6', {stateFs: {sizeMiB: 256}, onRoot: (r) => (root = r)}))
}, 30 * 60_000)

afterAll(async () => {
  console.log(`[real-openclaw-disk] times (ms): ${JSON.stringify(times)}`)
  // down removes the container, unmounts the state dir's tmpfs (state-fs.json), then the lab root.
  if (root && existsSync(root)) await lab.down({root})
  if (root) rmSync(path.dirname(root), {recursive: true, force: true})
}, 5 * 60_000)

describe('real OpenClaw 2026.9.6: a full state filesystem', () => {
  it(
    'is classed storage-full, never restarted, not ok in status, named by doctor, alerted by watch; freed, the next ping says whether it serves again, still without a restart',
    async () => {
      const stateDir = path.join(root, 'data', `oc${ID}`, 'config')
      const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      expect(mounts).toContain(` ${stateDir} `)
      // A gateway that has served: one good turn first (it also pairs the CLI with the gateway; on a fresh gateway whose
      // disk is full the CLI's first connect times out instead: seen live, `gateway closed (4000): connect timeout`).
      const warm = await timed('pingBefore', () => fleet_(['ping', '--json']))
      expect(warm.exitCode, warm.stdout).toBe(0)
      const before = await incarnation()

      // Fill it, as root (no room left for anyone).
      const fill = await execa('dd', ['if=/dev/zero', `of=${path.join(stateDir, 'fleet-e2e-fill')}`, 'bs=1M'], {reject: false})
      expect(fill.stderr).toMatch(/No space left on device/)

      // heal --probe: its ping (a real turn through the gateway) fails with the gateway's storage error.
      const heal = await timed('heal', () => fleet_(['heal', '--probe', '--json']))
      expect(heal.exitCode, heal.stderr).toBe(1)
      const doc = JSON.parse(heal.stdout)
      const r = doc.instances[0]
      console.log(
        `[real-openclaw-disk] the real error: ${JSON.stringify(r.ping.attempts.map((a: {exitCode: number; detail: string; stderr: string}) => [a.exitCode, a.detail, a.stderr]))}`,
      )
      expect(r.ping).toMatchObject({ok: false, failure: 'storage-full', path: 'gateway', detail: expect.stringMatching(/database or disk is full/)})
      expect(r.restartDecision).toMatchObject({
        restart: false,
        why: expect.stringMatching(/^storage-full: .*full, 0 B free of 256 MiB: a restart does not cure the disk/),
        hint: expect.stringMatching(/free space/),
      })
      expect(r).toMatchObject({restarted: false, actions: [], healed: false})
      // Nothing was done, so nothing was recorded: no incident (a restart would have made one).
      expect(doc.incidentLog).toBeNull()
      expect(doc.ok).toBe(false)

      // status: not ok, the filesystem full.
      const st = JSON.parse((await timed('status', () => fleet_(['status', '--json']))).stdout).instances[0]
      expect(st.ok).toBe(false)
      expect(st.life.state).toBe('ready')
      expect(st.stateFs).toMatchObject({
        state: 'full',
        why: expect.stringContaining(`state dir ${stateDir} is on tmpfs (fleet-lab-${ID} at ${stateDir}): full, 0 B free of 256 MiB`),
      })
      expect(st.storage).toMatchObject({kind: 'storage-full'})
      // The gateway's own lines of the failed turn are storage errors, not lock errors.
      expect(st.logSignature.storage).toMatchObject({kind: 'storage-full', line: expect.stringMatching(/database or disk is full/)})
      expect(st.logSignature.count).toBe(0)

      // doctor: names the filesystem and its free space, and fails.
      const dr = await timed('doctor', () => fleet_(['doctor', '--json', '--io-samples', '0']))
      expect(dr.exitCode).toBe(1)
      const disk = JSON.parse(dr.stdout).checks.find((c: {check: string}) => c.check === 'state-disk')
      expect(disk).toMatchObject({
        status: 'fail',
        instance: `oc${ID}`,
        message: expect.stringContaining(`on tmpfs (fleet-lab-${ID} at ${stateDir}): full, 0 B free of 256 MiB`),
      })

      // watch, one scan with auto-restart on: a storage alert, no restart.
      const events = path.join(path.dirname(root), 'watch-events.jsonl')
      const w = await timed('watch', () => fleet_(['watch', '--scans', '1', '--no-ping', '--no-react', '--auto-restart', '--events', events]))
      expect(w.exitCode, w.stderr).toBe(0)
      const seen = readFileSync(events, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((x) => JSON.parse(x) as {event: string; reason?: string; state?: string; detail?: string})
      expect(seen.filter((e) => e.event === 'alert')).toEqual([
        expect.objectContaining({state: 'open', reason: 'storage', detail: expect.stringMatching(/^storage-full: .*full/)}),
      ])
      expect(seen.some((e) => /restart/.test(e.event))).toBe(false)
      expect(await incarnation()).toBe(before)

      // Free the space: the next ping answers, with no restart.
      rmSync(path.join(stateDir, 'fleet-e2e-fill'))
      // Real 2026.9.6 did both: the next turn answered (39 s, no restart), or still failed `database or disk is full`
      // with room on the disk (`Agent native close and lease cleanup failed | …`, 35 s). Either way: its class, no restart,
      // and status says ok exactly when the turn answered.
      const ping = await timed('pingAfterFree', () => fleet_(['ping', '--json']))
      const answered = JSON.parse(ping.stdout).results[0]
      console.log(`[real-openclaw-disk] the first ping after the space was freed: ${answered.ok ? 'answered' : `${answered.failure}: ${answered.detail}`}`)
      if (!answered.ok) expect(answered.failure).toBe('storage-full')
      const after = JSON.parse((await fleet_(['status', '--json'])).stdout).instances[0]
      expect(after.stateFs.state).toBe('ok')
      expect(after.ok, JSON.stringify(after.errors)).toBe(answered.ok)
      expect(await incarnation()).toBe(before)
    },
    30 * 60_000,
  )
})

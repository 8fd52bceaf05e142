// fleet watch while one instance is slow, on the simulator lab (ids 1361-1363 only). Seen before: a restart's wait
// for readiness ran inside the scan loop, so a crash-looping instance stalled every other one (a stale lock on
// another gateway cleared after about 179 s, the scan counter at 4 after 200 s at a 10 s interval), and one crash
// loop opened two alert episodes with a false `resolved` between them (one scan in a short `running` window).
import {execa} from 'execa'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {docker, waitFor} from '../../lab/run.mjs'
import {BIN, type Spawned} from '../helpers/cli.js'
import {configVariant, eventsIn, labDown, labUp, sleep, type Lab} from './helpers.js'

let lab: Lab
let config: string
const running: Spawned[] = []
/** The restart's wait for readiness: long enough to see a clear and many scans inside it. */
const WAIT_TIMEOUT_S = 120

const until = <T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000) => waitFor(fn, {what, timeoutMs, intervalMs: 100})

function watch(file: string, args: string[]): Spawned {
  const w = execa('node', [BIN, 'watch', '--config', config, '--events', file, ...args], {
    reject: false,
    env: {CI: 'true', XDG_STATE_HOME: path.join(lab.root, 'fleet-state')},
    stdin: 'ignore',
    timeout: 600_000,
  })
  running.push(w)
  return w
}

beforeAll(async () => {
  lab = await labUp(1361, 3)
  config = configVariant(lab, 'fleet.slow.yml', (y) => `${y}heal:\n  incidentDir: incidents\n  waitTimeout: ${WAIT_TIMEOUT_S}s\nwatch:\n  alertRecovery: 30s\n`)
}, 300_000)

afterAll(async () => {
  for (const w of running) w.kill('SIGKILL')
  await labDown(lab)
}, 300_000)

/** Runs fn with the watch running; the watch gets SIGTERM whatever happens (its run lock must not outlive the test). */
async function withWatch(w: Spawned, fn: () => Promise<void>): Promise<Awaited<Spawned>> {
  try {
    await fn()
  } finally {
    w.kill('SIGTERM')
  }
  return w
}

/**
 * A gateway that needs a restart and whose restart never gets ready: fleet does not restart a crash loop (the restart
 * policy already does, and a restart feeds OpenClaw's crash-loop breaker), so the restart comes from a frozen gateway
 * (SIGSTOPped holding its lock: hung once past the lab's maxHold, 20 s), and the next start waits 10 minutes before
 * it is ready (control startup-ms, read at each start). Starts from a ready gateway without controls.
 */
async function frozenThenNeverReady(id: number) {
  await faults.setControl(id, 'startup-ms', null, {root: lab.root})
  await faults.setControl(id, 'crash-after-ms', null, {root: lab.root})
  const container = lab.containers[lab.ids.indexOf(id)]!
  await docker(['restart', '--time', '1', container])
  await until(`oc${id} ready`, async () => (await faults.gatewayInfo(container).catch(() => null))?.ready === true, 120_000)
  const frozen = await faults.frozen(id, {root: lab.root})
  await faults.setControl(id, 'startup-ms', 600_000, {root: lab.root})
  return frozen
}

const isEndOfRestart = (e: any, instance: string) =>
  ['restarted', 'restart-unhealthy', 'restart-failed', 'restart-interrupted'].includes(e.event) && e.instance === instance

describe('fleet watch while one instance is slow', () => {
  it('a restart waiting for a gateway that never gets ready holds up no other instance: a stale lock elsewhere is cleared inside it, the interval scans go on', async () => {
    await frozenThenNeverReady(1361)
    const file = path.join(lab.root, 'events-slow.jsonl')
    // No pings: the scans stay short on a loaded host (a busy instance is not pinged anyway).
    const w = watch(file, ['--instances', '1361-1363', '--interval', '2s', '--auto-restart', '--react', '--no-ping', '--cooldown', '10m'])
    const r = await withWatch(w, async () => {
      const restart = await until(
        'the restart of the frozen oc1361',
        () => eventsIn(file).find((e) => e.event === 'restart' && e.instance === 'oc1361'),
        150_000,
      )
      // While oc1361's restart and its wait run, a holder dies on oc1362 and leaves its lock (stale: dead pid).
      const stale = await faults.deadPid(1362, {root: lab.root})
      const cleared = await until(
        'the stale lock on oc1362 to be cleared',
        () => eventsIn(file).find((e) => e.event === 'lock-cleared' && e.instance === 'oc1362'),
        120_000,
      )
      expect(cleared.path).toBe(stale.hostLockPath)
      expect(existsSync(stale.hostLockPath)).toBe(false)

      const end = await until("the end of oc1361's restart", () => eventsIn(file).find((e) => isEndOfRestart(e, 'oc1361')), (WAIT_TIMEOUT_S + 120) * 1000)
      // The gateway never gets ready: the wait ran its whole course, and the clear came inside the restart's work.
      expect(end.event).toBe('restart-unhealthy')
      expect(Date.parse(cleared.ts)).toBeGreaterThan(Date.parse(restart.ts))
      expect(Date.parse(cleared.ts)).toBeLessThan(Date.parse(end.ts))

      const inRestart = eventsIn(file).filter((e) => e.ts > restart.ts && e.ts < end.ts)
      // Interval scans went on during the restart (before: none until its wait ended; how many depends on the load) ...
      const scans = inRestart.filter((e) => e.event === 'scan' && e.reason === 'interval')
      expect(scans.length).toBeGreaterThanOrEqual(3)
      // ... each observing and reporting oc1361 as busy (in its wait at least once), and nothing more was done to it.
      for (const s of scans) expect(s.instances.find((i: any) => i.instance === 'oc1361')).toMatchObject({busy: expect.any(String)})
      expect(scans.some((s) => s.instances.some((i: any) => i.instance === 'oc1361' && i.busy === 'wait'))).toBe(true)
      expect(inRestart.filter((e) => e.event === 'restart' && e.instance === 'oc1361')).toHaveLength(0)
    })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(eventsIn(file).at(-1)).toMatchObject({event: 'watch-stop'})
  }, 600_000)

  it('SIGTERM during a restart wait: the wait is cut short and said so, the watch exits 0', async () => {
    await frozenThenNeverReady(1361)
    const file = path.join(lab.root, 'events-stop.jsonl')
    const w = watch(file, ['--instances', '1361', '--interval', '2s', '--auto-restart', '--no-ping', '--cooldown', '10m'])
    let t0 = 0
    const r = await withWatch(w, async () => {
      await until(
        'oc1361 in its restart wait',
        () => eventsIn(file).some((e) => e.event === 'scan' && e.instances.some((i: any) => i.instance === 'oc1361' && i.busy === 'wait')),
        240_000,
      ).catch((error) => {
        const seen = eventsIn(file).map((e) =>
          e.event === 'scan' ? `scan ${JSON.stringify(e.instances[0]).slice(0, 300)}` : `${e.event} ${e.detail ?? e.reason ?? ''}`,
        )
        throw new Error(`${(error as Error).message}; events: ${seen.slice(-12).join(' | ')}`)
      })
      t0 = Date.now()
    })
    expect(r.exitCode, `signal ${r.signal}; ${r.stderr}; ${JSON.stringify(eventsIn(file).map((e) => e.event))}`).toBe(0)
    // Well before the wait's own end: the stop did not wait it out.
    expect(Date.now() - t0).toBeLessThan(WAIT_TIMEOUT_S * 1000)
    const all = eventsIn(file)
    expect(
      all.find((e) => e.event === 'watch-stopping'),
      JSON.stringify(all.map((e) => [e.event, e.instance, e.busy ?? e.reason ?? e.detail])),
    ).toMatchObject({inFlight: [expect.objectContaining({instance: 'oc1361', kind: 'restart', step: 'wait'})]})
    expect(all.find((e) => e.event === 'restart-interrupted')).toMatchObject({instance: 'oc1361', detail: expect.stringContaining('wait interrupted')})
    expect(all.at(-1)).toMatchObject({event: 'watch-stop'})
    await faults.setControl(1361, 'startup-ms', null, {root: lab.root})
  }, 400_000)

  it('a crash loop with short running windows is one alert episode, never resolved while it loops', async () => {
    // Each start runs 1.5 s, then exits 1: the scans see restarting, running, restarting ...
    await faults.crashLoop(1363, {root: lab.root, afterMs: 1500})
    const file = path.join(lab.root, 'events-loop.jsonl')
    const w = watch(file, ['--instances', '1363', '--interval', '1s', '--no-ping'])
    /** Interval scans that saw the container running right after one that saw it not running. */
    const windows = () => {
      const states = eventsIn(file)
        .filter((e) => e.event === 'scan' && e.reason === 'interval')
        .map((e) => e.instances[0].state)
      return states.filter((st, i) => i > 0 && st === 'running' && states[i - 1] !== 'running').length
    }
    const r = await withWatch(w, async () => {
      // Two windows after the loop was seen: before the fix, each closed the episode and the next scan opened another.
      await until('two running windows in the crash loop', () => windows() >= 2, 240_000)
      await sleep(1500)
    })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(windows()).toBeGreaterThanOrEqual(2)
    const alerts = eventsIn(file).filter((e) => e.event === 'alert' && e.instance === 'oc1363')
    expect(alerts.map((e) => `${e.state}:${e.reason}`)).toEqual(['open:not-running'])
    await faults.setControl(1363, 'crash-after-ms', null, {root: lab.root})
  }, 400_000)
})

// fleet watch against the real engine: an injected dead-pid lock is cleared within two intervals and a
// webhook receiver on loopback gets the event; /metrics shows the figures; SIGTERM exits 0 and releases the
// run lock; a fault that healing cannot fix (a gateway whose model always fails) hits the retry cap and
// stops restarting.
import {execa} from 'execa'
import {existsSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {BIN, type Spawned} from '../helpers/cli.js'
import {configVariant, containerFacts, containerName, eventsIn, labDown, labUp, lockFiles, sleep, type Lab} from './helpers.js'

let lab: Lab
let config: string
let hook: Server
const received: any[] = []
let hookUrl: string
const running: Spawned[] = []

/** The first truthy answer of fn, asked every 100 ms until timeoutMs. */
async function until<T>(what: string, fn: () => T | false | null | undefined | Promise<T | false | null | undefined>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; watch output so far:\n${output.join('')}`)
    await sleep(100)
  }
}

const events = eventsIn

/** Everything the watch processes printed, for the message when a wait times out. */
const output: string[] = []

function watch(args: string[]): Spawned {
  const w = execa('node', [BIN, 'watch', '--config', config, ...args], {reject: false, env: {CI: 'true'}, stdin: 'ignore'})
  w.stdout?.on('data', (d: Buffer) => output.push(String(d)))
  w.stderr?.on('data', (d: Buffer) => output.push(String(d)))
  return w
}

beforeAll(async () => {
  lab = await labUp(551, 4)
  config = configVariant(lab, 'fleet.watch.yml', (y) => `${y}heal:\n  incidentDir: incidents\n  waitTimeout: 60s\n`)
  hook = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      received.push(JSON.parse(body))
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r))
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`
}, 300_000)

afterEach(() => {
  for (const w of running.splice(0)) w.kill('SIGKILL')
})

afterAll(async () => {
  hook?.close()
  await labDown(lab)
}, 300_000)

describe('fleet watch', () => {
  it('clears an injected dead-pid lock within two intervals, tells the webhook, serves metrics, exits 0 on SIGTERM', async () => {
    const file = path.join(lab.root, 'events-1.jsonl')
    const port = 20_000 + Math.floor(Math.random() * 6_000) // this file's metrics ports: 20000-25999 (watch-alerts has the next range)
    const w = watch(['--interval', '2s', '--no-ping', '--events', file, '--webhook', hookUrl, '--metrics-port', String(port), '--instances', '551-552'])
    running.push(w)
    await until('the first scan', () => events(file).some((e) => e.event === 'scan'))
    const a = await faults.deadPid(551, {root: lab.root})
    const injectedAt = Date.now()
    await until('the lock to be cleared', () => lockFiles(lab, 551).length === 0, 30_000)
    // Within two scans of the injection (counted in the events, not timed: scans slow down under load).
    const clearedAt = Date.now()
    const scansBetween = events(file).filter((e) => e.event === 'scan' && Date.parse(e.ts) >= injectedAt && Date.parse(e.ts) <= clearedAt).length
    expect(scansBetween).toBeLessThanOrEqual(3)
    const cleared = await until('the webhook event', () => received.find((e) => e.event === 'lock-cleared' && e.instance === 'oc551'), 15_000)
    expect(cleared).toMatchObject({path: a.hostLockPath, verdict: 'stale', reasons: expect.arrayContaining(['dead-pid']), outcome: 'removed'})
    expect(events(file).some((e) => e.event === 'lock-seen' && e.path === a.hostLockPath)).toBe(true)

    // Metrics show what the last scan saw: wait for a scan after the clearing.
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    const text = await until(
      'a scan without the lock',
      async () => {
        const t = await scrape()
        return /openclaw_fleet_locks\{gateway="oc551",verdict="stale"\} 0/.test(t) && t
      },
      10_000,
    )
    expect(text).toContain('openclaw_fleet_heals_total{gateway="oc551",action="clear"} 1')
    expect(text).toMatch(/openclaw_fleet_locks\{gateway="oc551",verdict="stale"\} 0/)
    expect(text).toMatch(/openclaw_fleet_locks\{gateway="oc552",verdict="live"\} 0/)
    expect(Number(/^openclaw_fleet_scans_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThanOrEqual(2)
    const last = Number(/^openclaw_fleet_last_scan_timestamp_seconds (\S+)$/m.exec(text)?.[1])
    expect(last * 1000).toBeGreaterThanOrEqual(injectedAt - 1000) // a scan after the injection, not a stale figure
    expect(Number(/^openclaw_fleet_scan_duration_seconds (\S+)$/m.exec(text)?.[1])).toBeGreaterThan(0)

    w.kill('SIGTERM')
    const r = await w
    expect(r.exitCode, r.stderr).toBe(0)
    expect(events(file).at(-1)).toMatchObject({event: 'watch-stop'})
    // The run lock is released: a heal can take it at once.
    const heal = await execa('node', [BIN, 'heal', '--config', config, '--instances', '552'], {reject: false, env: {CI: 'true'}})
    expect(heal.exitCode, heal.stderr).toBe(0)
  })

  it('a fault healing cannot fix hits the retry cap and stops restarting', async () => {
    // Every turn of oc553 now takes 30 s (the control file survives restarts) and pings time out after 2 s: a
    // failure a restart could cure (timeout), which restarts do not cure here.
    await faults.slow(553, {root: lab.root, ms: 30_000})
    const quick = configVariant(
      lab,
      'fleet.watch-quick.yml',
      (y) => `${y.replace(/^ {2}timeout: 60s$/m, '  timeout: 2s')}heal:\n  incidentDir: incidents\n  waitTimeout: 60s\n`,
    )
    const file = path.join(lab.root, 'events-2.jsonl')
    const w = execa(
      'node',
      [
        BIN,
        'watch',
        '--config',
        quick,
        '--interval',
        '1s',
        '--events',
        file,
        '--auto-restart',
        '--max-attempts',
        '2',
        '--cooldown',
        '1s',
        '--instances',
        '553',
      ],
      {
        reject: false,
        env: {CI: 'true'},
        stdin: 'ignore',
      },
    )
    running.push(w)
    await until('the give-up', () => events(file).some((e) => e.event === 'gave-up'), 240_000)
    const facts = await containerFacts([containerName(553)])
    await sleep(8_000) // several more scans
    w.kill('SIGTERM')
    const r = await w
    expect(r.exitCode).toBe(0)
    const all = events(file)
    expect(all.filter((e) => e.event === 'restart')).toHaveLength(2)
    expect(all.find((e) => e.event === 'restart').reason).toContain('timeout')
    // One alert per episode: opened, resolved (a restarted gateway starts with a clean slate), opened again...
    const states = all.filter((e) => e.event === 'alert' && e.reason === 'ping-failed').map((e) => e.state)
    expect(states[0]).toBe('open')
    states.forEach((st, i) => expect(st).toBe(i % 2 === 0 ? 'open' : 'resolved'))
    expect(states.filter((st) => st === 'open').length).toBeLessThanOrEqual(3)
    const after = await containerFacts([containerName(553)])
    expect(after[containerName(553)].startedAt).toBe(facts[containerName(553)].startedAt)
    await faults.setControl(553, 'slow-ms', null, {root: lab.root})
  })

  it('a failure a restart cannot cure (no API key: auth) is alerted with a hint, never restarted', async () => {
    await faults.modelError(552, {root: lab.root})
    const file = path.join(lab.root, 'events-auth.jsonl')
    const before = await containerFacts([containerName(552)])
    const r = await execa(
      'node',
      [BIN, 'watch', '--config', config, '--interval', '1s', '--scans', '4', '--events', file, '--auto-restart', '--cooldown', '1s', '--instances', '552'],
      {
        reject: false,
        env: {CI: 'true'},
        stdin: 'ignore',
        timeout: 120_000,
      },
    )
    expect(r.exitCode).toBe(0)
    const all = events(file)
    // One alert for the episode, not one per scan: it persists over the 3 failing scans after the first.
    const alerts = all.filter((e) => e.event === 'alert' && e.reason === 'ping-failed')
    expect(alerts.map((e) => e.state)).toEqual(['open'])
    expect(alerts[0].detail).toContain('auth')
    expect(alerts[0].detail).toContain('credentials')
    expect(all.filter((e) => e.event === 'restart')).toHaveLength(0)
    expect((await containerFacts([containerName(552)]))[containerName(552)].startedAt).toBe(before[containerName(552)].startedAt)
    await faults.setControl(552, 'model-error', null, {root: lab.root})
  })

  it('--report-only changes nothing', async () => {
    const a = await faults.deadPid(554, {root: lab.root})
    const file = path.join(lab.root, 'events-3.jsonl')
    const r = await execa(
      'node',
      [BIN, 'watch', '--config', config, '--interval', '1s', '--no-ping', '--report-only', '--scans', '3', '--events', file, '--instances', '554'],
      {
        reject: false,
        env: {CI: 'true'},
      },
    )
    expect(r.exitCode).toBe(0)
    expect(existsSync(a.hostLockPath)).toBe(true)
    expect(events(file).filter((e) => e.event === 'scan' && e.reason === 'interval')).toHaveLength(3)
  })
})

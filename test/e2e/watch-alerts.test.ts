// fleet watch as monitoring stacks and service managers expect it, on the simulator lab (ids 931-932): a
// persistent fault gives one open alert and, once cleared, one resolved alert (to a Slack-style webhook too);
// /metrics labels series by gateway and shows counters at 0 from the start; /healthz answers; the start line
// names the config, the metrics URL and the incident dir; FLEET_WATCH_* variables set the flags (flags win, a
// bad value exits 2 naming the variable); a container in its start period is not acted on.
import {execa} from 'execa'
import {existsSync, mkdtempSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as compose from '../../lab/compose.mjs'
import * as faults from '../../lab/faults.mjs'
import {BIN, type Spawned} from '../helpers/cli.js'
import {configVariant, eventsIn, labDown, webhookReceiver, type Lab} from './helpers.js'
import {waitFor} from '../../lab/run.mjs'

let lab: Lab
let config: string
let hook: Awaited<ReturnType<typeof webhookReceiver>>
let hookUrl: string

const events = eventsIn

const until = <T>(what: string, fn: () => T | Promise<T>, timeoutMs = 60_000) => waitFor(fn, {what, timeoutMs, intervalMs: 100})

function watch(args: string[], env: Record<string, string> = {}): Spawned {
  return execa('node', [BIN, 'watch', '--config', config, ...args], {reject: false, env: {CI: 'true', ...env}, stdin: 'ignore', timeout: 180_000})
}

beforeAll(async () => {
  const root = path.join(mkdtempSync('/tmp/wt-e-alerts-'), 'lab')
  lab = (await compose.up({root, first: 931, size: 2})) as Lab
  // An episode resolves once the instance has been healthy for watch.alertRecovery (2m by default; 4 s here: 2 scans).
  config = configVariant(lab, 'fleet.alerts.yml', (y) => `${y}heal:\n  incidentDir: incidents\n  waitTimeout: 60s\nwatch:\n  alertRecovery: 4s\n`)
  hook = await webhookReceiver()
  hookUrl = hook.url
}, 300_000)

afterAll(async () => {
  hook?.close()
  await labDown(lab)
}, 300_000)

describe('fleet watch alerts, metrics and service settings', () => {
  it('a persistent fault: one open alert, one resolved alert once cleared; slack bodies; gateway labels, counters at 0, /healthz; the start line', async () => {
    await faults.modelError(931, {root: lab.root})
    const file = path.join(lab.root, 'events-alerts.jsonl')
    const port = 26_000 + Math.floor(Math.random() * 6_000) // this file's metrics ports: 26000-31999 (watch has 20000-25999)
    const w = watch([
      '--interval',
      '2s',
      '--scans',
      '9',
      '--events',
      file,
      '--webhook',
      hookUrl,
      '--webhook-format',
      'slack',
      '--metrics-port',
      String(port),
      '--instances',
      '931',
    ])
    try {
      // Counters at 0 before their first event, every series labelled gateway (not Prometheus' own instance).
      const text = await until('the first scrape', async () => {
        try {
          return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
        } catch {
          return null
        }
      })
      expect(text).toContain('openclaw_fleet_heals_total{gateway="oc931",action="clear"} 0')
      expect(text).toContain('openclaw_fleet_heals_total{gateway="oc931",action="end-holder"} 0')
      expect(text).toContain('openclaw_fleet_restarts_total{gateway="oc931"} 0')
      expect(text).not.toContain('instance=')
      const health = await fetch(`http://127.0.0.1:${port}/healthz`)
      expect(health.status).toBe(200)
      expect(await health.text()).toBe('ok\n')
      expect(
        await until(
          'a lock gauge',
          async () => /openclaw_fleet_locks\{gateway="oc931",verdict="stale"\} 0/.test(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
          20_000,
        ),
      ).toBe(true)

      const open = await until('the open alert', () => events(file).find((e) => e.event === 'alert' && e.state === 'open'), 60_000)
      expect(open).toMatchObject({instance: 'oc931', reason: 'ping-failed', episode: expect.stringMatching(/^oc931-ping-failed-/)})
      await faults.setControl(931, 'model-error', null, {root: lab.root})
      const r = await w
      expect(r.exitCode, r.stderr).toBe(0)

      const all = events(file)
      const scans = all.filter((e) => e.event === 'scan' && e.reason === 'interval').length
      const alerts = all.filter((e) => e.event === 'alert')
      expect(scans).toBe(9)
      // Seen before the fix: one alert per scan. Now: one per episode.
      expect(alerts.map((e) => `${e.state}:${e.reason}`)).toEqual(['open:ping-failed', 'resolved:ping-failed'])
      expect(alerts[1]).toMatchObject({episode: open.episode, since: open.since, durationMs: expect.any(Number)})
      expect(alerts[1].durationMs).toBeGreaterThan(0)

      // The start line: as the first event, and, for people, the first line of the view (stdout, piped: plain lines).
      expect(all[0]).toMatchObject({
        event: 'watch-start',
        config,
        metricsUrl: `http://127.0.0.1:${port}/metrics`,
        incidentDir: path.join(lab.root, 'incidents'),
      })
      const line = r.stdout.split('\n').filter((l) => l.startsWith('fleet watch:'))
      expect(line).toHaveLength(1)
      expect(line[0]).toContain(`config ${config}`)
      expect(line[0]).toContain(`metrics http://127.0.0.1:${port}/metrics`)

      // Slack bodies: {"text": one line}, the open and the resolved alert.
      await until('the webhook deliveries', () => hook.bodies.filter((b) => /alert (open|resolved)/.test(b.text ?? '')).length >= 2, 15_000)
      for (const b of hook.bodies) expect(Object.keys(b)).toEqual(['text'])
      expect(hook.bodies.filter((b) => /^fleet watch: oc931 alert open \(ping-failed\)/.test(b.text))).toHaveLength(1)
      expect(hook.bodies.filter((b) => /^fleet watch: oc931 alert resolved \(ping-failed\) after \d+s/.test(b.text))).toHaveLength(1)
    } finally {
      w.kill('SIGKILL')
    }
  }, 240_000)

  it('FLEET_WATCH_* variables set the flags, a flag beats its variable, a bad value exits 2 naming it', async () => {
    const file = path.join(lab.root, 'events-env.jsonl')
    const r = await watch(['--instances', '932'], {
      FLEET_WATCH_INTERVAL: '1s',
      FLEET_WATCH_SCANS: '2',
      FLEET_WATCH_PING: 'false',
      FLEET_WATCH_REPORT_ONLY: 'true',
      FLEET_WATCH_EVENTS: file,
    })
    expect(r.exitCode, r.stderr).toBe(0)
    expect(events(file)[0]).toMatchObject({event: 'watch-start', intervalMs: 1000, reportOnly: true, metricsUrl: null})
    expect(events(file).filter((e) => e.event === 'scan')).toHaveLength(2)

    const flagWins = await watch(['--instances', '932', '--interval', '3s', '--scans', '1', '--no-ping', '--report-only', '--json'], {
      FLEET_WATCH_INTERVAL: '1s',
      FLEET_WATCH_SCANS: '5',
    })
    expect(flagWins.exitCode, flagWins.stderr).toBe(0)
    expect(JSON.parse(flagWins.stdout.split('\n')[0])).toMatchObject({event: 'watch-start', intervalMs: 3000})

    for (const [name, value] of [
      ['FLEET_WATCH_INTERVAL', 'banana'],
      ['FLEET_WATCH_AUTO_RESTART', 'maybe'],
      ['FLEET_WATCH_MAX_ATTEMPTS', 'lots'],
      ['FLEET_WATCH_METRICS_PORT', '99999'],
      ['FLEET_WATCH_WEBHOOK', 'ftp://x'],
      ['FLEET_WATCH_METRICS_HOST', 'metrics.example'],
      ['FLEET_WATCH_WEBHOOK_FORMAT', 'teams'],
    ]) {
      const bad = await watch(['--instances', '932', '--scans', '1', '--no-ping', '--report-only'], {[name]: value})
      expect(bad.exitCode, `${name}=${value}: ${bad.stderr}`).toBe(2)
      expect(bad.stderr).toContain(name)
      expect(bad.stdout).toBe('')
    }
    const host = await watch(['--instances', '932', '--scans', '1', '--metrics-port', '9', '--metrics-host', '127.0.0.1:9464'])
    expect(host.exitCode).toBe(2)
    expect(host.stderr).toContain('--metrics-host')
  }, 120_000)

  it('a container in its start period is reported but not acted on', async () => {
    const a = await faults.deadPid(932, {root: lab.root})
    const file = path.join(lab.root, 'events-start.jsonl')
    const r = await watch(['--instances', '932', '--interval', '1s', '--scans', '3', '--no-ping', '--start-period', '1h', '--events', file])
    expect(r.exitCode, r.stderr).toBe(0)
    expect(existsSync(a.hostLockPath)).toBe(true)
    const all = events(file)
    expect(all.filter((e) => e.event === 'scan')).toHaveLength(3)
    expect(all.filter((e) => e.event === 'scan').every((e) => e.instances[0].instance === 'oc932')).toBe(true)
    expect(all.some((e) => ['lock-seen', 'lock-cleared', 'alert'].includes(e.event))).toBe(false)
  }, 120_000)
})

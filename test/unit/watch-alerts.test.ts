import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {alertEpisodes, decide, freshMemory, inStartPeriod, type AlertReason, type Condition, type WatchPolicy} from '../../src/decide/watch.js'
import {eventSummary, webhookBody} from '../../src/watch/events.js'
import {Metrics, metricsHostProblem, metricsUrl, zeroWatchCounters} from '../../src/watch/metrics.js'
import {checkWatchEnv, flagLabel} from '../../src/config/watch-env.js'
import {instanceStatus} from '../helpers/status.js'

const policy: WatchPolicy = {reportOnly: false, autoRestart: true, maxAttempts: 2, cooldownMs: 1000, recoverAfterMs: 600_000}
const REASONS: AlertReason[] = ['hung', 'conflict', 'ping-failed', 'not-running']

/**
 * Runs alertEpisodes over scans 1 s apart (each a string of reason initials h, c, p, n; `-`: not healthy without a
 * reason of its own, e.g. a stale lock; ``: healthy) and returns "open:hung" etc. per scan.
 */
function episodes(scans: string[], recoveryMs = 2000): string[][] {
  let open = new Map()
  return scans.map((scan, i) => {
    const conditions = [...scan].filter((ch) => ch !== '-').map((ch) => ({reason: REASONS.find((r) => r[0] === ch) as AlertReason, detail: `d${i}`}))
    const r = alertEpisodes('oc1', conditions, open, (i + 1) * 1000, scan === '', recoveryMs)
    open = r.episodes
    return r.alerts.map((a) => `${a.state}:${a.reason}`)
  })
}

describe('alert episodes', () => {
  it.each([
    ['a reason that persists opens once', ['h', 'h', 'h'], [['open:hung'], [], []]],
    [
      'it resolves once the instance has been healthy for the recovery period (2 s here)',
      ['h', 'h', '', '', '', ''],
      [['open:hung'], [], [], [], ['resolved:hung'], []],
    ],
    [
      'a crash loop (not running, a short running window, not running ...) is one episode',
      ['n', '', 'n', '', 'n', '', '', ''],
      [['open:not-running'], [], [], [], [], [], [], ['resolved:not-running']],
    ],
    [
      'a reason back during the recovery continues the same episode',
      ['p', '', 'p', '', '', ''],
      [['open:ping-failed'], [], [], [], [], ['resolved:ping-failed']],
    ],
    ['not healthy for another cause (a stale lock) keeps it open', ['h', '-', '-', '', '', ''], [['open:hung'], [], [], [], [], ['resolved:hung']]],
    [
      'reasons open independently and resolve once the instance is healthy',
      ['h', 'hp', 'p', '', '', ''],
      [['open:hung'], ['open:ping-failed'], [], [], [], ['resolved:hung', 'resolved:ping-failed']],
    ],
    ['a new episode after a resolve', ['p', '', '', '', 'p'], [['open:ping-failed'], [], [], ['resolved:ping-failed'], ['open:ping-failed']]],
    ['two hung locks are one episode', ['hh', 'h', '', '', ''], [['open:hung'], [], [], [], ['resolved:hung']]],
    ['nothing, nothing', ['', ''], [[], []]],
  ])('%s', (_name, scans, want) => {
    expect(episodes(scans)).toEqual(want)
  })

  it('recovery 0 resolves on the first healthy scan without the reason (the old rule, which a crash loop fooled)', () => {
    expect(episodes(['n', '', 'n', ''], 0)).toEqual([['open:not-running'], ['resolved:not-running'], ['open:not-running'], ['resolved:not-running']])
  })

  it('a container that restarted between two healthy scans (a crash loop seen only in its running windows, scans sparse) starts the recovery over', () => {
    let open = alertEpisodes('oc1', [{reason: 'not-running', detail: 'restarting'}], new Map(), 0, false, 30_000).episodes
    const got: number[] = []
    for (const [i, incarnation] of ['a', 'b', 'c', 'd'].entries()) {
      const r = alertEpisodes('oc1', [], open, (i + 1) * 40_000, true, 30_000, incarnation)
      open = r.episodes
      got.push(r.alerts.length)
    }
    expect(got).toEqual([0, 0, 0, 0])
    // The same incarnation healthy 40 s later: recovered.
    expect(alertEpisodes('oc1', [], open, 200_000, true, 30_000, 'd').alerts.map((a) => `${a.state}:${a.reason}`)).toEqual(['resolved:not-running'])
  })

  it('the open and the resolved alert name the same episode; resolved carries the duration (until healthy again), when it was healthy again, and the opening detail', () => {
    const o = alertEpisodes('oc1', [{reason: 'hung', detail: 'held 700s'}], new Map(), 10_000, false, 60_000)
    const same = alertEpisodes('oc1', [{reason: 'hung', detail: 'held 710s'}], o.episodes, 20_000, false, 60_000)
    const healthy = alertEpisodes('oc1', [], same.episodes, 40_000, true, 60_000)
    expect(healthy.alerts).toEqual([])
    const r = alertEpisodes('oc1', [], healthy.episodes, 100_000, true, 60_000)
    expect(o.alerts).toEqual([{type: 'alert', state: 'open', reason: 'hung', detail: 'held 700s', episode: 'oc1-hung-7ps', since: '1970-01-01T00:00:10.000Z'}])
    expect(r.alerts).toEqual([
      {
        type: 'alert',
        state: 'resolved',
        reason: 'hung',
        detail: 'held 700s',
        episode: 'oc1-hung-7ps',
        since: '1970-01-01T00:00:10.000Z',
        durationMs: 30_000,
        healthySince: '1970-01-01T00:00:40.000Z',
      },
    ])
    expect(r.episodes.size).toBe(0)
  })

  /** A scan for the properties: its reasons, and whether the instance was healthy (never with a reason present). */
  const scanArb = fc.record({reasons: fc.subarray(REASONS), otherwiseHealthy: fc.boolean(), gap: fc.integer({min: 1, max: 90_000})})

  it('property: per reason, opens and resolves alternate (open first); an open episode at the end iff not resolved; no resolve before the instance was healthy, without the reason, on every scan for the recovery period', () => {
    fc.assert(
      fc.property(fc.array(scanArb, {maxLength: 60}), fc.integer({min: 0, max: 300_000}), (scans, recoveryMs) => {
        let open = new Map()
        let now = 0
        const seq = new Map<AlertReason, string[]>(REASONS.map((r) => [r, []]))
        const times: number[] = []
        const healthy: boolean[] = []
        scans.forEach((sc, i) => {
          now += sc.gap
          times.push(now)
          healthy.push(sc.reasons.length === 0 && sc.otherwiseHealthy)
          const r = alertEpisodes(
            'oc1',
            sc.reasons.map((reason): Condition => ({reason, detail: ''})),
            open,
            now,
            healthy[i],
            recoveryMs,
          )
          open = r.episodes
          for (const a of r.alerts) {
            seq.get(a.reason)?.push(a.state)
            if (a.state === 'resolved') {
              // The healthy run that ends here started recoveryMs or more ago.
              let j = i
              while (j > 0 && healthy[j - 1]) j--
              expect(healthy[i]).toBe(true)
              expect(now - times[j]).toBeGreaterThanOrEqual(recoveryMs)
              expect(Date.parse(a.healthySince)).toBeGreaterThanOrEqual(times[j])
            }
          }
        })
        for (const [reason, states] of seq) {
          states.forEach((st, i) => expect(st).toBe(i % 2 === 0 ? 'open' : 'resolved'))
          expect(states.length).toBeLessThanOrEqual(scans.length)
          expect(states.length % 2 === 1).toBe(open.has(reason))
          if (scans.length > 0 && scans.at(-1)?.reasons.includes(reason)) expect(open.has(reason)).toBe(true)
        }
      }),
      {numRuns: 2000},
    )
  })

  it('property: an outage with no healthy stretch as long as the recovery period (a crash loop with short running windows) is one episode per reason, never resolved', () => {
    const recoveryMs = 120_000
    fc.assert(
      fc.property(fc.array(fc.record({down: fc.boolean(), gap: fc.integer({min: 1, max: 30_000})}), {minLength: 1, maxLength: 80}), (scans) => {
        let open = new Map()
        let now = 0
        let lastDown = -Infinity
        const alerts: string[] = []
        // The first scan is down: the loop has begun.
        scans[0].down = true
        for (const sc of scans) {
          now += sc.gap
          if (sc.down) lastDown = now
          // A running window shorter than the recovery period since the last down scan: the loop goes on.
          if (!sc.down && now - lastDown >= recoveryMs) break
          const r = alertEpisodes('oc1', sc.down ? [{reason: 'not-running', detail: 'restarting'}] : [], open, now, !sc.down, recoveryMs)
          open = r.episodes
          alerts.push(...r.alerts.map((a) => a.state))
        }
        expect(alerts).toEqual(['open'])
      }),
      {numRuns: 2000},
    )
  })

  it('decide: a stopped container alerts open once over several scans, resolved once it has run for the recovery period', () => {
    const p = {...policy, autoRestart: false, alertRecoveryMs: 2000}
    let mem = freshMemory()
    const alerts: string[] = []
    for (const [i, state] of ['exited', 'exited', 'running', 'exited', 'running', 'running', 'running', 'running'].entries()) {
      const r = decide(instanceStatus([], {state, ok: state === 'running'}), null, mem, p, i * 1000)
      mem = r.next
      for (const a of r.actions) if (a.type === 'alert') alerts.push(`${i}:${a.state}:${a.reason}`)
    }
    expect(alerts).toEqual(['0:open:not-running', '6:resolved:not-running'])
  })

  it('decide: a container in its start period starts the recovery over (it proves nothing yet)', () => {
    const p = {...policy, autoRestart: false, alertRecoveryMs: 2000, startPeriodMs: 1500}
    let mem = decide(instanceStatus([], {state: 'exited', ok: false}), null, freshMemory(), p, 0).next
    mem = decide(instanceStatus([], {state: 'running', ok: true, startedAt: new Date(0).toISOString()}), null, mem, p, 2000).next
    expect(mem.episodes.get('not-running')?.healthySince).toBe(2000)
    // Restarted at 2500: its start period, then healthy again from 4000.
    mem = decide(instanceStatus([], {state: 'running', ok: true, startedAt: new Date(2500).toISOString()}), null, mem, p, 3000).next
    expect(mem.episodes.get('not-running')?.healthySince).toBeNull()
    const r = decide(instanceStatus([], {state: 'running', ok: true, startedAt: new Date(2500).toISOString()}), null, mem, p, 4100)
    expect(r.actions).toEqual([])
    expect(decide(instanceStatus([], {state: 'running', ok: true, startedAt: new Date(2500).toISOString()}), null, r.next, p, 6100).actions).toEqual([
      expect.objectContaining({type: 'alert', state: 'resolved', reason: 'not-running'}),
    ])
  })
})

describe('start period', () => {
  const started = (ago: number, now = 1_000_000) => ({state: 'running', startedAt: new Date(now - ago).toISOString()})
  it.each([
    ['started 10s ago, period 60s', started(10_000), 60_000, true],
    ['started 60s ago, period 60s: judged', started(60_000), 60_000, false],
    ['period 0 (the default): judged at once', started(0), 0, false],
    ['not running: judged (a stopped container is not starting)', {state: 'exited', startedAt: new Date(999_000).toISOString()}, 60_000, false],
    ['start time unknown: judged', {state: 'running', startedAt: null}, 60_000, false],
    ['start time unreadable: judged', {state: 'running', startedAt: 'soon'}, 60_000, false],
  ] as const)('%s', (_name, s, period, want) => {
    expect(inStartPeriod(s, period, 1_000_000)).toBe(want)
  })

  it('decide: in its start period nothing is done (no clear, no restart, no alert) and no earlier sighting counts', () => {
    const now = 1_000_000
    const fresh = instanceStatus([], {state: 'running', ok: true, startedAt: new Date(now - 5000).toISOString()})
    const mem = {...freshMemory(), pingFailures: 5, seen: new Map([['/s/a.lock', {verdict: 'stale', raw: null}]])}
    const r = decide(fresh, false, mem, {...policy, startPeriodMs: 30_000}, now)
    expect(r.actions).toEqual([{type: 'starting', until: now + 25_000}])
    expect(r.next).toMatchObject({pingFailures: 0, healthySince: null, attempts: 0})
    expect(r.next.seen.size).toBe(0)
    // After the start period the same container is judged: a failing ping counts from 1 again.
    expect(decide(fresh, false, r.next, {...policy, startPeriodMs: 30_000}, now + 25_000).next.pingFailures).toBe(1)
  })
})

describe('webhook bodies', () => {
  const alert = {
    ts: 't',
    instance: 'oc7',
    event: 'alert',
    state: 'resolved',
    reason: 'hung',
    detail: '/s/a.lock held 700s by pid 26',
    episode: 'oc7-hung-1',
    durationMs: 42_000,
  }
  it('json is the event; slack is {"text": one line}', () => {
    expect(JSON.parse(webhookBody(alert))).toEqual(alert)
    expect(JSON.parse(webhookBody(alert, 'slack'))).toEqual({text: 'fleet watch: oc7 alert resolved (hung) after 42s: /s/a.lock held 700s by pid 26'})
    expect(eventSummary({event: 'lock-cleared', instance: 'oc7', path: '/s/a.lock'})).toBe('fleet watch: oc7 lock-cleared: /s/a.lock')
    expect(eventSummary({event: 'restart', instance: 'oc7', reason: 'hung lock'})).toBe('fleet watch: oc7 restart: hung lock')
    expect(eventSummary({event: 'watch-stop'})).toBe('fleet watch: watch-stop')
  })
  it('the start line', () => {
    expect(
      eventSummary({
        event: 'watch-start',
        instances: ['oc7', 'oc8'],
        intervalMs: 30_000,
        reportOnly: false,
        autoRestart: true,
        config: '/f.yml',
        metricsUrl: null,
        incidentDir: '/i',
      }),
    ).toBe('fleet watch: 2 instance(s) (oc7, oc8) every 30s, auto-restart; config /f.yml; metrics off; incidents /i')
  })
})

describe('metrics', () => {
  it('counters are exported at 0 for every gateway and action before their first event, labelled gateway', () => {
    const m = new Metrics()
    zeroWatchCounters(m, ['oc7'])
    m.inc('openclaw_fleet_heals_total', 'x', {gateway: 'oc7', action: 'clear'})
    zeroWatchCounters(m, ['oc7'])
    const t = m.render()
    expect(t).toContain('openclaw_fleet_scans_total 0\n')
    expect(t).toContain('openclaw_fleet_heals_total{gateway="oc7",action="clear"} 1\n')
    expect(t).toContain('openclaw_fleet_heals_total{gateway="oc7",action="end-holder"} 0\n')
    expect(t).toContain('openclaw_fleet_restarts_total{gateway="oc7"} 0\n')
    expect(t).not.toContain('instance=')
  })
  it.each([
    ['127.0.0.1', null],
    ['0.0.0.0', null],
    ['::1', null],
    ['localhost', null],
    ['example.com', 'expected an IP address'],
    ['127.0.0.1:9464', 'expected an IP address'],
    ['', 'expected an IP address'],
  ])('--metrics-host %j', (host, want) => {
    const p = metricsHostProblem(host)
    if (want === null) expect(p).toBeNull()
    else expect(p).toContain(want)
  })
  it('the metrics URL', () => {
    expect(metricsUrl('127.0.0.1', 9464)).toBe('http://127.0.0.1:9464/metrics')
    expect(metricsUrl('::1', 9464)).toBe('http://[::1]:9464/metrics')
  })
})

describe('environment variables', () => {
  const kinds = {
    ping: {kind: 'boolean', allowNo: true},
    'max-attempts': {kind: 'integer', min: 1},
    'webhook-format': {kind: 'enum', options: ['json', 'slack']},
  } as const
  it.each([
    [{FLEET_WATCH_PING: 'false'}, [], null],
    [{FLEET_WATCH_PING: 'YES'}, [], null],
    [{FLEET_WATCH_PING: 'maybe'}, [], 'FLEET_WATCH_PING: expected true or false'],
    [{FLEET_WATCH_PING: 'maybe'}, ['--no-ping'], null],
    [{FLEET_WATCH_MAX_ATTEMPTS: '0'}, [], 'FLEET_WATCH_MAX_ATTEMPTS: expected a whole number of at least 1, got "0"'],
    [{FLEET_WATCH_MAX_ATTEMPTS: 'x'}, ['--max-attempts=2'], null],
    [{FLEET_WATCH_WEBHOOK_FORMAT: 'teams'}, [], 'FLEET_WATCH_WEBHOOK_FORMAT: expected one of json, slack'],
    [{FLEET_WATCH_MAX_ATTEMPTS: ''}, [], null],
  ] as const)('%j %j', (env, argv, want) => {
    const run = () => checkWatchEnv(kinds, argv, env)
    if (want === null) expect(run).not.toThrow()
    else expect(run).toThrow(want)
  })
  it('an error names the variable when the value came from it, else the flag', () => {
    expect(flagLabel('interval', [], {FLEET_WATCH_INTERVAL: 'x'})).toBe('FLEET_WATCH_INTERVAL')
    expect(flagLabel('interval', ['--interval', 'x'], {FLEET_WATCH_INTERVAL: 'y'})).toBe('--interval')
    expect(flagLabel('interval', [], {})).toBe('--interval')
  })
})

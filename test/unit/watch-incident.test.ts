import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {loadFleet} from '../../src/config/load.js'
import {buildReport} from '../../src/incidents/document.js'
import {parseRunDir, type IncidentEvent, type RunDir} from '../../src/incidents/dirs.js'
import {loadList} from '../../src/incidents/store.js'
import {healedCell} from '../../src/report/incidents.js'
import {EventSink} from '../../src/watch/events.js'
import {IncidentLog} from '../../src/incidents/log.js'
import {Metrics} from '../../src/watch/metrics.js'
import {Watcher} from '../../src/watch/watch.js'
import {restartEvidence, watchRunEnd} from '../../src/decide/watch.js'
import {instanceStatus, lockReport} from '../helpers/status.js'

const made: string[] = []
afterAll(() => {
  for (const d of made) rmSync(d, {recursive: true, force: true})
})
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'fleet-watch-incident-'))
  made.push(d)
  return d
}

/** A watch of no instance (nothing to observe: no Docker needed) whose incident log exists already (it acted). */
async function watchThatActed(settings: {scans: number}, during?: (w: Watcher) => void) {
  const dir = tmp()
  writeFileSync(path.join(dir, 'fleet.config.yml'), `instances: 7\ndataDir: d/{id}\n`)
  const fleet = await loadFleet({configPath: path.join(dir, 'fleet.config.yml'), env: {}})
  const base = path.join(dir, 'incidents')
  const log = new IncidentLog(base, 'watch-0a1b2c3d')
  // As a clear or a restart does: the run's dir is made and what waited in memory is written.
  log.write('intent', {instance: 'oc7', action: 'delete-lock', target: '/s/a.jsonl.lock'})
  log.write('action', {instance: 'oc7', type: 'delete-lock', target: '/s/a.jsonl.lock', outcome: 'removed'})
  const events: string[] = []
  const w = new Watcher(
    fleet,
    [],
    {
      intervalMs: 10,
      react: false,
      ping: false,
      scans: settings.scans,
      waitTimeoutMs: 1000,
      reportOnly: false,
      autoRestart: false,
      maxAttempts: 1,
      cooldownMs: 0,
      recoverAfterMs: 1,
    },
    new EventSink({stdout: (l) => events.push(l)}),
    log,
    new Metrics(),
  )
  const running = w.run()
  during?.(w)
  await running
  return {base, events: events.map((l) => JSON.parse(l) as {event: string})}
}

describe('a watch in the incident list', () => {
  it('a watch that reached its --scans is complete, listed `stopped (scans)`, not `incomplete`', async () => {
    const {base} = await watchThatActed({scans: 2})
    const [run] = loadList(base).runs
    // Seen before: no run-end, so `incomplete`, like a run killed mid-way.
    expect(run).toMatchObject({kind: 'watch', complete: true, interrupted: null, stopped: 'scans'})
    expect(healedCell(run)).toBe('stopped (scans)')
  })

  it('a watch stopped by SIGTERM is complete, listed `stopped (SIGTERM)`; a second signal is an interruption', async () => {
    const {base, events} = await watchThatActed({scans: 0}, (w) => setTimeout(() => w.stop('SIGTERM'), 30))
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['watch-stopping', 'watch-stop']))
    const [run] = loadList(base).runs
    expect(run).toMatchObject({complete: true, interrupted: null, stopped: 'SIGTERM'})
    expect(healedCell(run)).toBe('stopped (SIGTERM)')
    expect(watchRunEnd({scans: 3, stoppedBy: 'SIGINT', forcedBy: 'SIGINT'})).toMatchObject({interrupted: 'SIGINT', forced: 'SIGINT'})
  })
})

describe('the cause of a watch restart', () => {
  const run = parseRunDir('2026-12-04T12-00-00-000Z-watch-0a1b2c3d') as RunDir
  const at = (s: number) => new Date(Date.parse('2026-12-04T12:00:00.000Z') + s * 1000).toISOString()
  const restartRecords = (start: number): IncidentEvent[] => [
    {ts: at(start), run: run.runId, event: 'intent', instance: 'oc7', action: 'restart', target: 'g: s'},
    {ts: at(start + 5), run: run.runId, event: 'action', instance: 'oc7', type: 'restart', target: 'g: s', outcome: 'done', durationMs: 5000},
  ]
  const evidence = (records: {event: string; data: Record<string, unknown>}[], t: number): IncidentEvent[] =>
    records.map((r) => ({ts: at(t), run: run.runId, event: r.event, ...r.data}) as IncidentEvent)

  it('a hung holder restarted by watch is reported frozen-gateway, not unknown', () => {
    const hung = instanceStatus([lockReport('hung', 0, {reasons: ['hold-exceeded']})], {name: 'oc7'})
    // Seen before: the restart's records alone, and the report said `Primary cause: unknown`.
    expect(buildReport(run, '/d', restartRecords(1)).cause.primary).toBe('unknown')
    const events = [...evidence(restartEvidence(hung, 'hung lock holder', null), 0), ...restartRecords(1)]
    expect(buildReport(run, '/d', events).cause).toMatchObject({primary: 'frozen-gateway', all: [{cause: 'frozen-gateway', locks: ['/d/s0.jsonl.lock']}]})
  })

  it('a restart for a failing ping is unresponsive-gateway, and the outage lasts until the first passing ping after it', () => {
    const st = instanceStatus([], {name: 'oc7'})
    const failed = {ok: false, failure: 'timeout', reply: null, latencyMs: 60_000, detail: 'no reply'}
    const events = [
      ...evidence(restartEvidence(st, 'ping still fails (timeout)', failed), 0),
      ...restartRecords(1),
      {ts: at(40), run: run.runId, event: 'ping', instance: 'oc7', ok: true, reply: 'SPEED_OK', latencyMs: 400} as IncidentEvent,
    ]
    const r = buildReport(run, '/d', events)
    expect(r.cause.primary).toBe('unresponsive-gateway')
    expect(r.impact.to).toBe(at(40))
    // A passing ping is no cause: only a failed one is written before a restart.
    expect(restartEvidence(st, 'container exited', {ok: true}).map((x) => x.event)).toEqual(['restart-reason'])
  })
})

import {describe, expect, it} from 'vitest'
import {renderUpgrade} from '../../src/report/upgrade.js'
import {renderReportMarkdown} from '../../src/report/incidents.js'
import {buildReport, summarise} from '../../src/incidents/document.js'
import {parseRunDir} from '../../src/incidents/dirs.js'
import {instanceLine, upgradeExitCode, type UpgradeDocument} from '../../src/upgrade/upgrade.js'
import type {InstanceUpgrade} from '../../src/upgrade/instance.js'

const inst = (name: string, outcome: InstanceUpgrade['outcome'], extra: Partial<InstanceUpgrade> = {}): InstanceUpgrade => ({
  name,
  container: `c-${name}`,
  service: `s-${name}`,
  group: 'g',
  from: {image: 'a:1', version: '2026.9.5'},
  to: {image: 'a:2', version: '2026.9.6'},
  location: 'OPENCLAW_IMAGE in .env',
  notes: [],
  outcome,
  failure: null,
  steps: [],
  drainMs: 1000,
  downtimeMs: 20_000,
  migration: 'none',
  stopEnd: null,
  backup: null,
  rollback: null,
  ...extra,
})
const doc = (instances: InstanceUpgrade[], extra: Partial<UpgradeDocument> = {}): UpgradeDocument => ({
  ok: true,
  dryRun: false,
  image: 'a:2',
  runId: 'upgrade-x',
  incidentDir: null,
  batches: [
    {label: 'canary', instances: ['oc7'], outcome: 'done'},
    {label: 'g', instances: ['oc8', 'oc9'], outcome: 'done'},
  ],
  instances,
  stoppedAt: null,
  interrupted: null,
  summary: {upgraded: 0, skipped: 0, 'gave-up': 0, 'rolled-back': 0, failed: 0, planned: 0, 'not-started': 0},
  durationMs: 1,
  ...extra,
})

describe('renderUpgrade and the exit code', () => {
  it('an instance line says the versions and the outcome, and why not', () => {
    expect(instanceLine(inst('oc7', 'upgraded'))).toBe('oc7: 2026.9.5 -> 2026.9.6 upgraded')
    expect(instanceLine(inst('oc7', 'gave-up', {failure: 'the drain did not end'}))).toBe('oc7: 2026.9.5 -> 2026.9.6 gave-up: the drain did not end')
  })
  it('a stopped rollout names where, and the instances never started', () => {
    const d = doc([inst('oc7', 'rolled-back', {failure: 'the gateway will not serve: crash-loop'})], {ok: false, stoppedAt: 'oc7 (canary): crash-loop'})
    const text = renderUpgrade(d)
    expect(text).toContain('stopped at oc7 (canary)')
    expect(text).toContain('not started: oc8, oc9')
    expect(upgradeExitCode(d)).toBe(1)
  })
  it('a dry run says nothing was changed', () => expect(renderUpgrade(doc([inst('oc7', 'planned')], {dryRun: true}))).toContain('dry run: nothing was changed'))
  it('drift after a shared variable was put back is a warning', () => {
    const d = doc([
      inst('oc8', 'rolled-back', {
        rollback: {restoreFile: true, restoreState: true, recreate: true, why: '', outcome: 'answering', detail: '', drift: ['oc7 runs a:2, but …']},
      }),
    ])
    expect(renderUpgrade(d)).toContain('warning: oc7 runs a:2')
  })
  // [case, ok, interrupted, exit]
  const EXITS: [string, boolean, string | null, number][] = [
    ['all on the image', true, null, 0],
    ['stopped', false, null, 1],
    ['SIGINT', true, 'SIGINT', 130],
    ['SIGTERM after a failure', false, 'SIGTERM', 143],
  ]
  it.each(EXITS)('exit: %s', (_c, ok, interrupted, code) => expect(upgradeExitCode({ok, interrupted})).toBe(code))
})

describe('an upgrade run in fleet incidents', () => {
  it('its dir is listed as an upgrade run', () => {
    expect(parseRunDir('2026-12-04T17-13-17-958Z-upgrade-84dd0bbc')).toMatchObject({runId: 'upgrade-84dd0bbc', kind: 'upgrade'})
    expect(parseRunDir('2026-12-04T17-13-17-958Z-upgrade-84dd0bb')).toBeNull()
  })
  it('the report has the upgrade table: versions, drain, downtime, migration, the gate result and the rollback', () => {
    const run = parseRunDir('2026-12-04T17-13-17-958Z-upgrade-84dd0bbc')!
    const at = (s: number) => new Date(Date.parse('2026-12-04T17:13:18Z') + s * 1000).toISOString()
    const events = [
      {ts: at(0), run: run.runId, event: 'run-start', command: 'upgrade', image: 'oc:2'},
      {ts: at(1), run: run.runId, event: 'intent', action: 'upgrade', target: 'oc:2', instance: 'oc7'},
      {
        ts: at(40),
        run: run.runId,
        event: 'action',
        type: 'upgrade',
        target: 'oc:2',
        instance: 'oc7',
        outcome: 'upgraded',
        from: {version: '2026.9.5'},
        to: {version: '2026.9.6'},
        drainMs: 1200,
        downtimeMs: 31_000,
        migration: 'none',
        stopEnd: 'clean_stop',
      },
      {ts: at(41), run: run.runId, event: 'intent', action: 'upgrade', target: 'oc:2', instance: 'oc8'},
      {
        ts: at(90),
        run: run.runId,
        event: 'action',
        type: 'upgrade',
        target: 'oc:2',
        instance: 'oc8',
        outcome: 'rolled-back',
        failure: 'ping: FAIL timeout',
        from: {version: '2026.9.5'},
        to: {version: '2026.9.6'},
        rollback: {outcome: 'answering', detail: 'state restored', drift: ['oc7 runs oc:2, but …']},
      },
      {ts: at(91), run: run.runId, event: 'run-end', stoppedAt: 'oc8'},
    ]
    const r = buildReport(run, '/d/x', events)
    expect(r.kind).toBe('upgrade')
    expect(r.unfinished).toEqual([])
    expect(r.upgrade?.map((u) => [u.instance, u.from, u.to, u.outcome])).toEqual([
      ['oc7', '2026.9.5', '2026.9.6', 'upgraded'],
      ['oc8', '2026.9.5', '2026.9.6', 'rolled-back'],
    ])
    expect(summarise(r).healed).toBe(false)
    const md = renderReportMarkdown(r)
    expect(md).toContain('## Upgrade')
    expect(md).toMatch(/\| oc8 \| oc:2 \| 2026\.9\.5 \| 2026\.9\.6 \| rolled-back: ping: FAIL timeout \|/)
    expect(md).toContain('warning: oc7 runs oc:2')
  })
  it('a heal run has no upgrade section', () => {
    const run = parseRunDir('2026-12-04T17-13-17-958Z-84dd0bbc')!
    expect(buildReport(run, '/d/x', [{ts: '2026-12-04T17:13:18Z', run: run.runId, event: 'run-start'}]).upgrade).toBeNull()
  })
})

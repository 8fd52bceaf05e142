import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {renderUpgrade, upgradeProgressLine} from '../../src/report/upgrade.js'
import {upgradeExitCode, type UpgradeDocument} from '../../src/upgrade/upgrade.js'
import type {InstanceUpgrade, UpgradeProgress} from '../../src/upgrade/instance.js'

const outcomes: UpgradeProgress['outcome'][] = ['ok', 'failed', 'planned', 'skipped', 'started']

describe('upgrade progress lines tell the truth', () => {
  it('property: ✖ exactly for a failed step, ✔ exactly for a done one; no escape codes without colour', () => {
    fc.assert(
      fc.property(fc.constantFrom(...outcomes), fc.string(), fc.boolean(), (outcome, detail, color) => {
        const line = upgradeProgressLine({instance: 'oc7', step: 'gate', outcome, detail}, color)
        expect(line.includes('✖')).toBe(outcome === 'failed' || detail.includes('✖'))
        if (outcome === 'failed') expect(line.startsWith('✔') || line.includes('\x1b[32m✔')).toBe(false)
        if (!color) expect(line).not.toMatch(/\x1b/)
      }),
    )
  })
  it('a detail from a container cannot move the cursor', () => {
    expect(upgradeProgressLine({instance: 'oc7', step: 'ping', outcome: 'failed', detail: 'x\x1b[2Jy'}, false)).not.toContain('\x1b')
  })
})

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

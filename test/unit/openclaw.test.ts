import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {smallContextModels} from '../../src/openclaw/models.js'
import {lockBehaviour, parseOpenClawVersion} from '../../src/openclaw/version.js'

describe('OpenClaw versions', () => {
  it('parses the --version line and maps lock behaviour by version', () => {
    const v = parseOpenClawVersion('OpenClaw 2026.4.29 (a448042)')
    expect(v).toMatchObject({year: 2026, minor: 4, patch: 29, commit: 'a448042'})
    expect(lockBehaviour(v!)).toMatchObject({acquireTimeoutMs: 10_000, lockStorage: 'jsonl'})
    expect(lockBehaviour(parseOpenClawVersion('2026.5.3')!)).toMatchObject({acquireTimeoutMs: 60_000, lockStorage: 'jsonl'})
    expect(lockBehaviour(parseOpenClawVersion('OpenClaw 2026.9.6')!)).toMatchObject({lockStorage: 'sqlite', level: 'pass', acquireTimeoutMs: 5_000})
    expect(lockBehaviour(parseOpenClawVersion('OpenClaw 2026.2.1')!).summary).toContain('without starttime')
    expect(parseOpenClawVersion('node v20')).toBeNull()
  })

  it('property: the wait is 10 s before 2026.5, 60 s from it, and the 5 s SQLite busy timeout from 2026.8', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 12}), fc.integer({min: 0, max: 40}), (minor, patch) => {
        const b = lockBehaviour(parseOpenClawVersion(`OpenClaw 2026.${minor}.${patch}`)!)
        expect(b.acquireTimeoutMs).toBe(minor >= 8 ? 5_000 : minor >= 5 ? 60_000 : 10_000)
        expect(b.lockStorage).toBe(minor >= 8 ? 'sqlite' : 'jsonl')
      }),
    )
  })
})

describe('small-context models', () => {
  const config = (fallbacks: string[], windows: Record<string, number>) => ({
    agents: {defaults: {model: {primary: 'google/flash', fallbacks}}, list: [{id: 'ops', model: 'google/tiny'}]},
    models: {providers: {google: {models: Object.entries(windows).map(([id, contextWindow]) => ({id, contextWindow}))}}},
  })

  it('finds fallbacks and agent models below 16000 tokens, as the gateway log reports them', () => {
    const found = smallContextModels(config(['google/gemma-4-31b-it', 'google/big'], {flash: 1_000_000, 'gemma-4-31b-it': 8192, big: 128_000, tiny: 4096}))
    expect(found).toEqual([
      {agent: 'defaults', model: 'google/gemma-4-31b-it', role: 'fallback', contextWindow: 8192},
      {agent: 'ops', model: 'google/tiny', role: 'primary', contextWindow: 4096},
    ])
  })

  it('ignores models without a known window and malformed configs', () => {
    expect(smallContextModels(config(['other/x'], {flash: 1000}))).toEqual([{agent: 'defaults', model: 'google/flash', role: 'primary', contextWindow: 1000}])
    for (const bad of [null, 42, 'x', [], {agents: 5}, {models: {providers: []}}]) expect(smallContextModels(bad)).toEqual([])
  })
})

// Unknown commands: the closest-command suggestion (pure) and the CLI's answer (exit 2, no prompt), in-process;
// test/cli/suggest.test.ts runs the built CLI.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {closestCommand, editDistance} from '../../src/util/suggest.js'
import {fleetInProcess} from '../helpers/in-process.js'

const COMMANDS = ['config', 'status', 'ping', 'heal', 'watch', 'doctor', 'help', 'autocomplete']

describe('editDistance', () => {
  it('is a metric: zero only for equal strings, symmetric, triangle inequality, bounded by the longer length', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 12}), fc.string({maxLength: 12}), fc.string({maxLength: 12}), (a, b, c) => {
        expect(editDistance(a, b) === 0).toBe(a === b)
        expect(editDistance(a, b)).toBe(editDistance(b, a))
        expect(editDistance(a, c)).toBeLessThanOrEqual(editDistance(a, b) + editDistance(b, c))
        expect(editDistance(a, b)).toBeLessThanOrEqual(Math.max(a.length, b.length))
      }),
      {numRuns: 1000},
    )
  })
})

describe('closestCommand', () => {
  it('suggests the command one typo away', () => {
    expect(closestCommand('heel', COMMANDS)).toBe('heal')
    expect(closestCommand('stauts', COMMANDS)).toBe('status')
    expect(closestCommand('pign', COMMANDS)).toBe('ping')
    expect(closestCommand('docter', COMMANDS)).toBe('doctor')
  })

  it('suggests nothing for unrelated words', () => {
    expect(closestCommand('deploy', COMMANDS)).toBeNull()
    expect(closestCommand('rm', COMMANDS)).toBeNull()
  })

  it('any suggestion is a known command within the limit, and a known command suggests itself', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 10}), (typed) => {
        const s = closestCommand(typed, COMMANDS)
        if (s !== null) {
          expect(COMMANDS).toContain(s)
          expect(editDistance(typed.toLowerCase(), s)).toBeLessThanOrEqual(Math.max(2, Math.floor(typed.length / 3)))
        }
      }),
      {numRuns: 2000},
    )
    for (const c of COMMANDS) expect(closestCommand(c, COMMANDS)).toBe(c)
  })
})

describe('fleet <unknown command> (in-process: the command_not_found hook through oclif)', () => {
  it('exits 2 with a suggestion, and runs nothing', async () => {
    const r = await fleetInProcess(['heel', '--instances', '7-11'])
    expect(r.exitCode).toBe(2)
    expect(r.error?.message).toContain('heel is not a fleet command; did you mean `fleet heal`?')
    expect(r.stdout).toBe('')
  })

  it('exits 2 without a suggestion when nothing is close', async () => {
    const r = await fleetInProcess(['deploy'])
    expect(r.exitCode).toBe(2)
    expect(r.error?.message).toContain('deploy is not a fleet command; run `fleet help` for the list')
  })

  it('with --json: the error document on stdout, exit 2', async () => {
    const r = await fleetInProcess(['pign', '--json'])
    expect(r.exitCode).toBe(2)
    expect(JSON.parse(r.stdout)).toEqual({
      error: {code: 'USAGE', message: expect.stringContaining('did you mean `fleet ping`?'), hint: 'fleet ping', exitCode: 2},
    })
  })
})

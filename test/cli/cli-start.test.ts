// bin/run.js answers `fleet --version` without oclif: its line must be exactly the one oclif would print.
import {Config} from '@oclif/core'
import {describe, expect, it} from 'vitest'
import {fleet, REPO} from '../helpers/cli.js'

describe('fleet --version fast path', () => {
  it('prints oclif userAgent line, exit 0', async () => {
    const config = await Config.load(REPO)
    const r = await fleet(['--version'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toBe(config.userAgent)
    expect(r.stdout).toMatch(/^openclaw-fleet\/\d+\.\d+\.\d+ \w+-\w+ node-v\d+/)
  })

  it('other arguments still go through oclif', async () => {
    const r = await fleet(['status', '--help'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain('USAGE')
    const bad = await fleet(['--version', '--bogus'])
    expect(bad.stdout + bad.stderr).not.toBe('')
  })
})

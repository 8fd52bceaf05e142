// dockerode without gRPC/protobuf and ssh2 at load time (src/docker/dockerode.ts): both are stood in for, and a
// stand-in loads and runs the real module on its first call. What a process loads shows only in a fresh one (the unit
// files share their worker processes), so test/helpers/dockerode-load-probe.mjs loads the sources in its own node.
import {execa} from 'execa'
import path from 'node:path'
import {beforeAll, describe, expect, it} from 'vitest'
import {deferred, deferFunctionModule} from '../../src/docker/dockerode.js'
import {REPO} from '../helpers/cli.js'

describe('dockerode loading', () => {
  let seen: Record<string, any>
  beforeAll(async () => {
    const probe = path.join(REPO, 'test', 'helpers', 'dockerode-load-probe.mjs')
    const r = await execa(process.execPath, ['--import', 'tsx', probe, path.join(REPO, 'src', 'docker', 'dockerode.ts')], {cwd: REPO})
    seen = JSON.parse(r.stdout)
  })

  it('stands in for dockerode/lib/session.js and docker-modem/lib/ssh.js; neither gRPC, protobuf nor ssh2 is loaded', () => {
    expect(seen.deferred).toEqual(['dockerode/lib/session.js', 'docker-modem/lib/ssh.js'])
    expect(seen.dockerType).toBe('function')
    expect(seen.modem).toBe(true)
    expect(seen.loadedAtLoad).toEqual([])
  })

  it('the ssh stand-in loads ssh2 on first use and returns what the real module does (an http.Agent)', () => {
    expect(seen.agentIsHttpAgent).toBe(true)
    expect(seen.ssh2AfterFirstUse).toBeGreaterThan(0)
    expect(seen.realModuleNowCached).toBe(true) // the real module now sits in the cache
  })

  it('replaces nothing that is already loaded', () => {
    expect(deferFunctionModule(deferred[0])).toBe(false)
  })
})

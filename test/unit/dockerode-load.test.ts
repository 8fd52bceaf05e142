// dockerode without gRPC/protobuf and ssh2 at load time (src/docker/dockerode.ts): both are stood in for, and a
// stand-in loads and runs the real module on its first call.
import {createRequire} from 'node:module'
import http from 'node:http'
import {describe, expect, it} from 'vitest'
import Docker, {deferred, deferFunctionModule} from '../../src/docker/dockerode.js'

const require = createRequire(import.meta.url)
const loaded = (re: RegExp) => Object.keys(require.cache).filter((k) => re.test(k))

describe('dockerode loading', () => {
  it('stands in for dockerode/lib/session.js and docker-modem/lib/ssh.js; neither gRPC, protobuf nor ssh2 is loaded', () => {
    expect(deferred.map((f) => f.replace(/.*node_modules\//, ''))).toEqual(['dockerode/lib/session.js', 'docker-modem/lib/ssh.js'])
    expect(typeof Docker).toBe('function')
    expect(new Docker({socketPath: '/nonexistent.sock'}).modem).toBeDefined()
    expect(loaded(/@grpc|protobufjs|\/ssh2\//)).toEqual([])
  })

  it('the ssh stand-in loads ssh2 on first use and returns what the real module does (an http.Agent)', () => {
    const ssh = require(deferred[1]) as (opt: object) => unknown
    const agent = ssh({host: '127.0.0.1', port: 1, username: 'nobody'})
    expect(agent).toBeInstanceOf(http.Agent)
    expect(loaded(/\/ssh2\//).length).toBeGreaterThan(0)
    expect(require(deferred[1])).not.toBe(ssh) // the real module now sits in the cache
  })

  it('replaces nothing that is already loaded', () => {
    expect(deferFunctionModule(deferred[0])).toBe(false)
  })
})

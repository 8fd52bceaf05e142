// The SSH transport to Docker hosts (src/docker/ssh.ts sshTransport) against an in-process ssh2 server whose
// sessions answer HTTP as `docker system dial-stdio` would (keep-alive), or never answer (a stalled engine).
import http from 'node:http'
import {createRequire} from 'node:module'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import type * as Ssh2 from 'ssh2'
import {sshTransport} from '../../src/docker/ssh.js'

const here = createRequire(import.meta.url)
const ssh2 = createRequire(here.resolve('docker-modem'))('ssh2') as typeof Ssh2

let server: Ssh2.Server
let port = 0
const seen = {connections: 0, sessions: 0, maxOpenPerConnection: 0}

/** Answers each HTTP request on a channel after `delayMs` (the body: the request's path); `stall` never answers. */
function engine(stream: Ssh2.ServerChannel, command: string, delayMs: number): void {
  if (command === 'stall') return
  let buffer = ''
  stream.on('data', (d: Buffer) => {
    buffer += d.toString('latin1')
    let end: number
    while ((end = buffer.indexOf('\r\n\r\n')) >= 0) {
      const head = buffer.slice(0, end)
      buffer = buffer.slice(end + 4)
      const path = head.split(' ')[1] ?? '/'
      setTimeout(() => stream.write(`HTTP/1.1 200 OK\r\nContent-Length: ${path.length}\r\nConnection: keep-alive\r\n\r\n${path}`), delayMs)
    }
  })
}

beforeAll(async () => {
  const hostKey = ssh2.utils.generateKeyPairSync('ed25519').private
  server = new ssh2.Server({hostKeys: [hostKey]}, (client) => {
    seen.connections++
    let open = 0
    client.on('authentication', (ctx) => ctx.accept())
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept()
        session.on('exec', (acceptExec, _reject, info) => {
          seen.sessions++
          open++
          seen.maxOpenPerConnection = Math.max(seen.maxOpenPerConnection, open)
          const stream = acceptExec()
          stream.on('close', () => open--)
          stream.on('end', () => stream.end())
          engine(stream, info.command, info.command === 'slow' ? 150 : 0)
        })
      })
    })
    client.on('error', () => undefined)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
})

afterAll(() => {
  server?.close()
})

const get = (agent: http.Agent, path: string, timeoutMs?: number) =>
  new Promise<string>((resolve, reject) => {
    const req = http.request({host: '127.0.0.1', port: 1, path, agent}, (res) => {
      let body = ''
      res.on('data', (d) => (body += d))
      res.on('end', () => resolve(body))
      res.on('error', reject)
    })
    if (timeoutMs) {
      req.setTimeout(timeoutMs)
      req.on('timeout', () => req.destroy())
    }
    req.on('error', reject)
    req.end()
  })

const connect = {host: '127.0.0.1', port: 0, username: 'fleet', password: 'x', hostVerifier: () => true}

describe('sshTransport', () => {
  it('serves calls one after another on one connection and one session (HTTP keep-alive over the channel)', async () => {
    const before = {...seen}
    const t = sshTransport({...connect, port}, {timeoutMs: 5000, command: 'fast'})
    for (const p of ['/a', '/b', '/c', '/d']) expect(await get(t.agent, p)).toBe(p)
    expect(seen.connections - before.connections).toBe(1)
    expect(seen.sessions - before.sessions).toBe(1)
    t.close()
    expect(t.stats().connections).toBe(0)
  })

  it('never opens more channels on a connection than allowed: more connections, then calls wait', async () => {
    const before = {...seen}
    seen.maxOpenPerConnection = 0
    const t = sshTransport({...connect, port}, {timeoutMs: 5000, command: 'slow', maxChannels: 3, maxConnections: 2})
    const paths = Array.from({length: 10}, (_, i) => `/${i}`)
    expect(await Promise.all(paths.map((p) => get(t.agent, p)))).toEqual(paths)
    expect(seen.maxOpenPerConnection).toBeLessThanOrEqual(3)
    expect(seen.connections - before.connections).toBe(2)
    t.close()
  })

  it('a call the engine never answers ends at its idle timeout with a clear error; close() ends the connection', async () => {
    const t = sshTransport({...connect, port}, {timeoutMs: 5000, command: 'stall'})
    await expect(get(t.agent, '/never', 200)).rejects.toThrow(/Timed out after 200 ms: no answer from the Docker engine over SSH \(stall\)/)
    expect(t.stats().connections).toBe(1)
    t.close()
    expect(t.stats()).toEqual({connections: 0, open: 0, waiting: 0})
    await expect(get(t.agent, '/after')).rejects.toThrow(/closed/)
  })

  it('a host that never completes the SSH handshake fails each call within timeoutMs', async () => {
    const silent = (await import('node:net')).createServer(() => undefined)
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const t = sshTransport({...connect, port: (silent.address() as AddressInfo).port}, {timeoutMs: 300, command: 'fast'})
    const started = Date.now()
    await expect(get(t.agent, '/x')).rejects.toThrow(/Timed out while waiting for handshake/)
    expect(Date.now() - started).toBeLessThan(5000)
    t.close()
    silent.close()
  })
})

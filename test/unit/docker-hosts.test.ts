import {createHash, createHmac, randomBytes} from 'node:crypto'
import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {dockerOptions, engineCall, sshEndpoint, type DockerHandle, withContext} from '../../src/docker/client.js'
import {resolveContext} from '../../src/docker/context.js'
import {hostCheck, knownKeys} from '../../src/docker/ssh.js'

function contextDir(name: string, host: string, tls: boolean): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-ctx-'))
  const id = createHash('sha256').update(name).digest('hex')
  mkdirSync(path.join(dir, 'contexts', 'meta', id), {recursive: true})
  writeFileSync(
    path.join(dir, 'contexts', 'meta', id, 'meta.json'),
    JSON.stringify({Name: name, Metadata: {}, Endpoints: {docker: {Host: host, SkipTLSVerify: false}}}),
  )
  if (tls) {
    mkdirSync(path.join(dir, 'contexts', 'tls', id, 'docker'), {recursive: true})
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(path.join(dir, 'contexts', 'tls', id, 'docker', f), 'x')
  }
  return dir
}

describe('Docker contexts', () => {
  it('resolves a context name to its endpoint and TLS files, as the docker CLI does', () => {
    const dir = contextDir('prod-b', 'tcp://127.0.0.1:2376', true)
    const ctx = resolveContext('prod-b', {DOCKER_CONFIG: dir})
    expect(ctx).toMatchObject({host: 'tcp://127.0.0.1:2376', skipTlsVerify: false})
    expect(ctx.certPath).toMatch(/contexts\/tls\/[0-9a-f]{64}\/docker$/)
    expect(withContext({host: 'prod-b', timeoutMs: 1}, {DOCKER_CONFIG: dir})).toMatchObject({host: 'tcp://127.0.0.1:2376', certPath: ctx.certPath})
    expect(withContext({timeoutMs: 1}, {DOCKER_CONFIG: dir, DOCKER_CONTEXT: 'prod-b'}).host).toBe('tcp://127.0.0.1:2376')
    expect(withContext({host: 'unix:///x.sock', timeoutMs: 1}, {DOCKER_CONFIG: dir}).host).toBe('unix:///x.sock')
  })

  it('an unknown context is a config error (exit 2)', () => {
    expect(() => resolveContext('nope', {DOCKER_CONFIG: mkdtempSync(path.join(os.tmpdir(), 'fleet-ctx-'))})).toThrow(/Docker context "nope" not found/)
    try {
      resolveContext('nope', {DOCKER_CONFIG: '/nonexistent'})
    } catch (error) {
      expect((error as {exitCode: number}).exitCode).toBe(2)
    }
  })

  it('maps host URLs to dockerode options', () => {
    expect(dockerOptions('unix:///var/run/docker.sock', 5000)).toMatchObject({socketPath: '/var/run/docker.sock'})
    expect(dockerOptions('tcp://127.0.0.1:2375', 5000, {})).toMatchObject({host: '127.0.0.1', port: 2375, protocol: 'http'})
    expect(dockerOptions('tcp://127.0.0.1:2376', 5000, {})).toMatchObject({protocol: 'https'})
    // ssh:// hosts: HTTP (over the SSH transport dockerFor gives them), so the modem builds valid http:// URLs.
    expect(dockerOptions('ssh://ops@127.0.0.1:2222', 5000)).toEqual({protocol: 'http', host: '127.0.0.1', port: 2222, timeout: 5000})
    expect(dockerOptions('ssh://[::1]:2222', 5000)).toMatchObject({protocol: 'http', host: 'localhost', port: 2222})
  })

  it('reads the SSH endpoint of ssh:// hosts (user, host, port 22 by default); other hosts have none', () => {
    expect(sshEndpoint('ssh://ops@127.0.0.1:2222')).toEqual({host: '127.0.0.1', port: 2222, username: 'ops'})
    expect(sshEndpoint('ssh://docker-b.example')).toEqual({host: 'docker-b.example', port: 22})
    expect(sshEndpoint('ssh://root@[::1]:2200')).toEqual({host: '::1', port: 2200, username: 'root'})
    expect(sshEndpoint('ssh://svc%40corp@10.0.0.2')).toEqual({host: '10.0.0.2', port: 22, username: 'svc@corp'})
    expect(sshEndpoint('tcp://127.0.0.1:2375')).toBeNull()
    expect(sshEndpoint('unix:///var/run/docker.sock')).toBeNull()
    expect(() => sshEndpoint('ssh://')).toThrow(/invalid Docker host/)
  })

  it('the URL the modem builds for an ssh:// host is a valid one (no DEP0170 "URL ... is invalid" warning)', async () => {
    const {default: Docker} = await import('../../src/docker/dockerode.js')
    const modem = new Docker(dockerOptions('ssh://root@127.0.0.1:31901', 5000)).modem as unknown as {
      dial: (o: object, cb: () => void) => void
      buildRequest: (options: {path: string; hostname: string; port: string}) => void
    }
    let seen: {path: string; hostname: string; port: string} | undefined
    modem.buildRequest = (options) => (seen = options)
    modem.dial({path: '/containers/json?', method: 'GET', statusCodes: {200: true}, options: {all: true}}, () => undefined)
    expect(seen).toMatchObject({hostname: '127.0.0.1', port: '31901'})
    expect(seen?.path).toMatch(/^\/containers\/json\?all=true$/)
  })
})

describe('known_hosts', () => {
  const key = randomBytes(51)
  const b64 = key.toString('base64')
  it('matches plain and hashed entries, [host]:port for other ports, and skips revoked keys', () => {
    const salt = randomBytes(20)
    const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[127.0.0.1]:2222').digest('base64')}`
    const text = `# comment\n127.0.0.1 ssh-ed25519 AAAAother\n${hashed} ssh-ed25519 ${b64}\n@revoked [127.0.0.1]:2222 ssh-ed25519 AAAArevoked\n`
    expect(knownKeys(text, ['[127.0.0.1]:2222'])).toEqual([{type: 'ssh-ed25519', key: b64}])
    expect(knownKeys(text, ['127.0.0.1'])).toEqual([{type: 'ssh-ed25519', key: 'AAAAother'}])
  })

  it('refuses unknown hosts and changed keys with a reason', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-kh-'))
    const file = path.join(dir, 'known_hosts')
    writeFileSync(file, `[127.0.0.1]:2222 ssh-ed25519 ${b64}\n`)
    const ok = hostCheck('127.0.0.1', 2222, file)
    expect(ok.verify(key)).toBe(true)
    expect(ok.problem()).toBeNull()
    expect(ok.verify(randomBytes(51))).toBe(false)
    expect(ok.problem()).toMatch(/does not match/)
    const unknown = hostCheck('127.0.0.1', 2223, file)
    expect(unknown.verify(key)).toBe(false)
    expect(unknown.problem()).toMatch(/unknown SSH host \[127.0.0.1\]:2223/)
  })
})

describe('engineCall', () => {
  const handle = {label: 'ssh://root@127.0.0.1:2222', timeoutMs: 20} as DockerHandle
  it('gives a call up after its timeout (exit 3), and destroys the stream it returns later: no one will read it', async () => {
    let destroyed = 0
    const late = new Promise<{destroy: () => void}>((resolve) => setTimeout(() => resolve({destroy: () => destroyed++}), 1200))
    await expect(engineCall(handle, 'exec in c', () => late)).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/unreachable \(exec in c\): Timed out after 20 ms/),
    })
    expect(destroyed).toBe(0)
    await late
    await new Promise((r) => setImmediate(r))
    expect(destroyed).toBe(1)
  })

  it('leaves alone what a call returns in time, and errors that are not about the host', async () => {
    let destroyed = 0
    const value = {destroy: () => destroyed++}
    await expect(engineCall(handle, 'x', async () => value)).resolves.toBe(value)
    await expect(engineCall(handle, 'x', async () => Promise.reject(Object.assign(new Error('no such container'), {statusCode: 404})))).rejects.toMatchObject({
      statusCode: 404,
    })
    expect(destroyed).toBe(0)
  })
})

// A fleet split over two Docker engines: group 1 on this machine's engine reached over SSH (an sshd on
// 127.0.0.1 with keys made for the test; host keys checked against known_hosts), group 2 on a second dockerd
// reached over TCP+TLS on 127.0.0.1 with certificates made for the test. status, heal and ping work across
// both; every lock is judged and cleared through the Docker API only (fleet runs with all the data dirs
// hidden behind empty tmpfs mounts); stopping the second engine gives `unreachable` and exit 3 for its
// instances and correct results for the others; an unknown or changed SSH host key is refused at once.
import {execa} from 'execa'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'
import * as engine2 from '../../lab/engine2.mjs'
import * as sshd from '../../lab/sshd.mjs'
import * as faults from '../../lab/faults.mjs'
import {BIN} from '../helpers/cli.js'
import {configVariant, containerName, labDown, labUp, lockFiles, sleep, type Lab} from './helpers.js'

const LOCAL = [471, 472, 473]
const REMOTE = [474, 475, 476]
let lab: Lab & {image?: string}
let e2: {host: string; socket: string; certPath: string}
let e2dir: string
let ssh: {host: string; key: string; knownHosts: string; badKnownHosts: string; emptyKnownHosts: string}
let sshDir: string
let config: string
const injected: Record<string, any> = {}

/** Runs fn with the docker CLI (and the lab's fault helpers) pointed at the second engine. */
async function onEngine2<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.DOCKER_HOST
  process.env.DOCKER_HOST = e2.socket
  try {
    return await fn()
  } finally {
    if (before === undefined) delete process.env.DOCKER_HOST
    else process.env.DOCKER_HOST = before
  }
}

/** fleet with the remote instances' data dirs hidden from it (it must use the Docker API for them). */
function fleetHidden(args: string[], cfg = config) {
  const dirs = [...LOCAL, ...REMOTE].map((id) => path.join(lab.root, 'data', `oc${id}`))
  const script = `for d in ${dirs.map((d) => `"${d}"`).join(' ')}; do mount -t tmpfs tmpfs "$d" || exit 99; done; exec node "$@"`
  return execa('unshare', ['-m', 'sh', '-c', script, 'sh', BIN, ...args, '--config', cfg], {reject: false, env: {CI: 'true'}, stdin: 'ignore'})
}

beforeAll(async () => {
  lab = await labUp(471, 6)
  e2dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-engine2-'))
  e2 = await engine2.start({dir: e2dir, port: 23_000 + Math.floor(Math.random() * 5000)})
  sshDir = mkdtempSync(path.join(os.tmpdir(), 'fleet-sshd-'))
  ssh = await sshd.start({dir: sshDir, port: 28_000 + Math.floor(Math.random() * 5000)})
  await engine2.loadImage(lab.image as string, {socket: e2.socket})
  // Move the second compose group to the second engine: same compose files, same host dirs.
  const group = lab.groups[1]
  await execa('docker', ['rm', '-f', ...REMOTE.map(containerName)])
  await execa('docker-compose', ['-p', 'openclaw', '--env-file', `.env.multi.${group}`, '-f', `docker-compose.${group}.yml`, 'up', '-d'], {
    cwd: path.join(lab.root, 'openclaw'),
    env: {DOCKER_HOST: e2.socket},
  })
  await onEngine2(async () => {
    for (let i = 0; i < 120; i++) {
      const {stdout} = await execa('docker', ['inspect', '--format', '{{.State.Health.Status}}', ...REMOTE.map(containerName)])
      if (stdout.split('\n').every((h) => h === 'healthy')) return
      await sleep(500)
    }
    throw new Error('the second engine group never became healthy')
  })
  config = configVariant(lab, 'fleet.multi.yml', (y) => {
    const doc = YAML.parse(y)
    doc.groups[group].docker = {host: e2.host, certPath: e2.certPath, timeout: '5s'}
    doc.groups[lab.groups[0]].docker = {host: ssh.host, sshKey: ssh.key, knownHosts: ssh.knownHosts, timeout: '10s'}
    doc.heal = {incidentDir: 'incidents'}
    return YAML.stringify(doc)
  })
  const root = lab.root
  injected.local = await faults.deadPid(471, {root})
  injected.remoteDead = await onEngine2(() => faults.deadPid(474, {root}))
  injected.remoteMalformed = await onEngine2(() => faults.malformedLocks(475, {root}))
  await sleep(5_500)
}, 600_000)

afterAll(async () => {
  if (e2dir) {
    await onEngine2(async () => {
      await execa('docker', ['rm', '-f', ...REMOTE.map(containerName)], {reject: false})
    }).catch(() => undefined)
    await engine2.stop({dir: e2dir})
    await engine2.cleanup({dir: e2dir})
  }
  if (sshDir) await sshd.stop({dir: sshDir})
  await labDown(lab)
}, 300_000)

describe('a fleet over two engines (local socket, TCP+TLS)', () => {
  it('status judges both groups; the remote locks through the API only', async () => {
    const r = await fleetHidden(['status', '--json'])
    expect(r.exitCode, r.stderr).toBe(1)
    const doc = JSON.parse(r.stdout)
    const by = (id: number) => doc.instances.find((i: {id: number}) => i.id === id)
    expect(by(471).locks[0]).toMatchObject({verdict: 'stale', pid: injected.local.pid})
    expect(by(474).locks[0]).toMatchObject({verdict: 'stale', pid: injected.remoteDead.pid, path: injected.remoteDead.hostLockPath})
    expect(by(474).locks[0].reasons).toContain('dead-pid')
    expect(by(475).locks.map((l: {verdict: string}) => l.verdict)).toEqual(['stale', 'stale', 'stale', 'stale'])
    for (const id of [...LOCAL, ...REMOTE]) expect(by(id).state).toBe('running')
    expect(doc.unreachable).toEqual([])
  })

  it('an unknown or changed SSH host key is refused at once (exit 3), never prompted for', async () => {
    for (const [file, message] of [
      [ssh.emptyKnownHosts, 'unknown SSH host [127.0.0.1]'],
      [ssh.badKnownHosts, 'does not match'],
    ]) {
      const cfg = path.join(lab.root, `fleet.ssh-${path.basename(file)}.yml`)
      writeFileSync(cfg, readFileSync(config, 'utf8').replace(ssh.knownHosts, file))
      const t0 = Date.now()
      const r = await fleetHidden(['status', '--json', '--instances', '471-473'], cfg)
      expect(Date.now() - t0).toBeLessThan(15_000)
      expect(r.exitCode).toBe(3)
      expect(r.stdout).toContain(message)
    }
  })

  it('heal clears both groups and ping passes across both engines', async () => {
    const heal = await fleetHidden(['heal', '--json'])
    expect(heal.exitCode, heal.stderr).toBe(0)
    const healDoc = JSON.parse(heal.stdout)
    expect(healDoc.summary, JSON.stringify(healDoc.instances ?? healDoc).slice(0, 6000)).toMatchObject({instances: 6, healed: 6, restarted: 0, locksRemoved: 6})
    for (const id of [471, 474, 475]) expect(lockFiles(lab, id)).toEqual([])
    const ping = await fleetHidden(['ping', '--json'])
    expect(ping.exitCode).toBe(0)
    expect(JSON.parse(ping.stdout).summary).toMatchObject({instances: 6, passed: 6})
  })

  it('the second engine stopped: its instances are unreachable (exit 3), the others still judged and pinged', async () => {
    await faults.deadPid(472, {root: lab.root})
    await engine2.stop({dir: e2dir, signal: 'SIGKILL'}) // the host is gone: nothing answers on its port
    const t0 = Date.now()
    const r = await fleetHidden(['status', '--json'])
    expect(Date.now() - t0).toBeLessThan(30_000)
    expect(r.exitCode).toBe(3)
    const doc = JSON.parse(r.stdout)
    const state = Object.fromEntries(doc.instances.map((i: {id: number; state: string}) => [i.id, i.state]))
    expect(state).toEqual({471: 'running', 472: 'running', 473: 'running', 474: 'unreachable', 475: 'unreachable', 476: 'unreachable'})
    expect(doc.instances.find((i: {id: number}) => i.id === 472).locks[0].evidence.container).toBe(containerName(472))
    expect(doc.instances.find((i: {id: number}) => i.id === 472).locks[0].verdict).toBe('stale')
    expect(doc.unreachable).toEqual([e2.host])
    const ping = await fleetHidden(['ping', '--json'])
    expect(ping.exitCode).toBe(3)
    const failures = JSON.parse(ping.stdout).results.map((x: {id: number; failure: string | null}) => [x.id, x.failure])
    expect(failures).toEqual([
      [471, null],
      [472, null],
      [473, null],
      [474, 'host-unreachable'],
      [475, 'host-unreachable'],
      [476, 'host-unreachable'],
    ])
  })
})

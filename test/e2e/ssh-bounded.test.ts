// Every command against an ssh:// Docker host ends within its timeouts, and the process exits (issue 24, item 7):
// - over a working SSH host, `status --json` prints the fleet and the process ends (before, it printed and then
//   never exited: an exec attach that arrived after its call was given up kept its SSH connection open), with no
//   `The URL ssh:… is invalid` warning;
// - a host that accepts TCP and never speaks SSH, and an sshd that logs in but never answers the Docker API
//   (its sessions run `cat`): status, heal --dry-run, ping and doctor end with exit 3 and say why; config
//   --validate, which does not talk to Docker, ends with 0.
// Each run has a guard timeout far above the config's (3 s); a run killed by it has no exit code and fails.
import {mkdtempSync, readFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import YAML from 'yaml'
import * as sshd from '../../lab/sshd.mjs'
import {fleet, type CliResult} from '../helpers/cli.js'
import {configVariant, labDown, labUp, type Lab} from './helpers.js'

const IDS = [1321, 1322, 1323]
const GUARD_MS = 120_000
let lab: Lab
let ssh: {host: string; key: string; knownHosts: string}
let hung: {host: string; key: string; knownHosts: string}
const dirs: string[] = []
let silent: net.Server
const held = new Set<net.Socket>()
const config: Record<'working' | 'silent' | 'hung', string> = {working: '', silent: '', hung: ''}

/** The lab's config with every group on this Docker host. */
function onHost(name: string, docker: Record<string, string>): string {
  return configVariant(lab, `fleet.${name}.yml`, (y) => {
    const doc = YAML.parse(y)
    for (const g of Object.keys(doc.groups)) doc.groups[g].docker = docker
    return YAML.stringify(doc)
  })
}

const run = (args: string[], cfg: string): Promise<CliResult> => fleet([...args, '--config', cfg], {cwd: lab.root, timeoutMs: GUARD_MS})
const port = (base: number) => base + Math.floor(Math.random() * 2000)

beforeAll(async () => {
  lab = await labUp(1321, 3)
  const dir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), 'fleet-sshd-1321-'))
    dirs.push(d)
    return d
  }
  ssh = await sshd.start({dir: dir(), port: port(34_000)})
  hung = await sshd.start({dir: dir(), port: port(36_000), forceCommand: 'cat >/dev/null'})
  silent = net.createServer((sock) => {
    held.add(sock)
    sock.on('close', () => held.delete(sock))
  })
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  const silentPort = (silent.address() as net.AddressInfo).port
  config.working = onHost('ssh', {host: ssh.host, sshKey: ssh.key, knownHosts: ssh.knownHosts, timeout: '10s'})
  config.hung = onHost('ssh-hung', {host: hung.host, sshKey: hung.key, knownHosts: hung.knownHosts, timeout: '3s'})
  config.silent = onHost('ssh-silent', {host: `ssh://root@127.0.0.1:${silentPort}`, sshKey: ssh.key, knownHosts: ssh.knownHosts, timeout: '3s'})
}, 600_000)

afterAll(async () => {
  for (const s of held) s.destroy()
  silent?.close()
  for (const d of dirs) await sshd.stop({dir: d})
  await labDown(lab)
}, 300_000)

describe('ssh:// Docker hosts: every call bounded, and the process exits', () => {
  it('over a working SSH host, status --json prints the fleet and the process exits, without a URL warning', async () => {
    const r = await run(['status', '--json'], config.working)
    expect([0, 1], r.stderr).toContain(r.exitCode)
    const doc = JSON.parse(r.stdout)
    expect(doc.instances.map((i: {id: number; state: string}) => [i.id, i.state])).toEqual(IDS.map((id) => [id, 'running']))
    expect(doc.unreachable).toEqual([])
    expect(r.stderr).not.toMatch(/DEP0170|URL .* is invalid/)
  })

  for (const [peer, why] of [
    ['silent', /Timed out while waiting for handshake/],
    ['hung', /no answer from the Docker engine over SSH/],
  ] as const) {
    const label = peer === 'silent' ? 'a host that accepts TCP and never speaks SSH' : 'an sshd that logs in and never answers the Docker API'
    it(`${label}: status, heal --dry-run, ping and doctor end with exit 3 and say why; config --validate with 0`, async () => {
      const host = YAML.parse(readFileSync(config[peer], 'utf8')).groups[lab.groups[0]].docker.host as string
      for (const args of [
        ['status', '--json'],
        ['heal', '--dry-run', '--json'],
        ['ping', '--json'],
        ['doctor', '--json'],
      ]) {
        const r = await run(args, config[peer])
        expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(3)
        expect(r.stdout, args.join(' ')).toContain(`Docker at ${host}`)
        expect(r.stdout, args.join(' ')).toMatch(why)
      }
      const v = await run(['config', '--validate'], config[peer])
      expect(v.exitCode, v.stderr).toBe(0)
    }, 600_000)
  }
})

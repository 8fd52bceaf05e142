/** Shared e2e helpers: a lab per test file, transcript checksums, container facts, in-container processes. */
import {execa} from 'execa'
import {createHash} from 'node:crypto'
import {existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import * as lab from '../../lab/compose.mjs'
import {turnArgs, type TurnOptions} from '../../lab/real/gateway.mjs'
import {fleet, json, type CliResult} from '../helpers/cli.js'
import {firstFileInTar} from '../../src/openclaw/detect.js'

export interface Lab {
  root: string
  configFile: string
  ids: number[]
  containers: string[]
  groups: string[]
  timings: Record<string, number>
}

export async function labUp(first: number, size = 5): Promise<Lab> {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), `fleet-e2e-${first}-`)), 'lab')
  return (await lab.up({root, first, size})) as Lab
}

/**
 * A lab of real OpenClaw (`version` on every instance) under a fresh temp root. lab.up waits 10 min for healthy; a 9.6
 * first start on a busy 2-core host can take longer (starts that fail with `state lease heartbeat did not become
 * ready` are retried by compose's restart policy): when the lab is up but not yet healthy, this waits on, 15 min more.
 * `root` is set before the bring-up, so that afterAll can take down even a lab whose bring-up failed.
 */
export async function realLabUp(
  prefix: string,
  first: number,
  version: string,
  opts: {size?: number; stateFs?: {sizeMiB?: number}; onRoot?: (root: string) => void} = {},
): Promise<Lab> {
  const root = path.join(mkdtempSync(path.join(os.tmpdir(), `${prefix}-`)), 'lab')
  opts.onRoot?.(root)
  const size = opts.size ?? 1
  try {
    return (await lab.up({root, first, size, openclaw: version, stateFs: opts.stateFs})) as Lab
  } catch (error) {
    if (!existsSync(path.join(root, 'lab.json')) || !/healthy/.test(String(error))) throw error
    const ids = Array.from({length: size}, (_, i) => first + i)
    const containers = ids.map((id) => lab.containerName(id) as string)
    await lab.waitHealthy(containers, {timeoutMs: 15 * 60_000})
    return {root, configFile: path.join(root, 'fleet.config.yml'), ids, containers, groups: [], timings: {}}
  }
}

/** Takes down a real lab by the root realLabUp announced (onRoot): also one whose bring-up failed half way. */
export async function realLabDown(root: string): Promise<void> {
  if (root && existsSync(path.join(root, 'lab.json'))) await lab.down({root})
}

/**
 * A real `openclaw agent` turn in a container (docker exec; `--local` before 2026.8, through the gateway from 2026.8):
 * never rejects. timeoutMs ends the host-side client only (the turn inside lives on).
 */
export function realTurn(container: string, version: string, turn: TurnOptions, opts: {timeoutMs?: number} = {}) {
  return execa('docker', ['exec', container, ...turnArgs(version, turn)], {reject: false, timeout: opts.timeoutMs})
}

export async function labDown(l: Lab | undefined): Promise<void> {
  if (l) await lab.down({root: l.root})
}

export function containerName(id: number): string {
  return lab.containerName(id) as string
}

export function sessionsDir(l: Lab, id: number): string {
  return path.join(l.root, 'data', `oc${id}`, 'config', 'agents', 'main', 'sessions')
}

/** fleet with the lab's config. */
export function fleetIn(l: Lab, args: string[], opts: {timeoutMs?: number; config?: string} = {}): Promise<CliResult> {
  return fleet([...args, '--config', opts.config ?? l.configFile], {cwd: l.root, timeoutMs: opts.timeoutMs})
}

export async function fleetJson<T = any>(l: Lab, args: string[], opts: {config?: string} = {}): Promise<{r: CliResult; doc: T}> {
  const r = await fleetIn(l, [...args, '--json'], opts)
  return {r, doc: json<T>(r)}
}

/** sha256 of every transcript (*.jsonl) under the lab's data dir, by path. */
export function transcriptChecksums(l: Lab): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile() && e.name.endsWith('.jsonl')) out.set(p, createHash('sha256').update(readFileSync(p)).digest('hex'))
    }
  }
  walk(path.join(l.root, 'data'))
  return out
}

/** Every file under the data dir with its size, mtime and content hash (for "changes nothing" checks). */
export function dataSnapshot(l: Lab): Map<string, string> {
  const out = new Map<string, string>()
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, {withFileTypes: true})) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else {
        const st = statSync(p, {throwIfNoEntry: false})
        if (!st) continue
        out.set(
          p,
          `${st.size}:${st.mtimeMs}:${e.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : e.isSymbolicLink() ? 'link' : 'other'}`,
        )
      }
    }
  }
  walk(path.join(l.root, 'data'))
  return out
}

export interface ContainerFacts {
  state: string
  startedAt: string
  restartCount: number
  health: string
}

export async function containerFacts(names: string[]): Promise<Record<string, ContainerFacts>> {
  const {stdout} = await execa('docker', [
    'inspect',
    '--format',
    '{{.Name}}|{{.State.Status}}|{{.State.StartedAt}}|{{.RestartCount}}|{{if .State.Health}}{{.State.Health.Status}}{{end}}',
    ...names,
  ])
  const out: Record<string, ContainerFacts> = {}
  for (const line of stdout.split('\n')) {
    const [name, state, startedAt, restartCount, health] = line.split('|')
    out[name.replace(/^\//, '')] = {state, startedAt, restartCount: Number(restartCount), health}
  }
  return out
}

/** Processes inside a container: pid, ppid, state and args, from /proc (busybox ps differs between images). */
export async function processesIn(container: string): Promise<{pid: number; ppid: number; state: string; args: string}[]> {
  const script = `const fs=require('fs');const out=[];for(const d of fs.readdirSync('/proc')){if(!/^[0-9]+$/.test(d)||Number(d)===process.pid)continue;try{const s=fs.readFileSync('/proc/'+d+'/stat','latin1');const f=s.slice(s.lastIndexOf(')')+2).split(' ');out.push({pid:Number(d),ppid:Number(f[1]),state:f[0],args:fs.readFileSync('/proc/'+d+'/cmdline','latin1').split('\\0').join(' ').trim()})}catch{}}console.log(JSON.stringify(out))`
  const {stdout} = await execa('docker', ['exec', container, 'node', '-e', script])
  return JSON.parse(stdout)
}

export function lockFiles(l: Lab, id: number): string[] {
  try {
    return readdirSync(sessionsDir(l, id))
      .filter((n) => n.endsWith('.lock'))
      .sort()
  } catch {
    return []
  }
}

/** Writes a copy of the lab's fleet config with other lock thresholds (short ones keep the tests quick). */
export function configVariant(l: Lab, name: string, edit: (yaml: string) => string): string {
  const file = path.join(l.root, name)
  writeFileSync(file, edit(readFileSync(l.configFile, 'utf8')))
  return file
}

export function withLocks(yaml: string, locks: {maxHold?: string; orphanAfter?: string; clockSkew?: string; probe?: 'auto' | 'exec'}): string {
  let out = yaml
  if (locks.clockSkew) out = out.replace(/^locks:\n/m, `locks:\n  clockSkew: ${locks.clockSkew}\n`)
  if (locks.probe) out = out.replace(/^locks:\n/m, `locks:\n  probe: ${locks.probe}\n`)
  if (locks.maxHold) out = out.replace(/maxHold: \S+/, `maxHold: ${locks.maxHold}`)
  if (locks.orphanAfter) out = out.replace(/orphanAfter: \S+/, `orphanAfter: ${locks.orphanAfter}`)
  return out
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The events a watch appended to a JSON-lines file (none while it does not exist). */
export function eventsIn(file: string): any[] {
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l))
}

/** A webhook receiver on loopback: every JSON body it got, its URL, and close(). */
export async function webhookReceiver(): Promise<{bodies: any[]; url: string; close: () => void}> {
  const bodies: any[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')))
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {bodies, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => server.close()}
}

/**
 * An image derived from `from` by `docker commit` (no registry): its OpenClaw package.json at `version` (the file at
 * `pkgPath` inside the image), and optionally another command. Tags outside `openclaw-lab-gateway` (the lab prunes its
 * own old tags).
 */
export async function deriveImage(from: string, tag: string, version: string, opts: {pkgPath?: string; cmd?: string[]} = {}): Promise<void> {
  const pkgPath = opts.pkgPath ?? '/app/package.json'
  const name = `fleet-derive-${process.pid}-${Date.now().toString(36)}`
  await execa('docker', ['create', '--name', name, from], {timeout: 120_000})
  try {
    const tar = (await execa('docker', ['cp', `${name}:${pkgPath}`, '-'], {timeout: 120_000, encoding: 'buffer'})).stdout
    const pkg = JSON.parse(firstFileInTar(Buffer.from(tar))?.toString('utf8') ?? '{}')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-derive-'))
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({...pkg, version}, null, 2))
    await execa('docker', ['cp', path.join(dir, 'package.json'), `${name}:${pkgPath}`], {timeout: 120_000})
    await execa('docker', ['commit', ...(opts.cmd ? ['--change', `CMD ${JSON.stringify(opts.cmd)}`] : []), name, tag], {timeout: 300_000})
  } finally {
    await execa('docker', ['rm', '-f', name], {reject: false})
  }
}

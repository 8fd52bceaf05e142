/**
 * Which OpenClaw runs in a container, read cheaply from the package's own package.json (name `openclaw`), never by
 * starting the CLI (`openclaw --version` loads the whole package: seconds on a busy host):
 * - local engine, container running or paused: through the host's `/proc/<pid>/root` (no process started);
 * - otherwise through the engine's archive API (`docker cp`: works on stopped and paused containers, remote too).
 * Readings are kept per container incarnation (id + StartedAt), so a fleet run reads each incarnation once
 * (see version-cache.ts for the cache kept between runs).
 */
import fs from 'node:fs'
import path from 'node:path'
import type {ContainerInfo} from '../docker/discover.js'
import {engineCall, type DockerHandle} from '../docker/client.js'
import {lockBehaviour, parseOpenClawVersion, type OpenClawVersion, type VersionReading} from './version.js'
import {cachedVersion, rememberVersion} from './version-cache.js'

/** Where OpenClaw's package.json is in the images operators run: the working dir (official image: /app), npm global installs. */
export function packageCandidates(workingDir: string | null | undefined): string[] {
  const dirs = [workingDir, '/app', '/usr/local/lib/node_modules/openclaw', '/usr/lib/node_modules/openclaw', '/opt/openclaw']
  return [...new Set(dirs.filter((d): d is string => typeof d === 'string' && d.startsWith('/')).map((d) => path.posix.join(d, 'package.json')))]
}

/** The version in an OpenClaw package.json (name `openclaw`, version `2026.M.P`); null for anything else. Pure. */
export function versionFromPackageJson(text: string): OpenClawVersion | null {
  let pkg: unknown
  try {
    pkg = JSON.parse(text)
  } catch {
    return null
  }
  if (!pkg || typeof pkg !== 'object') return null
  const {name, version} = pkg as {name?: unknown; version?: unknown}
  if (name !== 'openclaw' || typeof version !== 'string') return null
  const v = parseOpenClawVersion(version)
  return v && v.raw.replace(/^v/i, '') === version.trim() ? v : null
}

/** The content of the first regular file in a tar archive (what the archive API returns for one file); null when none. Pure. */
export function firstFileInTar(buf: Buffer): Buffer | null {
  let off = 0
  while (off + 512 <= buf.length) {
    const header = buf.subarray(off, off + 512)
    if (header.every((b) => b === 0)) return null
    const size = parseInt(header.subarray(124, 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8)
    const type = String.fromCharCode(header[156] || 48)
    if (!Number.isFinite(size) || size < 0) return null
    const body = off + 512
    if (type === '0' || type === '\0') return body + size <= buf.length ? buf.subarray(body, body + size) : null
    off = body + Math.ceil(size / 512) * 512
  }
  return null
}

const incarnation = (c: ContainerInfo) => `${c.id}@${c.startedAt ?? 'never'}`
const memo = new Map<string, VersionReading>()

/** Reads package.json through the host's view of the container's root (local engines only). */
function viaHostProc(c: ContainerInfo, files: string[], procRoot = '/proc'): VersionReading | null {
  if (c.pid <= 0 || process.platform !== 'linux') return null
  for (const file of files) {
    let text: string
    try {
      text = fs.readFileSync(path.join(procRoot, String(c.pid), 'root', file), 'utf8')
    } catch {
      continue
    }
    const v = versionFromPackageJson(text)
    if (v) return {version: v.raw, source: 'host-proc', file, error: null}
  }
  return null
}

/**
 * Reads OpenClaw's package.json through the engine's archive API (`docker cp`): works on stopped, paused and created
 * (never started) containers, remote engines too. `id`: the container's id or name; `what`: its name for messages.
 */
export async function versionViaArchive(handle: DockerHandle, id: string, what: string, files: string[]): Promise<VersionReading> {
  const errors: string[] = []
  for (const file of files) {
    try {
      const stream = await engineCall(handle, `read ${file} of ${what}`, () => handle.docker.getContainer(id).getArchive({path: file}))
      const chunks: Buffer[] = []
      for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(Buffer.from(chunk))
      const body = firstFileInTar(Buffer.concat(chunks))
      const v = body ? versionFromPackageJson(body.toString('utf8')) : null
      if (v) return {version: v.raw, source: 'archive', file, error: null}
      errors.push(`${file}: not OpenClaw's package.json`)
    } catch (error) {
      const status = (error as {statusCode?: number}).statusCode
      errors.push(status === 404 ? `${file}: absent` : `${file}: ${(error as Error).message}`)
    }
  }
  return {version: null, source: null, file: null, error: `no OpenClaw package.json found (${errors.join('; ')})`}
}

/**
 * The OpenClaw version of a container's current incarnation. Never throws: an unreadable version is `version: null`
 * with the reason, and fleet then only reports on that instance.
 */
export async function detectVersion(handle: DockerHandle, c: ContainerInfo, opts: {local: boolean; procRoot?: string}): Promise<VersionReading> {
  const key = incarnation(c)
  const known = memo.get(key) ?? cachedVersion(key)
  if (known?.version) return {...known, source: 'cache'}
  const files = packageCandidates(c.workingDir)
  const reading = (opts.local ? viaHostProc(c, files, opts.procRoot) : null) ?? (await versionViaArchive(handle, c.id, c.name, files))
  if (reading.version) {
    memo.set(key, reading)
    rememberVersion(key, reading)
  }
  return reading
}

/** How an instance's sessions are stored, by its version: JSONL (+ `.jsonl.lock`) up to 2026.7, SQLite from 2026.8; null when unknown. */
export function storageOf(version: string | null): 'jsonl' | 'sqlite' | null {
  const v = version ? parseOpenClawVersion(version) : null
  return v ? lockBehaviour(v).lockStorage : null
}

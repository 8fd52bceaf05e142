/**
 * Versions read per container incarnation (`<id>@<StartedAt>`), kept between fleet runs in
 * `$XDG_CACHE_HOME/openclaw-fleet/versions.json` (else ~/.cache/...; FLEET_CACHE_DIR overrides). A new incarnation
 * (a restart, a recreate, an upgrade) has a new key, so a reading never outlives the process tree it was read for.
 * Best effort: an unwritable cache only costs a re-read.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {VersionReading} from './version.js'

const MAX_ENTRIES = 500

export function cacheFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.FLEET_CACHE_DIR ?? path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'openclaw-fleet')
  return path.join(dir, 'versions.json')
}

type Entries = Record<string, {version: string; file: string | null; at: number}>

function load(file: string): Entries {
  try {
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Entries) : {}
  } catch {
    return {}
  }
}

export function cachedVersion(key: string, file = cacheFile()): VersionReading | null {
  const e = load(file)[key]
  return e && typeof e.version === 'string' ? {version: e.version, source: 'cache', file: e.file ?? null, error: null} : null
}

export function rememberVersion(key: string, reading: VersionReading, file = cacheFile()): void {
  if (!reading.version) return
  try {
    const entries = load(file)
    entries[key] = {version: reading.version, file: reading.file, at: Date.now()}
    const kept = Object.entries(entries)
      .sort((a, b) => b[1].at - a[1].at)
      .slice(0, MAX_ENTRIES)
    fs.mkdirSync(path.dirname(file), {recursive: true})
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(Object.fromEntries(kept)))
    fs.renameSync(tmp, file)
  } catch {
    // best effort
  }
}

/**
 * The incident dirs on disk: one per run under heal.incidentDir, named `<start stamp>-<run id>`
 * (`2026-12-02T01-43-59-757Z-f121d191` for a heal, `…-watch-1a2b3c4d` for a watch). Only dirs named so are
 * fleet's: anything else there is never listed, read or pruned.
 */
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {UsageError} from '../errors.js'

export interface RunDir {
  /** The dir's name. */
  name: string
  /** The run id: 8 hex digits for a heal, `watch-<8 hex>` for a watch, `upgrade-<8 hex>` for an upgrade. */
  runId: string
  kind: RunKind
  /** When the run started (from the name), ms since the epoch. */
  startedMs: number
}

/** What made a run's incident dir. */
export type RunKind = 'heal' | 'watch' | 'upgrade'

const NAME = /^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d)-(\d{3})Z-((?:watch-|upgrade-)?[0-9a-f]{8})$/

/** Pure: a dir name as a run, or null when it is not one of fleet's. */
export function parseRunDir(name: string): RunDir | null {
  const m = NAME.exec(name)
  if (!m) return null
  const startedMs = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}.${m[5]}Z`)
  if (Number.isNaN(startedMs)) return null
  return {name, runId: m[6], kind: m[6].startsWith('watch-') ? 'watch' : m[6].startsWith('upgrade-') ? 'upgrade' : 'heal', startedMs}
}

/** The runs under a base dir, newest first (none when the dir does not exist). */
export function listRunDirs(baseDir: string): RunDir[] {
  if (!existsSync(baseDir)) return []
  return readdirSync(baseDir)
    .map(parseRunDir)
    .filter((r): r is RunDir => r !== null && statSync(path.join(baseDir, r.name), {throwIfNoEntry: false})?.isDirectory() === true)
    .sort(newestFirst)
}

export function newestFirst(a: RunDir, b: RunDir): number {
  return b.startedMs - a.startedMs || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0)
}

/**
 * Pure: the run a `<run>` argument names: the dir name, the run id (`f121d191`, `watch-1a2b3c4d`) or its 8-hex
 * suffix. Unknown or ambiguous: a UsageError (exit 2), nothing read.
 */
export function resolveRun(runs: RunDir[], arg: string, baseDir: string): RunDir {
  const want = arg.trim().replace(/\/+$/, '')
  const name = path.basename(want)
  const hits = runs.filter((r) => r.name === name || r.runId === name || r.runId.slice(-8) === name)
  if (hits.length === 1) return hits[0]
  if (hits.length > 1) throw new UsageError(`run "${arg}" is ambiguous: ${hits.map((h) => h.name).join(', ')}`, 'pass the whole dir name')
  throw new UsageError(
    `no incident run "${arg}" in ${baseDir}${runs.length === 0 ? ' (it holds no runs)' : ''}`,
    'fleet incidents list shows the runs; <run> is the run id (8 hex digits), watch-<id>, or the dir name; --dir reads another incident dir',
  )
}

export interface IncidentEvent {
  ts: string
  run?: string
  event: string
  instance?: string
  [key: string]: unknown
}

/** Pure: the JSON lines of an incident.jsonl; a torn or foreign line (a run killed mid-write) is skipped and counted. */
export function parseEvents(text: string): {events: IncidentEvent[]; unreadable: number} {
  const events: IncidentEvent[] = []
  let unreadable = 0
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      const e = JSON.parse(line) as IncidentEvent
      if (e && typeof e === 'object' && typeof e.event === 'string' && typeof e.ts === 'string') events.push(e)
      else unreadable++
    } catch {
      unreadable++
    }
  }
  return {events, unreadable}
}

/** The events of one run (none when its incident.jsonl is missing: an empty dir left by an older fleet). */
export function readRunEvents(baseDir: string, run: RunDir): {events: IncidentEvent[]; unreadable: number; file: string} {
  const file = path.join(baseDir, run.name, 'incident.jsonl')
  const text = existsSync(file) ? readFileSync(file, 'utf8') : ''
  return {...parseEvents(text), file}
}

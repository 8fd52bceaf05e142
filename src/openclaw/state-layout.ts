/**
 * The SQLite files of a 2026.8+ state dir, by size only: never opened (not even read-only, which would take a
 * shared lock and could create a `-shm`), nothing written. The same function runs on this machine's disk (host
 * data dirs) and, as JavaScript source, inside the container (one reader everywhere).
 */
import {lstatSync, readdirSync} from 'node:fs'
import type {ExecResult} from '../docker/exec.js'

/** Sizes in bytes; null when the file does not exist (or is not a regular file). */
export interface DbFiles {
  dbBytes: number | null
  walBytes: number | null
}

export interface AgentLayout {
  id: string
  /** `agents/<id>/agent/openclaw-agent.sqlite` (+ `-wal`). */
  db: DbFiles
  /** `agents/<id>/sessions/*.jsonl` transcripts left from before the SQLite store (names counted, never stat'ed). */
  transcripts: number
}

export interface StateLayout {
  /** `state/openclaw.sqlite` (+ `-wal`). */
  stateDb: DbFiles
  agents: AgentLayout[]
}

interface FsLike {
  lstatSync(p: string): {isFile(): boolean; isDirectory(): boolean; size: number}
  readdirSync(p: string): string[]
}

/** Self-contained (it is also serialised into a container script): only its parameters, no imports, no helpers. */
export function readStateLayout(root: string, fs: FsLike): StateLayout {
  const size = (p: string): number | null => {
    try {
      const st = fs.lstatSync(p)
      return st.isFile() ? st.size : null
    } catch {
      return null
    }
  }
  const isDir = (p: string): boolean => {
    try {
      return fs.lstatSync(p).isDirectory()
    } catch {
      return false
    }
  }
  const list = (p: string): string[] => {
    try {
      return fs.readdirSync(p)
    } catch {
      return []
    }
  }
  const db = (base: string) => ({dbBytes: size(base), walBytes: size(`${base}-wal`)})
  const agents = list(`${root}/agents`)
    .filter((id) => isDir(`${root}/agents/${id}`))
    .sort()
    .map((id) => ({
      id,
      db: db(`${root}/agents/${id}/agent/openclaw-agent.sqlite`),
      // By name only: a stat per transcript would cost 100,000 stats in a dir of 100,000 transcripts.
      transcripts: list(`${root}/agents/${id}/sessions`).filter((n) => n.endsWith('.jsonl')).length,
    }))
  return {stateDb: db(`${root}/state/openclaw.sqlite`), agents}
}

/** On this machine's disk (a host-mapped data dir). */
export function hostStateLayout(dataDir: string): StateLayout {
  return readStateLayout(dataDir, {lstatSync, readdirSync: (p) => readdirSync(p)})
}

/** `node -e` argv that prints the layout of the state dir inside a container as JSON. */
export function stateLayoutArgv(stateDir: string): string[] {
  return [
    'node',
    '-e',
    `const fs = require('fs'); const read = ${readStateLayout.toString()}; process.stdout.write(JSON.stringify(read(process.argv[1], fs)))`,
    stateDir,
  ]
}

/** Pure: the layout from the exec's output, or an error that says what came back. */
export function parseStateLayout(r: Pick<ExecResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut'>): StateLayout | Error {
  if (r.timedOut) return new Error('timed out')
  if (r.exitCode !== 0) return new Error(`exit ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`)
  let doc: unknown
  try {
    doc = JSON.parse(r.stdout)
  } catch {
    return new Error(`not JSON: ${r.stdout.trim().slice(0, 200)}`)
  }
  const isDb = (d: unknown) =>
    typeof d === 'object' &&
    d !== null &&
    ['dbBytes', 'walBytes'].every((k) => (d as Record<string, unknown>)[k] === null || typeof (d as Record<string, unknown>)[k] === 'number')
  const l = doc as StateLayout
  const ok =
    typeof l === 'object' &&
    l !== null &&
    isDb(l.stateDb) &&
    Array.isArray(l.agents) &&
    l.agents.every((a) => typeof a?.id === 'string' && isDb(a.db) && Number.isSafeInteger(a.transcripts))
  return ok ? l : new Error(`unexpected layout document: ${r.stdout.trim().slice(0, 200)}`)
}

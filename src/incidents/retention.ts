/**
 * Incident retention (heal.incidentRetention): a run is kept while it is among the newest `keepRuns` runs or
 * younger than `keepFor`; it is pruned once it is neither. Both are floors, so evidence of a recent incident or
 * of one of the last runs is never deleted. The current run is never pruned. Applied when a new incident dir
 * is made, and by `fleet incidents prune`.
 */
import {rmSync} from 'node:fs'
import path from 'node:path'
import type {RetentionPolicy} from '../config/model.js'
import {listRunDirs, newestFirst, type RunDir} from './dirs.js'

/** Pure: the runs to prune, oldest first. `keep`: dir names never pruned (the current run). */
export function runsToPrune(runs: readonly RunDir[], policy: RetentionPolicy, nowMs: number, keep: ReadonlySet<string> = new Set()): RunDir[] {
  return [...runs]
    .sort(newestFirst)
    .filter((r, i) => i >= policy.keepRuns && nowMs - r.startedMs > policy.keepForMs && !keep.has(r.name))
    .reverse()
}

export interface PruneResult {
  removed: string[]
  failed: {name: string; error: string}[]
  kept: number
}

/** Prunes `baseDir` by the policy (dryRun: only says what would go). Only dirs named as fleet's runs are touched. */
export function applyRetention(baseDir: string, policy: RetentionPolicy, opts: {keep?: string; nowMs?: number; dryRun?: boolean} = {}): PruneResult {
  const runs = listRunDirs(baseDir)
  const doomed = runsToPrune(runs, policy, opts.nowMs ?? Date.now(), new Set(opts.keep ? [opts.keep] : []))
  const result: PruneResult = {removed: [], failed: [], kept: runs.length - doomed.length}
  for (const r of doomed) {
    if (opts.dryRun) {
      result.removed.push(r.name)
      continue
    }
    try {
      rmSync(path.join(baseDir, r.name), {recursive: true, force: true})
      result.removed.push(r.name)
    } catch (error) {
      result.failed.push({name: r.name, error: (error as Error).message})
      result.kept++
    }
  }
  return result
}

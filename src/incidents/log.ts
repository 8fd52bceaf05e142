/**
 * The incident log: JSON lines written before anything is touched (every lock's path, verbatim content,
 * mtime, verdict, reasons, evidence), then each action with timestamps. Removed lock files are copied
 * beside it; --backup snapshots go there too.
 *
 * No empty incidents: the run's dir is made on the first record that announces or reports a change (an intent
 * or an action) or a heal --verify result, or when a lock copy or a backup needs its place. Records before that (run-start, observed,
 * lock, ping, …) wait in memory and are written first, in their order and with their own times, so the file
 * still holds every lock verbatim before the first action. A run that changes nothing leaves no dir.
 */
import {appendFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {applyRetention} from './retention.js'
import type {RetentionPolicy} from '../config/model.js'

/** The records that make a run an incident: something was (about to be) changed. */
export const MATERIAL_EVENTS: ReadonlySet<string> = new Set(['intent', 'action', 'verify'])

export interface IncidentLogOptions {
  /** Past runs to prune once this run's dir is made (never this run's own). */
  retention?: RetentionPolicy
  now?: () => Date
}

export class IncidentLog {
  readonly file: string
  readonly dir: string
  /** Lines not yet on disk (null once the dir exists). */
  private pending: string[] | null = []
  private readonly now: () => Date

  constructor(
    readonly baseDir: string,
    readonly runId: string,
    private readonly opts: IncidentLogOptions = {},
  ) {
    this.now = opts.now ?? (() => new Date())
    const stamp = this.now().toISOString().replace(/[:.]/g, '-')
    this.dir = path.join(baseDir, `${stamp}-${runId}`)
    this.file = path.join(this.dir, 'incident.jsonl')
  }

  /** True once the run's dir and its incident.jsonl exist (something was changed or is about to be). */
  get written(): boolean {
    return this.pending === null
  }

  /** Appends one event synchronously (it must be on disk before the action it announces). */
  write(event: string, data: Record<string, unknown> = {}): void {
    const line = `${JSON.stringify({ts: this.now().toISOString(), run: this.runId, event, ...data})}\n`
    if (this.pending && !MATERIAL_EVENTS.has(event)) {
      this.pending.push(line)
      return
    }
    this.materialise()
    appendFileSync(this.file, line)
  }

  /** Makes the dir and writes what waited in memory; then prunes past runs by the retention policy. */
  materialise(): void {
    if (this.pending === null) return
    mkdirSync(this.dir, {recursive: true})
    appendFileSync(this.file, this.pending.join(''))
    this.pending = null
    if (this.opts.retention) {
      try {
        applyRetention(this.baseDir, this.opts.retention, {keep: path.basename(this.dir), nowMs: this.now().getTime()})
      } catch {
        // Pruning old runs must never stop this one: `fleet incidents prune` reports what it could not remove.
      }
    }
  }

  /** Where removed lock files of an instance are copied (the run's dir is made: a copy is about to go there). */
  locksDir(instance: string): string {
    this.materialise()
    return path.join(this.dir, 'locks', instance)
  }

  backupsDir(): string {
    this.materialise()
    return path.join(this.dir, 'backups')
  }
}

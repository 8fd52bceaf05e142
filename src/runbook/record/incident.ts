/**
 * The incident log: JSON lines written before anything is touched (every lock's path, verbatim content,
 * mtime, verdict, reasons, evidence), then each action with timestamps. Removed lock files are copied
 * beside it; --backup snapshots go there too.
 */
import {appendFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'

export class IncidentLog {
  readonly file: string
  readonly dir: string

  constructor(
    baseDir: string,
    readonly runId: string,
  ) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    this.dir = path.join(baseDir, `${stamp}-${runId}`)
    mkdirSync(this.dir, {recursive: true})
    this.file = path.join(this.dir, 'incident.jsonl')
  }

  /** Appends one event synchronously (it must be on disk before the action it announces). */
  write(event: string, data: Record<string, unknown> = {}): void {
    appendFileSync(this.file, `${JSON.stringify({ts: new Date().toISOString(), run: this.runId, event, ...data})}\n`)
  }

  /** Where removed lock files of an instance are copied. */
  locksDir(instance: string): string {
    return path.join(this.dir, 'locks', instance)
  }

  backupsDir(): string {
    return path.join(this.dir, 'backups')
  }
}

/** Reading the incident dirs for `fleet incidents`: the list, one run's events, one run's report. */
import {readdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {buildReport, summarise, type IncidentReport, type IncidentSummary} from './document.js'
import {listRunDirs, readRunEvents, resolveRun, type IncidentEvent, type RunKind} from './dirs.js'

export interface IncidentList {
  dir: string
  runs: IncidentSummary[]
}

export interface IncidentShow {
  run: string
  dir: string
  file: string
  kind: RunKind
  events: IncidentEvent[]
  unreadable: number
  /** Lock copies and backups kept beside the log, relative to the run's dir. */
  files: string[]
}

export function loadList(baseDir: string): IncidentList {
  return {
    dir: baseDir,
    runs: listRunDirs(baseDir).map((r) => {
      const {events, unreadable} = readRunEvents(baseDir, r)
      return summarise(buildReport(r, path.join(baseDir, r.name), events, unreadable))
    }),
  }
}

export function loadShow(baseDir: string, arg: string): IncidentShow {
  const run = resolveRun(listRunDirs(baseDir), arg, baseDir)
  const {events, unreadable, file} = readRunEvents(baseDir, run)
  const dir = path.join(baseDir, run.name)
  return {run: run.runId, dir, file, kind: run.kind, events, unreadable, files: filesIn(dir)}
}

export function loadReport(baseDir: string, arg: string): IncidentReport {
  const run = resolveRun(listRunDirs(baseDir), arg, baseDir)
  const {events, unreadable} = readRunEvents(baseDir, run)
  return buildReport(run, path.join(baseDir, run.name), events, unreadable)
}

/** The files of a run's dir beside its log (lock copies, backups), relative, sorted. */
function filesIn(dir: string): string[] {
  return (readdirSync(dir, {recursive: true}) as string[])
    .filter((f) => f !== 'incident.jsonl' && statSync(path.join(dir, f), {throwIfNoEntry: false})?.isFile())
    .sort()
}

/**
 * `fleet upgrade`: roll a new OpenClaw image across the selected instances. Preflight reads everything first and
 * refuses the whole upgrade on any problem (exit 2, nothing changed). Then one canary instance, then the rest of its
 * group, then the other groups (`--batch` groups at a time, `--concurrency` instances at once within a batch); the
 * rollout stops after the first batch with a failure and says where. Each instance: upgrade/instance.ts.
 * A dry run is the same run with its changes switched off. Run locks keep heal and watch off the instances meanwhile.
 */
import {randomUUID} from 'node:crypto'
import type {Fleet, Instance} from '../config/model.js'
import {EXIT, FleetError} from '../errors.js'
import {IncidentLog} from '../incidents/log.js'
import {acquireRunLocks, runLockPlace} from '../runs/run-lock.js'
import {rolloutBatches, sharedLocationNote} from '../decide/upgrade.js'
import {describeLocation} from './image-location.js'
import {mapLimit} from '../util/concurrency.js'
import {RunInterrupt, signalExitCode} from '../runs/interrupt.js'
import {checkBackupSpace, readTargets, type UpgradeTarget} from './preflight.js'
import {upgradeInstance, type InstanceUpgrade} from './instance.js'
import type {ProgressSink, StepOutcome} from '../progress-events.js'

export interface UpgradeRequest {
  image: string
  instances: Instance[]
  dryRun: boolean
  /** Groups per batch after the canary. */
  batch: number
  /** Instances at once within a batch. */
  concurrency: number
  drainTimeoutMs: number
  gateTimeoutMs: number
  force: boolean
}

export interface UpgradeIO {
  warn(message: string): void
  /** Whether to go on (the whole upgrade: --yes, or a person on a terminal); throws when nobody can answer. */
  confirm(plan: string[]): Promise<boolean>
  /** A question for a person (null: nobody can answer). */
  ask: ((question: string) => Promise<boolean>) | null
  /** Progress as events: one step per instance, its steps as children. */
  progress: ProgressSink
}

const INSTANCE_OUTCOME: Record<InstanceUpgrade['outcome'], StepOutcome> = {
  upgraded: 'ok',
  skipped: 'skipped',
  planned: 'planned',
  'gave-up': 'failed',
  'rolled-back': 'failed',
  failed: 'failed',
}

/** Pure: an instance's last line: `oc7: 2026.9.5 -> 2026.9.6 upgraded` or why not. */
export function instanceLine(r: InstanceUpgrade): string {
  const what = r.outcome === 'rolled-back' ? `rolled back (${r.rollback?.detail ?? ''})` : r.outcome
  return `${r.name}: ${r.from.version ?? '?'} -> ${r.to.version ?? '?'} ${what}${r.failure ? `: ${r.failure}` : ''}`
}

export interface UpgradeDocument {
  ok: boolean
  dryRun: boolean
  image: string
  runId: string
  incidentDir: string | null
  batches: Array<{label: string; instances: string[]; outcome: 'done' | 'failed' | 'not-started' | 'planned'}>
  instances: InstanceUpgrade[]
  /** Where the rollout stopped (null: it did not). */
  stoppedAt: string | null
  /** The signal that stopped the rollout (the instance in flight finished first), or null. */
  interrupted: string | null
  summary: Record<InstanceUpgrade['outcome'] | 'not-started', number>
  durationMs: number
}

const FAILED: ReadonlySet<InstanceUpgrade['outcome']> = new Set(['gave-up', 'rolled-back', 'failed'])

/** The preflight's refusals as one usage error (exit 2): every problem of every instance. */
function refuse(targets: UpgradeTarget[]): never {
  const lines = targets.filter((t) => t.verdict.verdict === 'refuse').flatMap((t) => t.verdict.problems.map((p) => `${t.inst.name}: ${p}`))
  throw new FleetError(`upgrade refused by its preflight, nothing was changed:\n  ${lines.join('\n  ')}`, {
    exitCode: EXIT.usage,
    code: 'UPGRADE_PREFLIGHT',
    hint: 'fix these, or leave those instances out with --instances',
  })
}

/** Pure: the exit code of an upgrade. */
export function upgradeExitCode(doc: Pick<UpgradeDocument, 'ok' | 'interrupted'>): number {
  if (doc.interrupted) return signalExitCode(doc.interrupted)
  return doc.ok ? EXIT.ok : EXIT.unhealthy
}

export async function upgradeFleet(fleet: Fleet, req: UpgradeRequest, io: UpgradeIO): Promise<{doc: UpgradeDocument; exitCode: number}> {
  const started = Date.now()
  const targets = await readTargets(fleet, req.instances, req.image)
  checkBackupSpace(fleet.heal.incidentDir, targets)
  // A variable several services read moves them all at their next compose up -d: the plan says so for those not here.
  for (const t of targets) {
    const l = t.location
    if (!l) continue
    const here = new Set(targets.filter((x) => x.location?.file === l.file).map((x) => x.service))
    const note = sharedLocationNote(l.services, here, describeLocation(l), req.image)
    if (note) t.verdict = {...t.verdict, step: {...t.verdict.step, notes: [...t.verdict.step.notes, note]}}
  }
  if (targets.some((t) => t.verdict.verdict === 'refuse')) refuse(targets)
  const batches = rolloutBatches(
    targets.map((t) => ({name: t.inst.name, group: t.group?.name ?? null, t})),
    req.batch,
  )
  const plan = targets.map((t) => `${t.inst.name}: ${t.verdict.verdict === 'skip' ? 'already there' : `${t.currentVersion} -> ${t.target.version}`}`)
  if (!req.dryRun && !(await io.confirm(plan))) throw new FleetError('not confirmed: nothing was changed', {exitCode: EXIT.usage, code: 'NOT_CONFIRMED'})

  const runId = `upgrade-${randomUUID().slice(0, 8)}`
  const log = req.dryRun ? null : new IncidentLog(fleet.heal.incidentDir, runId, {retention: fleet.heal.incidentRetention})
  const place = runLockPlace()
  if (place.note && !req.dryRun) io.warn(`warning: ${place.note}`)
  const changing = targets.filter((t) => t.verdict.verdict === 'upgrade').map((t) => t.inst)
  const lock = req.dryRun ? null : await acquireRunLocks(place.dir, changing, {command: 'upgrade', config: fleet.file})
  const settings = {
    image: req.image,
    dryRun: req.dryRun,
    drainTimeoutMs: req.drainTimeoutMs,
    gateTimeoutMs: req.gateTimeoutMs,
    force: req.force,
    ask: io.ask,
    progress: io.progress,
    runDir: () => {
      if (!log) return null
      log.materialise()
      return log.dir
    },
    record: (event: string, data: Record<string, unknown>) => log?.write(event, data),
    switched: new Map<string, Buffer>(),
    upgradedBy: new Map<string, string[]>(),
  }
  const results: InstanceUpgrade[] = []
  const docBatches: UpgradeDocument['batches'] = []
  let stoppedAt: string | null = null
  // A signal: the instance in flight finishes (its gate, or its rollback), nothing new starts; a second one exits at once.
  const interrupt = new RunInterrupt().install()
  interrupt.lockPaths = lock?.paths ?? []
  interrupt.log = log
  try {
    log?.write('run-start', {
      command: 'upgrade',
      image: req.image,
      instances: targets.map((t) => t.inst.name),
      batches: batches.map((b) => b.members.map((m) => m.name)),
    })
    for (const t of targets) io.progress({type: 'queued', id: t.inst.name, title: t.inst.name})
    const notStarted = (name: string, why: string) => {
      io.progress({type: 'started', id: name, title: name})
      io.progress({type: 'finished', id: name, outcome: 'skipped', title: `${name}: not started (${why})`})
    }
    for (const b of batches) {
      const names = b.members.map((m) => m.name)
      if (stoppedAt) {
        docBatches.push({label: b.label, instances: names, outcome: 'not-started'})
        for (const n of names) notStarted(n, 'the rollout stopped')
        continue
      }
      const started = await mapLimit(b.members, b.label === 'canary' ? 1 : req.concurrency, async (m) => {
        if (interrupt.reason) {
          notStarted(m.name, interrupt.reason)
          return null
        }
        io.progress({type: 'started', id: m.name, title: `${m.name}: ${m.t.currentVersion ?? '?'} -> ${m.t.target.version ?? '?'}`})
        const r = await upgradeInstance(fleet, m.t, settings)
        io.progress({type: 'finished', id: m.name, outcome: INSTANCE_OUTCOME[r.outcome], title: instanceLine(r)})
        return r
      })
      const done = started.filter((r): r is InstanceUpgrade => r !== null)
      results.push(...done)
      const failed = done.find((r) => FAILED.has(r.outcome))
      const skipped = names.filter((n) => !done.some((r) => r.name === n))
      docBatches.push({label: b.label, instances: names, outcome: req.dryRun ? 'planned' : failed ? 'failed' : skipped.length > 0 ? 'not-started' : 'done'})
      if (failed) stoppedAt = `${failed.name} (${b.label}): ${failed.failure ?? failed.outcome}`
      else if (interrupt.reason) stoppedAt = `${interrupt.reason}: ${done.length > 0 ? `after ${done.map((r) => r.name).join(', ')}` : 'before this batch'}`
    }
  } finally {
    interrupt.dispose()
    log?.write('run-end', {stoppedAt, outcomes: Object.fromEntries(results.map((r) => [r.name, r.outcome]))})
    await lock?.release()
  }
  const notStarted = docBatches.flatMap((b) => b.instances).filter((n) => !results.some((r) => r.name === n)).length
  const summary = {upgraded: 0, skipped: 0, 'gave-up': 0, 'rolled-back': 0, failed: 0, planned: 0, 'not-started': notStarted}
  for (const r of results) summary[r.outcome]++
  const doc: UpgradeDocument = {
    ok: stoppedAt === null,
    dryRun: req.dryRun,
    image: req.image,
    runId,
    incidentDir: log?.written ? log.dir : null,
    batches: docBatches,
    instances: results,
    stoppedAt,
    interrupted: interrupt.reason,
    summary,
    durationMs: Date.now() - started,
  }
  return {doc, exitCode: upgradeExitCode(doc)}
}

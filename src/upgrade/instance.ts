/**
 * One instance's upgrade, step by step (the decisions are decide/upgrade.ts's):
 * drain -> stop (with the stop budget: SIGTERM drains) -> back up the state -> switch the image where the operator keeps
 * it -> recreate the one service -> gate (ready by its ready line or /readyz, a start refusal cured by doctor --fix,
 * then the SPEED_OK ping, then status ok) -> on a failed gate, roll back (the old file bytes, the state from the backup,
 * the old image, the gate again).
 * Every change goes through `act`: a dry run is this same run with the changes switched off (each is recorded as
 * planned, with what it would do).
 */
import {copyFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import type {Fleet} from '../config/model.js'
import {formatDuration} from '../config/duration.js'
import {engineCall} from '../docker/client.js'
import {composeArgv, composeCommand, runCompose} from '../docker/compose.js'
import {discover, type ContainerInfo} from '../docker/discover.js'
import {stopOutcomeNow, stopSeconds, stopWithBudget} from '../docker/restart-gateway.js'
import {decideDrain, decideGate, planRollback, type DrainStep, type RollbackPlan} from '../decide/upgrade.js'
import {decideStartCure, startCureApplies} from '../decide/start-cure.js'
import {observe, observeLife} from '../observe/observe.js'
import {runDoctorFix} from '../openclaw/doctor-fix.js'
import {gatewayRunsTurns, readGatewayWork} from '../openclaw/gateway-work.js'
import type {RefusalKind} from '../openclaw/start-refusals.js'
import type {ProgressSink} from '../progress-events.js'
import {pingInstance, pingOutcomeText} from '../ping/ping.js'
import {describeLocation, switchedText, writeFileAtomic} from './image-location.js'
import {locationBytes, type UpgradeTarget} from './preflight.js'
import {copyTree, restoreTree, treeSize} from './state-backup.js'

export type UpgradeStepName = 'drain' | 'stop' | 'backup' | 'switch' | 'recreate' | 'migrate' | 'gate' | 'ping' | 'status' | 'rollback'

export interface UpgradeStep {
  step: UpgradeStepName
  outcome: 'ok' | 'failed' | 'planned' | 'skipped'
  detail: string
  durationMs: number
}

export interface UpgradeSettings {
  image: string
  dryRun: boolean
  drainTimeoutMs: number
  gateTimeoutMs: number
  force: boolean
  /** A terminal answers the drain's question (past the drain timeout). */
  ask: ((question: string) => Promise<boolean>) | null
  /** Progress as events (progress-events.ts): each instance a step (upgradeFleet starts and ends it), each of its steps a child. */
  progress: ProgressSink
  /** The run's dir for backups and file copies (made on first use); null in a dry run. */
  runDir: () => string | null
  /** Incident log records (no-op in a dry run). */
  record: (event: string, data: Record<string, unknown>) => void
  /** Files this run switched (shared by every instance of the run): file -> its bytes before the run's first write. */
  switched: Map<string, Buffer>
  /** Instances of this run already upgraded, by the file that names their image (for a rollback's drift report). */
  upgradedBy: Map<string, string[]>
}

export interface InstanceUpgrade {
  name: string
  container: string
  service: string
  group: string | null
  from: {image: string | null; version: string | null}
  to: {image: string; version: string | null}
  location: string | null
  notes: string[]
  /** upgraded: passed the gate on the new image; skipped: already on it; gave-up: the drain did not end, nothing changed; rolled-back: the gate failed and the old version answers again; failed: the rollback did not bring it back either; planned: a dry run. */
  outcome: 'upgraded' | 'skipped' | 'gave-up' | 'rolled-back' | 'failed' | 'planned'
  /** Why it did not pass (null when it did). */
  failure: string | null
  steps: UpgradeStep[]
  /** The wait for in-flight work before the stop, and the stop. */
  drainMs: number | null
  /** From the stop to the gate's ping answering (null when it never answered). */
  downtimeMs: number | null
  /** none, by the gateway itself at its start, or doctor --fix. */
  migration: 'none' | 'at-start' | 'doctor-fix' | null
  /** How the old gateway's stop ended, from its boot rows (2026.8+), when read. */
  stopEnd: string | null
  backup: string | null
  rollback: (RollbackPlan & {outcome: 'answering' | 'failed' | 'planned'; detail: string; drift: string[]}) | null
}

const msg = (e: unknown) => (e as Error)?.message ?? String(e)

class Steps {
  readonly list: UpgradeStep[] = []
  private n = 0
  /** The id of the step that started and has not finished (act), else null. */
  private open: string | null = null
  constructor(
    private readonly name: string,
    private readonly s: UpgradeSettings,
  ) {}
  private start(step: UpgradeStepName, title: string): string {
    const id = `${this.name}/${++this.n}`
    this.s.progress({type: 'started', id, parent: this.name, instance: this.name, title: title ? `${step}: ${title}` : step})
    return id
  }
  add(step: UpgradeStepName, outcome: UpgradeStep['outcome'], detail: string, durationMs = 0): UpgradeStep {
    const r = {step, outcome, detail, durationMs}
    this.list.push(r)
    // A step with no plan line (the gate, the ping, the rollback's parts) starts under its name alone.
    const id = this.open ?? this.start(step, '')
    this.open = null
    this.s.progress({type: 'finished', id, outcome, title: `${step}: ${detail}`})
    return r
  }
  /** Runs a change (or records it as planned in a dry run); a throw is the step's failure. */
  async act<T>(
    step: UpgradeStepName,
    plan: string,
    fn: () => Promise<{value: T; detail: string}>,
  ): Promise<{ok: true; value: T | null} | {ok: false; error: string}> {
    if (this.s.dryRun) {
      this.add(step, 'planned', plan)
      return {ok: true, value: null}
    }
    this.open = this.start(step, plan)
    const t0 = Date.now()
    try {
      const {value, detail} = await fn()
      this.add(step, 'ok', detail, Date.now() - t0)
      return {ok: true, value}
    } catch (error) {
      this.add(step, 'failed', msg(error), Date.now() - t0)
      return {ok: false, error: msg(error)}
    }
  }
}

/** The work in flight: the gateway's own answer (2026.8+), else the session locks of exec'd turns (before 2026.8). */
async function readWork(fleet: Fleet, t: UpgradeTarget): Promise<{work: 'idle' | 'busy' | 'unknown'; detail: string}> {
  const c = t.container
  if (!c || c.state !== 'running') return {work: 'idle', detail: `container ${c?.state ?? 'missing'}: no work in flight`}
  if (gatewayRunsTurns(t.currentVersion)) {
    const w = await readGatewayWork(t.handle, c.name, Math.max(60_000, fleet.locks.probeTimeoutMs), t.currentVersion)
    if (!w || !w.known) return {work: 'unknown', detail: `the gateway's work is unknown: ${w && !w.known ? w.reason : 'not read'}`}
    return w.active === 0
      ? {work: 'idle', detail: 'the gateway reports no active work'}
      : {work: 'busy', detail: `${w.active} active (${w.summary ?? 'in flight'})`}
  }
  const obs = await observe(fleet, [t.inst], {logs: false, leases: false})
  const s = obs.instances[0]
  const unknown = s.locks.filter((l) => l.verdict === 'unknown')
  const busy = s.locks.filter((l) => ['live', 'hung', 'orphan', 'conflict'].includes(l.verdict))
  if (busy.length > 0)
    return {work: 'busy', detail: `${busy.length} session lock(s) held (${busy.map((l) => `${l.verdict} ${path.basename(l.path)}`).join(', ')})`}
  if (unknown.length > 0 || s.unlisted.length > 0)
    return {work: 'unknown', detail: `${unknown.length} lock(s) whose holder is unknown${s.unlisted.length ? `, ${s.unlisted.length} unlisted dir(s)` : ''}`}
  return {work: 'idle', detail: 'no live session lock'}
}

/** Waits until the work in flight is over, bounded by the drain timeout (decideDrain). */
async function drain(fleet: Fleet, t: UpgradeTarget, s: UpgradeSettings, steps: Steps): Promise<DrainStep> {
  const t0 = Date.now()
  for (;;) {
    const w = await readWork(fleet, t)
    const elapsedMs = Date.now() - t0
    let step = decideDrain({work: w.work, elapsedMs, timeoutMs: s.drainTimeoutMs, force: s.force, interactive: s.ask !== null})
    if (s.dryRun) {
      steps.add(
        'drain',
        'planned',
        w.work === 'idle' ? `${w.detail}: stop at once` : `${w.detail}: wait up to ${formatDuration(s.drainTimeoutMs)} for it to end`,
      )
      return 'stop'
    }
    if (step === 'ask' && s.ask)
      step = (await s.ask(`${t.inst.name}: still busy after ${formatDuration(elapsedMs)} (${w.detail}). Stop it anyway (its stop still drains)?`))
        ? 'stop'
        : 'give-up'
    if (step === 'stop') {
      steps.add(
        'drain',
        'ok',
        `${w.detail}${w.work === 'idle' ? '' : ', stopping anyway (--force or confirmed)'} after ${formatDuration(elapsedMs)}`,
        elapsedMs,
      )
      return step
    }
    if (step === 'give-up' || step === 'ask') {
      steps.add(
        'drain',
        'failed',
        `still busy after ${formatDuration(elapsedMs)}: ${w.detail}; nothing was changed (--drain-timeout, or --force to stop it anyway)`,
        elapsedMs,
      )
      return 'give-up'
    }
    await sleep(Math.min(5000, Math.max(500, s.drainTimeoutMs / 20)))
  }
}

/** The container of the instance now (a recreate gives it a new id; compose may name it anew when it has no container_name). */
async function currentContainer(fleet: Fleet, t: UpgradeTarget): Promise<ContainerInfo | null> {
  return (await discover(t.handle, [t.inst], fleet.groups)).byInstance.get(t.inst.id) ?? null
}

async function stopContainer(fleet: Fleet, t: UpgradeTarget, c: ContainerInfo): Promise<string> {
  return `docker stop -t ${await stopWithBudget(t.handle, c.id, fleet.restart.stopTimeoutMs)} ${c.name}`
}

async function recreate(fleet: Fleet, t: UpgradeTarget): Promise<string> {
  if (!t.group) throw new Error('no compose group')
  const verb = ['up', '-d', '--no-deps', '--force-recreate', t.service]
  const r = await runCompose(fleet, t.group, verb, t.project)
  if (r.exitCode !== 0) throw new Error(`${r.argv.join(' ')} exited ${r.exitCode}: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`)
  return r.argv.join(' ')
}

/** The recreate's argv, for the plan. */
async function recreatePlan(fleet: Fleet, t: UpgradeTarget): Promise<string> {
  if (!t.group) return 'no compose group'
  return composeArgv(await composeCommand(fleet.compose.command), t.group, ['up', '-d', '--no-deps', '--force-recreate', t.service], t.project).join(' ')
}

interface GateResult {
  ok: boolean
  detail: string
  doctorRan: boolean
  answeredAtMs: number | null
}

/** Ready (curing a start refusal with doctor --fix when decided), then the ping, then status ok. */
async function gate(fleet: Fleet, t: UpgradeTarget, s: UpgradeSettings, steps: Steps, version: string | null): Promise<GateResult> {
  const t0 = Date.now()
  const ranFor: RefusalKind[] = []
  let doctorRan = false
  for (;;) {
    const c = await currentContainer(fleet, t)
    const life = c ? await observeLife(fleet, t.handle, c) : null
    const state = life?.state ?? 'missing'
    const cure =
      life?.refusal && startCureApplies(life)
        ? decideStartCure(life, life.refusal, {version, mountOk: true, liveTurns: [], activeWork: null, doctorFixRanFor: ranFor}).cure
        : null
    const g = decideGate({life: state, cure, elapsedMs: Date.now() - t0, timeoutMs: s.gateTimeoutMs})
    if (g.step === 'ready') {
      steps.add('gate', 'ok', `ready after ${formatDuration(Date.now() - t0)} (${life?.why ?? ''})`, Date.now() - t0)
      break
    }
    if (g.step === 'fail') {
      const why = `${g.why}${life?.refusal ? `; refusal: ${life.refusal.line}` : life?.lastLine ? `; last line: ${life.lastLine}` : ''}`
      steps.add('gate', 'failed', why, Date.now() - t0)
      return {ok: false, detail: why, doctorRan, answeredAtMs: null}
    }
    if (g.step === 'doctor-fix' && c && life?.refusal) {
      ranFor.push(life.refusal.kind)
      doctorRan = true
      const d0 = Date.now()
      const r = await runDoctorFix(t.handle, c.name, {stopTimeoutMs: fleet.restart.stopTimeoutMs, port: fleet.gateway.port, refusal: life.refusal})
      steps.add('migrate', r.outcome === 'fixed' ? 'ok' : 'failed', `openclaw doctor --fix for ${life.refusal.kind}: ${r.summary}`, Date.now() - d0)
      s.record('action', {type: 'doctor-fix', instance: t.inst.name, refusal: life.refusal.kind, outcome: r.outcome, exitCode: r.oneOff?.exitCode ?? null})
      if (r.outcome !== 'fixed') return {ok: false, detail: `doctor --fix did not cure ${life.refusal.kind}: ${r.summary}`, doctorRan, answeredAtMs: null}
      continue
    }
    await sleep(3000)
  }
  const p0 = Date.now()
  const ping = await pingInstance(fleet, t.inst, fleet.ping, 1)
  steps.add('ping', ping.ok ? 'ok' : 'failed', pingOutcomeText(ping), Date.now() - p0)
  if (!ping.ok) return {ok: false, detail: `ping: ${pingOutcomeText(ping)}`, doctorRan, answeredAtMs: null}
  const answeredAtMs = Date.now()
  const st = (await observe(fleet, [t.inst])).instances[0]
  const why = st.ok
    ? `ok (${st.life.why})`
    : `not ok: ${st.life.state} (${st.life.why})${st.worst ? `, worst lock ${st.worst}` : ''}${st.errors.length ? `; ${st.errors[0]}` : ''}`
  steps.add('status', st.ok ? 'ok' : 'failed', why)
  return {ok: st.ok, detail: st.ok ? 'ready, answered the ping, status ok' : `status ${why}`, doctorRan, answeredAtMs}
}

/** The run's place for this instance's files (backups, copies of switched files). */
function instanceDir(s: UpgradeSettings, name: string, sub: string): string {
  const dir = s.runDir()
  if (!dir) throw new Error('no incident dir')
  const p = path.join(dir, 'upgrade', name, sub)
  mkdirSync(p, {recursive: true})
  return p
}

/**
 * Upgrades one instance (or plans it). Never throws: a failure is in the result. Its intent and its result are in the
 * incident log (`intent` and `action` with action/type `upgrade` and the image as target), whatever the outcome.
 */
export async function upgradeInstance(fleet: Fleet, t: UpgradeTarget, s: UpgradeSettings): Promise<InstanceUpgrade> {
  const rec = await upgradeSteps(fleet, t, s)
  if (!s.dryRun && rec.outcome !== 'skipped')
    s.record('action', {
      type: 'upgrade',
      target: s.image,
      instance: rec.name,
      outcome: rec.outcome,
      failure: rec.failure,
      from: rec.from,
      to: rec.to,
      drainMs: rec.drainMs,
      downtimeMs: rec.downtimeMs,
      migration: rec.migration,
      stopEnd: rec.stopEnd,
      backup: rec.backup,
      rollback: rec.rollback && {
        outcome: rec.rollback.outcome,
        detail: rec.rollback.detail,
        restoreFile: rec.rollback.restoreFile,
        restoreState: rec.rollback.restoreState,
        drift: rec.rollback.drift,
      },
    })
  return rec
}

async function upgradeSteps(fleet: Fleet, t: UpgradeTarget, s: UpgradeSettings): Promise<InstanceUpgrade> {
  const steps = new Steps(t.inst.name, s)
  const rec: InstanceUpgrade = {
    name: t.inst.name,
    container: t.container?.name ?? t.inst.container,
    service: t.service,
    group: t.group?.name ?? null,
    from: {image: t.currentImage, version: t.currentVersion},
    to: {image: s.image, version: t.target.version},
    location: t.location ? describeLocation(t.location) : null,
    notes: t.verdict.step.notes,
    outcome: s.dryRun ? 'planned' : 'upgraded',
    failure: null,
    steps: steps.list,
    drainMs: null,
    downtimeMs: null,
    migration: null,
    stopEnd: null,
    backup: null,
    rollback: null,
  }
  if (t.verdict.verdict === 'skip') {
    steps.add('switch', 'skipped', `already runs ${s.image} (${t.target.id?.slice(7, 19) ?? ''}) and ${rec.location} names it`)
    return {...rec, outcome: 'skipped'}
  }
  const loc = t.location
  const c = t.container
  if (!loc || !c) return {...rec, outcome: 'failed', failure: 'preflight'}
  s.record('intent', {action: 'upgrade', target: s.image, instance: t.inst.name, from: rec.from, to: rec.to, location: rec.location, notes: rec.notes})

  // 1. drain, 2. stop
  const d0 = Date.now()
  if ((await drain(fleet, t, s, steps)) === 'give-up') return {...rec, outcome: 'gave-up', failure: 'the drain did not end', drainMs: Date.now() - d0}
  const stop = await steps.act(
    'stop',
    `docker stop -t ${stopSeconds(fleet.restart.stopTimeoutMs)} ${c.name} (SIGTERM: the gateway drains what is left)`,
    async () => ({
      value: Date.now(),
      detail: await stopContainer(fleet, t, c),
    }),
  )
  rec.drainMs = s.dryRun ? null : Date.now() - d0
  const stoppedAt = stop.ok ? (stop.value ?? Date.now()) : Date.now()
  const facts = {fileSwitched: false, recreated: false, doctorRan: false, backupTaken: false, stopped: stop.ok && !s.dryRun}
  const fail = async (failure: string) => rollback(fleet, t, s, steps, rec, facts, failure)
  if (!stop.ok) return fail(`the stop failed: ${stop.error}`)

  // 3. back up the state (the gateway is stopped: its SQLite files are at rest)
  const size = s.dryRun ? treeSize(t.inst.dataDir) : null
  const backup = await steps.act(
    'backup',
    `copy ${t.inst.dataDir}${size ? ` (${size.files} files, ${Math.round(size.bytes / 1024)} KiB)` : ''} into the incident dir`,
    async () => {
      const to = instanceDir(s, t.inst.name, 'state-before')
      const n = await copyTree(t.inst.dataDir, to, 30 * 60_000)
      return {value: to, detail: `${n.files} files, ${Math.round(n.bytes / 1024)} KiB -> ${to}`}
    },
  )
  if (!backup.ok) return fail(`the backup failed: ${backup.error}`)
  rec.backup = backup.value
  facts.backupTaken = !s.dryRun

  // 4. switch the image where the operator keeps it (once per file in a run; the old bytes kept)
  // A file several services read is switched once per run: the plan says so for the later ones, as the run will.
  const once = s.switched.has(loc.file)
  if (s.dryRun && !once) s.switched.set(loc.file, Buffer.alloc(0))
  const plan = once ? `${describeLocation(loc)} already switched to ${s.image} by this run` : `${describeLocation(loc)}: ${loc.value} -> ${s.image}`
  const switched = await steps.act('switch', plan, async () => {
    const before = locationBytes(loc)
    const text = before.toString('utf8')
    const after = switchedText(text, loc, s.image)
    if (after === text) return {value: false, detail: `${describeLocation(loc)} already names ${s.image}`}
    copyFileSync(loc.file, path.join(instanceDir(s, t.inst.name, 'files'), path.basename(loc.file)))
    if (!s.switched.has(loc.file)) s.switched.set(loc.file, before)
    writeFileAtomic(loc.file, after)
    return {value: true, detail: `${describeLocation(loc)}: ${loc.value} -> ${s.image} (the old file kept in the incident dir)`}
  })
  if (!switched.ok) return fail(`the switch failed: ${switched.error}`)
  facts.fileSwitched = s.switched.has(loc.file)

  // 5. recreate the one service
  const rc = await steps.act('recreate', await recreatePlan(fleet, t), async () => ({value: true, detail: await recreate(fleet, t)}))
  facts.recreated = !s.dryRun
  if (!rc.ok) return fail(`the recreate failed: ${rc.error}`)
  if (s.dryRun) {
    steps.add(
      'gate',
      'planned',
      `ready within ${formatDuration(s.gateTimeoutMs)} (its ready line or /readyz; a start refusal doctor --fix cures is cured once), then the ping and status ok`,
    )
    const plan = planRollback({fileSwitched: true, recreated: true, doctorRan: false, backupTaken: true})
    steps.add('rollback', 'planned', `on a failed gate: ${plan.why}; the old ${describeLocation(loc)}, recreated on ${loc.value}, gated again`)
    return rec
  }

  // 6. gate
  const g = await gate(fleet, t, s, steps, t.target.version)
  facts.doctorRan = g.doctorRan
  rec.migration = g.doctorRan ? 'doctor-fix' : t.verdict.step.crossesStorage ? 'at-start' : 'none'
  if (!g.ok) return fail(g.detail)
  rec.downtimeMs = (g.answeredAtMs ?? Date.now()) - stoppedAt
  const now = await currentContainer(fleet, t)
  if (now && gatewayRunsTurns(t.currentVersion)) rec.stopEnd = (await stopOutcomeNow(t.handle, t.inst, now.name, stoppedAt - 1000, 60_000)).detail
  s.upgradedBy.set(loc.file, [...(s.upgradedBy.get(loc.file) ?? []), t.inst.name])
  return rec
}

/** Puts back what the failed upgrade changed (planRollback), then gates the old version. */
async function rollback(
  fleet: Fleet,
  t: UpgradeTarget,
  s: UpgradeSettings,
  steps: Steps,
  rec: InstanceUpgrade,
  f: {fileSwitched: boolean; recreated: boolean; doctorRan: boolean; backupTaken: boolean; stopped: boolean},
  failure: string,
): Promise<InstanceUpgrade> {
  const plan = planRollback(f)
  const loc = t.location
  const drift: string[] = []
  const done = (outcome: 'answering' | 'failed', detail: string): InstanceUpgrade => {
    const out = {
      ...rec,
      outcome: outcome === 'answering' ? ('rolled-back' as const) : ('failed' as const),
      failure,
      rollback: {...plan, outcome, detail, drift},
    }
    s.record('action', {type: 'rollback', instance: t.inst.name, failure, outcome, detail, plan, drift})
    return out
  }
  try {
    const c = await currentContainer(fleet, t)
    if (c && (plan.restoreState || plan.recreate) && ['running', 'restarting'].includes(c.state)) await stopContainer(fleet, t, c)
    if (plan.restoreState && rec.backup) {
      const r = await restoreTree(t.inst.dataDir, rec.backup, instanceDir(s, t.inst.name, 'state-after-failed-upgrade'), 30 * 60_000)
      steps.add('rollback', 'ok', `state restored from the backup (${r.restored.files} files); the state the new version left is kept (${r.kept.files} files)`)
    }
    if (plan.restoreFile && loc) {
      const old = s.switched.get(loc.file)
      if (old) {
        writeFileAtomic(loc.file, old)
        s.switched.delete(loc.file)
        for (const other of s.upgradedBy.get(loc.file) ?? [])
          drift.push(`${other} runs ${s.image}, but ${describeLocation(loc)} names ${loc.value} again: a later compose up -d recreates it on ${loc.value}`)
        steps.add('rollback', 'ok', `${describeLocation(loc)} back to ${loc.value} (its bytes as before)`)
      }
    }
    if (plan.recreate) await recreate(fleet, t)
    else if (f.stopped && c) await engineCall(t.handle, `start ${c.name}`, () => t.handle.docker.getContainer(c.id).start())
    if (!plan.recreate && !f.stopped) {
      steps.add('rollback', 'ok', plan.why)
      return done('answering', plan.why)
    }
  } catch (error) {
    steps.add('rollback', 'failed', msg(error))
    return done('failed', msg(error))
  }
  const g = await gate(fleet, t, s, steps, t.currentVersion)
  steps.add(
    'rollback',
    g.ok ? 'ok' : 'failed',
    g.ok ? `answering on ${t.currentVersion ?? loc?.value} again: ${plan.why}` : `the old version does not answer either: ${g.detail}`,
  )
  return done(g.ok ? 'answering' : 'failed', g.ok ? plan.why : g.detail)
}

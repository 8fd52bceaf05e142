/**
 * heal's `cure start` step: for a gateway whose life carries a start refusal (decide/start-cure.ts startCureApplies),
 * follow the start-cure decision, round by round, on fresh observations:
 * - `doctor-fix`: stop the gateway, run `openclaw doctor --fix` in a one-off of its image and mounts with
 *   OPENCLAW_SERVICE_REPAIR_POLICY=external, start it again and wait until ready (openclaw/doctor-fix.ts); at most once
 *   per refusal kind per heal (the decision refuses a second run: no loop); then observe again;
 * - `wait`: wait until the gateway is ready, within the start budget (fleet.gateway.startBudget); never a restart; at
 *   most MAX_START_WAITS waits, then observe again;
 * - `none`: nothing is changed; the refusal's hint is the step's failure (exit 1).
 * Every change goes through the heal's effects (HealEffects): a dry run records the first round's action as planned
 * and changes nothing. Each round goes into the incident log as a `start-cure` event (decision, why, hint, doctor's
 * exit code, outcome, what doctor changed in openclaw.json).
 */
import {readFileSync} from 'node:fs'
import path from 'node:path'
import type {Fleet, Instance} from '../config/model.js'
import {formatDuration} from '../config/duration.js'
import {dockerFor} from '../docker/client.js'
import {stopSeconds} from '../docker/restart-gateway.js'
import type {StartCure} from '../decide/start-cure.js'
import {configChanges, describeConfigChanges, type ConfigChange, type ConfigChanges} from '../openclaw/config-changes.js'
import {DEFAULT_DOCTOR_FIX_TIMEOUT_MS, DOCTOR_FIX_COMMAND, runDoctorFix, SERVICE_REPAIR_POLICY_ENV, type DoctorFixResult} from '../openclaw/doctor-fix.js'
import {readGatewayWork} from '../openclaw/gateway-work.js'
import type {RefusalKind, StartRefusal} from '../openclaw/start-refusals.js'
import {waitUp, type ActionRecord, type HealEffects} from './steps.js'
import {decideFor} from './start-cure.js'
import type {InstanceStatus} from '../observe/status-model.js'

/** One decision of the step and what came of it. */
export interface StartCureRound {
  /** The life-cycle state the decision read, and the refusal (null: one logged before doctor's start, which is over). */
  life: string
  refusal: {kind: RefusalKind; line: string} | null
  decision: StartCure
  why: string
  hint: string | null
  /** The doctor run (doctor-fix, not in a dry run). */
  doctor?: {
    outcome: DoctorFixResult['outcome']
    exitCode: number | null
    timedOut: boolean
    durationMs: number
    started: boolean
    ready: boolean | null
    summary: string
    /** The tail of doctor's output. */
    output: string
    config: ConfigChanges
  }
  /** The wait (wait, not in a dry run). */
  wait?: {ok: boolean; detail: string; waitedMs: number}
}

export interface StartCureReport {
  rounds: StartCureRound[]
  /** ready: the gateway says it is ready; planned: a dry run's plan; not-cured: what it needs is in detail; interrupted: a signal. */
  outcome: 'ready' | 'planned' | 'not-cured' | 'interrupted'
  detail: string
  /** Settings doctor --fix changed in openclaw.json outside its meta stamp: what an operator configured and must know changed. */
  configChanged: ConfigChange[]
  /** A dry run: the condition the steps after it depend on. */
  condition?: string
}

export interface HealStartCureContext {
  fleet: Fleet
  fx: HealEffects
  inst: Instance
  status: InstanceStatus
  actions: ActionRecord[]
  /** A fresh observation of the instance (with its log: the refusal is read there). */
  observeAgain: () => Promise<InstanceStatus>
  signal?: AbortSignal
  doctorTimeoutMs?: number
}

/** Hard bound on the rounds (each doctor kind runs once and waits are bounded already; this only guards the loop). */
const MAX_ROUNDS = 6

/** openclaw.json of the instance, read on this machine (null: a remote host, or unreadable). */
function readConfig(inst: Instance): string | null {
  if (inst.lockAccess !== 'host') return null
  try {
    return readFileSync(path.join(inst.dataDir, 'openclaw.json'), 'utf8')
  } catch {
    return null
  }
}

const userChanges = (c: ConfigChanges) => c.changes.filter((x) => x.path !== 'meta' && !x.path.startsWith('meta.'))

/** The `cure start` step (see the module comment). Throws only what the effects throw (the engine gone). */
export async function healStartCure(ctx: HealStartCureContext): Promise<StartCureReport> {
  const {fleet, fx, inst, actions, signal} = ctx
  const handle = dockerFor(inst.docker)
  const budget = fleet.gateway.startBudgetMs
  const report: StartCureReport = {rounds: [], outcome: 'not-cured', detail: '', configChanged: []}
  const end = (outcome: StartCureReport['outcome'], detail: string, condition?: string) => {
    report.outcome = outcome
    report.detail = detail
    if (condition) report.condition = condition
    return report
  }
  const logRound = (r: StartCureRound, n: number, outcome: string) =>
    fx.log.write('start-cure', {
      instance: inst.name,
      round: n,
      life: r.life,
      refusal: r.refusal,
      decision: r.decision,
      why: r.why,
      hint: r.hint,
      ...(r.doctor
        ? {
            doctor: {
              exitCode: r.doctor.exitCode,
              outcome: r.doctor.outcome,
              timedOut: r.doctor.timedOut,
              durationMs: r.doctor.durationMs,
              started: r.doctor.started,
              ready: r.doctor.ready,
              summary: r.doctor.summary,
              output: r.doctor.output,
            },
            configChanges: r.doctor.config,
          }
        : {}),
      ...(r.wait ? {wait: r.wait} : {}),
      outcome,
    })
  let st = ctx.status
  const ranFor: RefusalKind[] = []
  let waits = 0
  /** After a doctor run started the gateway again: a refusal logged before that start is over. */
  let freshAfterMs: number | null = null
  for (let n = 1; n <= MAX_ROUNDS; n++) {
    if (signal?.aborted) return end('interrupted', `interrupted by ${String(signal.reason)}`)
    if (n > 1 && st.life.readiness.state === 'ready') return end('ready', `ready: ${st.life.why}`)
    const seen = st.life.refusal
    const refusal: StartRefusal | null = seen && freshAfterMs !== null && (seen.atMs ?? 0) < freshAfterMs ? null : seen
    if (n > 1 && refusal === null)
      return end(
        'not-cured',
        `not ready within the start budget (${formatDuration(budget)}) after doctor --fix, and no new refusal: ${st.life.state}: ${st.life.why}`,
      )
    let d = decideFor(st, {doctorFixRanFor: ranFor, waits}, refusal)
    // The cure stops the gateway: a running 2026.8+ gateway is asked for its work first (turns run inside it).
    if (d.cure === 'doctor-fix' && st.state === 'running' && !fx.dryRun) {
      const work = await readGatewayWork(handle, st.container, Math.max(60_000, fleet.locks.probeTimeoutMs), st.openclaw.version)
      if (work) fx.log.write('gateway-work', {instance: inst.name, active: work.active, known: work.known, ...(work.known ? {} : {reason: work.reason})})
      if (work?.known) d = decideFor(st, {activeWork: work.active, doctorFixRanFor: ranFor, waits}, refusal)
    }
    const r: StartCureRound = {life: st.life.state, refusal: refusal && {kind: refusal.kind, line: refusal.line}, decision: d.cure, why: d.why, hint: d.hint}
    report.rounds.push(r)
    if (d.cure === 'none') {
      logRound(r, n, 'not-cured')
      return end('not-cured', `${d.why}${d.hint ? ` (${d.hint})` : ''}`)
    }
    if (d.cure === 'wait') {
      waits++
      const w = await waitUp(fleet, fx, inst, st.container, 0, budget, actions, signal)
      if (fx.dryRun) {
        logRound(r, n, 'planned')
        return end(
          'planned',
          `planned: wait up to ${formatDuration(budget)} for the start to clear by itself, never a restart (${d.why})`,
          'if the start clears by itself within the start budget',
        )
      }
      r.wait = {ok: w.ok, detail: w.detail, waitedMs: w.waitedMs}
      logRound(r, n, w.ok ? 'ready' : w.aborted ? 'interrupted' : 'not-ready')
      if (w.ok) return end('ready', `waited ${formatDuration(w.waitedMs)} (${d.why}): ${w.detail}`)
      if (w.aborted) return end('interrupted', w.detail)
      st = await ctx.observeAgain()
      continue
    }
    // doctor-fix: once per refusal kind in this heal (the decision refuses a second run).
    const kind: RefusalKind = refusal!.kind
    ranFor.push(kind)
    const before = fx.dryRun ? null : readConfig(inst)
    const started = Date.now()
    const run: DoctorFixResult | null = await fx.act<DoctorFixResult | null>(inst, actions, {
      type: 'start-cure',
      target: st.container,
      intent: {
        cure: 'doctor-fix',
        refusal: kind,
        line: refusal!.line,
        why: d.why,
        command: DOCTOR_FIX_COMMAND,
        policy: `${SERVICE_REPAIR_POLICY_ENV}=external`,
      },
      run: () =>
        runDoctorFix(handle, st.container, {
          stopTimeoutMs: fleet.restart.stopTimeoutMs,
          timeoutMs: ctx.doctorTimeoutMs ?? DEFAULT_DOCTOR_FIX_TIMEOUT_MS,
          waitReadyMs: budget,
          port: fleet.gateway.port,
          refusal: refusal!,
          signal,
        }),
      result: (x) =>
        x === null
          ? {outcome: 'planned'}
          : {outcome: x.ok ? 'cured' : x.outcome, detail: `doctor exit ${x.oneOff?.exitCode ?? '-'}: ${x.summary}`, durationMs: Date.now() - started},
      planned: null as DoctorFixResult | null,
      plannedDetail: `stop the gateway (docker stop -t ${stopSeconds(fleet.restart.stopTimeoutMs)}), ${DOCTOR_FIX_COMMAND.join(' ')} in a one-off of its image and mounts with ${SERVICE_REPAIR_POLICY_ENV}=external, start it again, wait until ready (at most ${formatDuration(budget)}); once for ${kind}`,
    })
    if (!run) {
      logRound(r, n, 'planned')
      return end('planned', `planned: openclaw doctor --fix for ${kind}, once (${d.why})`, 'if doctor --fix cures the start')
    }
    const config = configChanges(before, readConfig(inst))
    report.configChanged.push(...userChanges(config))
    r.doctor = {
      outcome: run.outcome,
      exitCode: run.oneOff?.exitCode ?? null,
      timedOut: run.oneOff?.timedOut ?? false,
      durationMs: run.oneOff?.durationMs ?? 0,
      started: run.start.started,
      ready: run.ready ? run.ready.ok : null,
      summary: run.summary,
      output: run.oneOff?.output ?? '',
      config,
    }
    logRound(r, n, run.ok ? 'cured' : run.outcome)
    const said = `doctor --fix for ${kind}: exit ${r.doctor.exitCode ?? '-'} in ${formatDuration(r.doctor.durationMs)}; ${describeConfigChanges(config)}`
    if (run.ok) return end('ready', `${said}; started again: ${run.ready?.detail ?? 'started'}`)
    if (!run.start.started) return end('not-cured', `${said}; ${run.start.detail}${run.error ? ` (${run.error})` : ''}`)
    if (signal?.aborted) return end('interrupted', `${said}; ${run.summary}`)
    freshAfterMs = Date.now() - (run.ready?.waitedMs ?? 0) - 2000
    st = await ctx.observeAgain()
  }
  return end('not-cured', `still not ready after ${MAX_ROUNDS} rounds of the start cure`)
}

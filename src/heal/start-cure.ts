/**
 * The entry point heal wires in for a gateway that refuses to start: decide (decide/start-cure.ts), and when the cure
 * is `doctor-fix`, run it (openclaw/doctor-fix.ts). One call per instance per heal step; the caller keeps one
 * `doctorFixRanFor` list per instance for the whole heal (this function appends to it before it runs doctor), which
 * is what makes a second run for the same refusal impossible (no loop).
 *
 * After a `doctor-fix` run the caller observes the instance again: a gateway started again is in a fresh start
 * (RestartCount reset by `docker start`), so the life rule judges it anew; a refusal that comes back is not cured a
 * second time (the decision says so).
 *
 *   const ranFor = doctorFixRanFor.get(inst.id) ?? []            // per instance, for this heal
 *   doctorFixRanFor.set(inst.id, ranFor)
 *   const cure = await cureStartRefusal({fleet, handle, status, activeWork, doctorFixRanFor: ranFor, signal})
 *   // cure.decision: {cure: 'doctor-fix' | 'wait' | 'none', why, hint}
 *   // cure.run: DoctorFixResult | null (null unless cure.decision.cure === 'doctor-fix')
 *   // healed when cure.run?.ok; cure.run.start.started false means the gateway was left stopped (cure.run.start.detail says why)
 */
import type {Fleet} from '../config/model.js'
import type {DockerHandle} from '../docker/client.js'
import {decideStartCure, startCureApplies, type StartCureDecision} from '../decide/start-cure.js'
import {DEFAULT_DOCTOR_FIX_TIMEOUT_MS, runDoctorFix, type DoctorFixResult} from '../openclaw/doctor-fix.js'
import type {RefusalKind} from '../openclaw/start-refusals.js'
import {observedFacts} from '../decide/restart.js'
import type {InstanceStatus} from '../observe/status-model.js'

export interface StartCureInput {
  fleet: Pick<Fleet, 'restart' | 'gateway'>
  /** The instance's Docker host (dockerFor(inst.docker), or byDockerHost's handle). */
  handle: DockerHandle
  /** The instance as just observed (observe.ts). */
  status: Pick<InstanceStatus, 'container' | 'state' | 'locks' | 'openclaw' | 'life' | 'mount'>
  /** Active work the gateway reported (gateway-work), null when not read. A refusing gateway usually cannot answer. */
  activeWork?: number | null
  /** Refusal kinds doctor --fix already ran for on this instance in this heal; appended to before a run. */
  doctorFixRanFor: RefusalKind[]
  /** Waits heal already made for this instance's start in this heal (decide/start-cure.ts bounds them). */
  waits?: number
  /** Bound of the doctor run (default 10 min). */
  doctorTimeoutMs?: number
  /** How long to wait for the gateway to be ready after it is started again (default fleet.gateway.startBudgetMs; 0: no wait). */
  waitReadyMs?: number
  signal?: AbortSignal
}

export interface StartCureOutcome {
  decision: StartCureDecision
  /** The doctor run, when the decision was doctor-fix. */
  run: DoctorFixResult | null
}

type Observed = Pick<InstanceStatus, 'state' | 'locks' | 'openclaw' | 'life' | 'mount'>

/** Pure: the start-cure decision for an observation and what this heal already did for it (doctor runs, waits). */
export function decideFor(
  status: Observed,
  done: {activeWork?: number | null; doctorFixRanFor: readonly RefusalKind[]; waits?: number},
  refusal = status.life.refusal,
): StartCureDecision {
  const observed = observedFacts(status)
  return decideStartCure(status.life, refusal, {
    version: status.openclaw.version,
    mountOk: observed.mountOk,
    liveTurns: observed.liveTurns,
    activeWork: done.activeWork ?? null,
    doctorFixRanFor: done.doctorFixRanFor,
    waits: done.waits ?? 0,
  })
}

/** Decide the cure of a start refusal and, for `doctor-fix`, run it. Never throws (runDoctorFix never does). */
export async function cureStartRefusal(input: StartCureInput): Promise<StartCureOutcome> {
  const {status} = input
  const decision = decideFor(status, input)
  if (decision.cure !== 'doctor-fix' || !status.life.refusal) return {decision, run: null}
  input.doctorFixRanFor.push(status.life.refusal.kind)
  const run = await runDoctorFix(input.handle, status.container, {
    stopTimeoutMs: input.fleet.restart.stopTimeoutMs,
    timeoutMs: input.doctorTimeoutMs ?? DEFAULT_DOCTOR_FIX_TIMEOUT_MS,
    waitReadyMs: input.waitReadyMs ?? input.fleet.gateway.startBudgetMs,
    port: input.fleet.gateway.port,
    refusal: status.life.refusal,
    signal: input.signal,
  })
  return {decision, run}
}

/** Pure: the first decision heal takes for an instance's start refusal from its observation (what a dry run plans); null when heal has no `cure start` step for it. */
export function firstStartCure(status: Observed): StartCureDecision | null {
  return startCureApplies(status.life) ? decideFor(status, {doctorFixRanFor: []}) : null
}

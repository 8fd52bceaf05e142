/**
 * What heal does about a gateway that refuses to start: run `openclaw doctor --fix` the way OpenClaw documents for
 * containers, wait, or nothing (report). Pure: the life-cycle state, the refusal seen in its log and the facts in, a
 * decision out. The I/O is src/openclaw/doctor-fix.ts.
 *
 * The evidence behind each case (shared/openclaw-facts.md "The 2026.9 life cycle", issue 25 "Failed starts and their
 * cures", the 2026.9.6 package's docs/install/docker.md and docs/cli/doctor/{running,checks,recovery}.md):
 * - no refusal, or a gateway that is `ready`: nothing to cure (a refusal logged before its current ready start is
 *   over; a `ready` gateway serves, and stopping it for a repair would take it down for nothing) → `none`.
 * - refusal cure `wait` (start-up migration lease held, agent-db maintenance, lease heartbeat under load): each
 *   clears by itself (the migration lease has a 5 min TTL, upstream #155644; maintenance holds its own lease, #134341;
 *   a later start usually succeeds after a heartbeat refusal, seen live on 2026.9.6). A doctor run would contend with
 *   the same leases → `wait`.
 * - refusal cure `operator` / `locks` / `channels` (a downgrade's newer database, openat2 ENOSYS, the disk, a gateway
 *   lock, the suppressed channels): `openclaw doctor --fix` cures none of them (a newer schema makes Doctor refuse
 *   too, docs/cli/doctor/running.md; openat2 is an env knob, #154941; a full disk needs space) → `none`, with the
 *   refusal's own hint.
 * - a gateway that says it is ready (readiness) while `failing` (the breaker keeps its channels down): it serves →
 *   `none` (heal's `start channels` step owns that).
 * - refusal cure `doctor-fix` (start-up migrations incomplete, incomplete schema #150797, legacy workspace state
 *   #135590, start-up maintenance required: each line itself says "run openclaw doctor --fix"), and only when all of:
 *   - the OpenClaw version is known and 2026.8+: these refusals, the one-off form ("run the same image once with
 *     `openclaw doctor --fix` as the container command, using the same state/config mounts", docs/install/docker.md)
 *     and `OPENCLAW_SERVICE_REPAIR_POLICY=external` were read in the 2026.9.6 package (the policy's code is in its
 *     `doctor-service-repair-policy` module); before 2026.8 `openclaw doctor --fix` only sweeps stale session lock
 *     files, and an unknown version makes fleet only report (as the restart rule does);
 *   - the container keeps its state in the configured dataDir (mount ok): otherwise fleet judged other files than
 *     the ones doctor would repair (the restart rule's guard);
 *   - no live work: no live turn holding a lock and no active work the gateway reported. The cure stops the gateway
 *     (doctor refuses while it runs: "Doctor could not enter maintenance … another OpenClaw process owns
 *     gateway-lifecycle", seen live), which would end them;
 *   - doctor --fix has not run for this refusal kind yet in this heal: when the gateway still refuses the same way
 *     after one run, the repair needs a person ("Repeating the same repair invocation cannot resolve these
 *     conditions", docs/cli/doctor/running.md); a second run would be a loop;
 *   - the gateway is `failing` (running past its start budget, or a refusal of this start that a restart does not
 *     cure) or in a `crash-loop` (the restart policy restarted it crashLoopRestarts times in the window): the refusal
 *     is the gateway's current state, proven by more than one line → `doctor-fix`.
 *   `starting` and `restarting` (the policy restarted it, not yet a loop) → `wait`: the 9.6 gateway migrates by itself
 *   on a later start after an upgrade (seen live: "9.6 then migrated by itself on a later start"), so one refusal is
 *   not yet proof. Except `restarting` on a refusal OpenClaw's start never clears (NEVER_CLEARS_BY_ITSELF:
 *   `maintenance-required`, 2026.9.6's StartupMaintenanceRequiredError path, exit 78, where the automatic repair
 *   refuses the state by design; seen live: every start refused the same way) → `doctor-fix`: waiting only adds
 *   refused starts. (`starting` stays `wait`: after a manual `docker start` the refusal in the window may predate a
 *   repair.) Waits are bounded: after MAX_START_WAITS waits in one heal (each within the start budget) → `none`. `stopped`, `paused`, `missing`, `unreachable`, `unverified` → `none`: not a start that refuses
 *   now, or fleet cannot tell (the restart rule and the operator own those).
 */
import type {Life} from '../openclaw/gateway-life.js'
import type {RefusalKind, StartRefusal} from '../openclaw/start-refusals.js'
import {parseOpenClawVersion, versionCan} from '../openclaw/version.js'

export type StartCure = 'doctor-fix' | 'wait' | 'none'

export interface StartCureFacts {
  /** The OpenClaw version of the instance (`2026.9.6`, or `OpenClaw 2026.9.6 (abc)`), null when unknown. */
  version: string | null
  /** The container keeps its state in the configured dataDir (InstanceStatus.mount null or ok). */
  mountOk: boolean
  /** Live turns (not the gateway) holding a lock: their pids (restart-decision's `liveTurns`). */
  liveTurns: readonly number[]
  /** Active work the gateway itself reported (gateway-work), null when not read or unknown. */
  activeWork?: number | null
  /** Refusal kinds for which `openclaw doctor --fix` already ran on this instance in this heal. */
  doctorFixRanFor: readonly RefusalKind[]
  /** Waits heal already made in this heal for this instance's start to clear by itself (each bounded by the start budget). */
  waits?: number
}

/**
 * Refusal kinds whose start never clears by itself (read in the 2026.9.6 package): `maintenance-required` is the
 * StartupMaintenanceRequiredError path (cli/gateway-cli/startup-maintenance.ts), taken when the automatic schema repair
 * refuses state that only Doctor may migrate ("Catalog presence is enough to refuse retired history", e.g. a legacy
 * `cron_run_logs` table); seen live: every start refused the same way, exit 78, 12 s after each start.
 * `startup-migrations-incomplete` is not here: seen live clearing by itself on a later start after an upgrade.
 */
export const NEVER_CLEARS_BY_ITSELF: ReadonlySet<RefusalKind> = new Set<RefusalKind>(['maintenance-required'])

/** How often heal waits (each within the start budget) for a start refusal to clear by itself, per instance and heal. */
export const MAX_START_WAITS = 2

export interface StartCureDecision {
  cure: StartCure
  /** Why, for a person (and the incident log). */
  why: string
  /** What to do, when fleet does not cure it (or what to look at after). */
  hint: string | null
}

/** The first release line where the doctor-fix cure is read and documented (2026.8+). Pure. */
export function doctorFixSupported(version: string | null): boolean {
  const v = version === null ? null : parseOpenClawVersion(version)
  return v !== null && versionCan(v, 'doctor-fix')
}

/**
 * Pure: whether heal runs its `cure start` step for a gateway: its life carries a start refusal, it is not ready, and
 * it is in a start (starting, restarting, crash-loop, failing). Not for a refusal another step owns: a gateway lock
 * (`locks`: heal's lock rules judge and remove it) or channels the crash-loop breaker kept down (`channels`: heal's
 * `start channels` step); not for a stopped, paused, missing or unreachable container (the restart rule and the
 * refusals of heal own those).
 */
export function startCureApplies(life: Pick<Life, 'state' | 'refusal'> & {readiness: Pick<Life['readiness'], 'state'>}): boolean {
  if (!life.refusal || life.readiness.state === 'ready') return false
  if (life.refusal.cure === 'locks' || life.refusal.cure === 'channels') return false
  return life.state === 'starting' || life.state === 'restarting' || life.state === 'crash-loop' || life.state === 'failing'
}

/** Pure: the cure for one gateway's start refusal (see the module comment for the evidence behind every case). */
export function decideStartCure(
  life: Pick<Life, 'state' | 'why'> & {readiness?: Pick<Life['readiness'], 'state'>},
  refusal: StartRefusal | null,
  facts: StartCureFacts,
): StartCureDecision {
  const none = (why: string, hint: string | null = null): StartCureDecision => ({cure: 'none', why, hint})
  const waits = facts.waits ?? 0
  // Waiting is bounded: after MAX_START_WAITS waits, each within the start budget, the start does not clear by itself.
  const wait = (why: string, hint: string | null): StartCureDecision =>
    waits >= MAX_START_WAITS
      ? none(`${why}; but heal already waited ${waits} time(s) within the start budget and it is still not ready: fleet does not wait again`, hint)
      : {cure: 'wait', why, hint}
  if (refusal === null) return none('no start refusal in its log')
  if (life.state === 'ready') return none(`the gateway is ready (${life.why}): the refusal (${refusal.kind}) is over`)
  // Ready but failing (channels kept down by the breaker): it serves; stopping it for a repair would take it down.
  if (life.readiness?.state === 'ready')
    return none(`the gateway says it is ready (${life.why}): the refusal (${refusal.kind}) is not its state now`, refusal.hint)
  if (refusal.cure === 'wait') return wait(`${refusal.kind} clears by itself: ${refusal.line}`, refusal.hint)
  if (refusal.cure !== 'doctor-fix') return none(`${refusal.kind}: openclaw doctor --fix does not cure it`, refusal.hint)
  if (facts.version === null) return none(`${refusal.kind}: the OpenClaw version is unknown: fleet only reports`, refusal.hint)
  if (!doctorFixSupported(facts.version))
    return none(`${refusal.kind}: OpenClaw ${facts.version} is older than 2026.8: fleet runs doctor --fix only where it was read (2026.8+)`, refusal.hint)
  if (!facts.mountOk)
    return none(
      `${refusal.kind}: its container does not keep its state in the configured dataDir: fleet judged other files`,
      'fix dataDir or the volume first (fleet status names both)',
    )
  if (facts.liveTurns.length > 0)
    return none(
      `${refusal.kind}: live turns hold locks (${facts.liveTurns.map((p) => `pid ${p}`).join(', ')}): stopping the gateway for doctor --fix would end them`,
      refusal.hint,
    )
  if (facts.activeWork != null && facts.activeWork > 0)
    return none(`${refusal.kind}: the gateway reports ${facts.activeWork} active work item(s): stopping it for doctor --fix would end them`, refusal.hint)
  if (facts.doctorFixRanFor.includes(refusal.kind))
    return none(
      `${refusal.kind}: openclaw doctor --fix already ran for it in this heal and the gateway still refuses: another run would be a loop`,
      `read doctor's output (in the heal report) and the refusal line: ${refusal.line}`,
    )
  if (life.state === 'failing' || life.state === 'crash-loop')
    return {
      cure: 'doctor-fix',
      why: `${life.state} with ${refusal.kind} (${refusal.line}): its line asks for openclaw doctor --fix, which a restart does not replace`,
      hint: null,
    }
  // A refusal OpenClaw's own start never clears (the automatic path refuses the state by design, exit 78) is proven
  // by one refused start the restart policy repeats: waiting for it only adds starts that refuse.
  if (life.state === 'restarting' && NEVER_CLEARS_BY_ITSELF.has(refusal.kind))
    return {
      cure: 'doctor-fix',
      why: `restarting with ${refusal.kind} (${refusal.line}): OpenClaw's automatic start-up repair refuses this state by design, so the next start refuses the same way`,
      hint: null,
    }
  if (life.state === 'starting' || life.state === 'restarting')
    return wait(`${life.state} (${life.why}): one refused start is no proof yet (2026.9 migrates by itself on a later start)`, refusal.hint)
  return none(`the gateway is ${life.state} (${life.why}): no start to cure now`, refusal.hint)
}

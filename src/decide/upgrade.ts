/**
 * The decisions of `fleet upgrade`, pure: the order of the rollout, what preflight refuses, when the drain may stop a
 * gateway, what the gate says of a recreated gateway, and what a rollback restores. The backend
 * (upgrade/upgrade.ts) reads the facts and does what these say; nothing here touches Docker or a file.
 *
 * Evidence behind the rules (../shared/openclaw-facts.md, "The 2026.9 life cycle"):
 * - from 2026.8 turns run inside the gateway: a stop ends them unless the gateway drained first. So the drain waits
 *   until the gateway says it has no active work (gateway.restart.preflight), and even then stops with the stop
 *   budget, within which SIGTERM drains what came in meanwhile. Work fleet cannot read is work it must assume.
 * - before 2026.8 a turn is an exec'd `openclaw agent` holding a `.jsonl.lock`: a live or unknown lock is work.
 * - 2026.8 moved sessions from JSONL files to SQLite; a later version may refuse the state of an older one and ask for
 *   `openclaw doctor --fix` (start refusals); a database newer than the build refuses to start after a downgrade
 *   (exit 78): fleet refuses downgrades.
 * - `/healthz` is liveness only: the gate is readiness (ready line or /readyz), then a real turn (the ping).
 */
import {parseOpenClawVersion, versionCan, type OpenClawVersion} from '../openclaw/version.js'
import type {LifeState} from '../openclaw/gateway-life.js'
import type {StartCure} from './start-cure.js'

// ---- the version step -------------------------------------------------------------------------------------------

export type UpgradeDirection = 'upgrade' | 'same' | 'downgrade' | 'unknown'

export interface VersionStep {
  from: string | null
  to: string | null
  direction: UpgradeDirection
  /** Sessions move from JSONL files to SQLite (from before 2026.8 to 2026.8 or later). */
  crossesStorage: boolean
  /** What the plan says about this step, for a person. */
  notes: string[]
}

const order = (a: OpenClawVersion, b: OpenClawVersion): number => a.year - b.year || a.minor - b.minor || a.patch - b.patch

/** Pure: what moving from one OpenClaw version to another means (null: unknown). */
export function versionStep(from: string | null, to: string | null): VersionStep {
  const a = from === null ? null : parseOpenClawVersion(from)
  const b = to === null ? null : parseOpenClawVersion(to)
  if (!a || !b) return {from, to, direction: 'unknown', crossesStorage: false, notes: []}
  const cmp = order(a, b)
  const direction: UpgradeDirection = cmp < 0 ? 'upgrade' : cmp === 0 ? 'same' : 'downgrade'
  const crossesStorage = !versionCan(a, 'sqlite-sessions') && versionCan(b, 'sqlite-sessions')
  const notes: string[] = []
  if (crossesStorage)
    notes.push(
      `storage changes: ${a.raw} keeps sessions in JSONL files, ${b.raw} in SQLite; the new gateway migrates them at its first start, or refuses and asks for openclaw doctor --fix (fleet runs it)`,
    )
  if (!versionCan(a, 'turns-in-gateway') && versionCan(b, 'turns-in-gateway'))
    notes.push(`turns move inside the gateway: from ${b.raw} a stop ends turns in flight unless it drains (fleet drains first)`)
  if (direction === 'downgrade')
    notes.push(`downgrade: a state migrated by ${a.raw} may be newer than ${b.raw} can open (it refuses to start, exit 78); fleet does not downgrade`)
  return {from: a.raw, to: b.raw, direction, crossesStorage, notes}
}

// ---- the rollout order ------------------------------------------------------------------------------------------

export interface RolloutMember {
  name: string
  /** Its compose group (null: none, which preflight refuses). */
  group: string | null
}

export interface RolloutBatch<T extends RolloutMember = RolloutMember> {
  /** `canary`, or the groups this batch upgrades. */
  label: string
  members: T[]
}

/**
 * Pure: the rollout's batches, in the order given (the fleet's config order). One canary instance first (the first
 * member), then the rest of its group, then the other groups, `groupsPerBatch` groups at a time. A member without a
 * group is a group of its own. The rollout stops at the first batch with a failure.
 */
export function rolloutBatches<T extends RolloutMember>(members: readonly T[], groupsPerBatch = 1): Array<RolloutBatch<T>> {
  if (members.length === 0) return []
  const per = Math.max(1, Math.floor(groupsPerBatch))
  const groupKey = (m: T) => m.group ?? `(${m.name})`
  const groups = new Map<string, T[]>()
  for (const m of members) groups.set(groupKey(m), [...(groups.get(groupKey(m)) ?? []), m])
  const [canary] = members
  const batches: Array<RolloutBatch<T>> = [{label: 'canary', members: [canary]}]
  const rest = [...groups.entries()].map(([key, list]) => ({key, list: list.filter((m) => m !== canary)})).filter((g) => g.list.length > 0)
  // The canary's group first: the canary proved the image on that group's files.
  const first = rest.findIndex((g) => g.key === groupKey(canary))
  if (first > 0) rest.unshift(...rest.splice(first, 1))
  for (let i = 0; i < rest.length; i += per) {
    const slice = rest.slice(i, i + per)
    batches.push({label: slice.map((g) => g.key).join(', '), members: slice.flatMap((g) => g.list)})
  }
  return batches
}

// ---- preflight --------------------------------------------------------------------------------------------------

export interface UpgradePreflightFacts {
  name: string
  /** The instance is in a compose group (fleet recreates through compose only). */
  inGroup: boolean
  /** Its container exists (a missing one has no version to upgrade from, nor a service fleet can find). */
  containerFound: boolean
  /** The state dir is on this machine (the backup is a copy on this disk). */
  stateOnHost: boolean
  stateDirExists: boolean
  /** The backup can keep the state's owners (fleet runs as root, or as the state dir's owner). */
  ownersKept: boolean
  /** The target image is on this instance's engine; its OpenClaw version (null: none found in it). */
  imageFound: boolean
  imageVersion: string | null
  /** The version the gateway runs now. */
  currentVersion: string | null
  /** Where the image is kept, or why it was not found. */
  location: {ok: true; describe: string; current: string} | {ok: false; error: string}
  /** The container already runs the target image (same image id) and the location names it. */
  alreadyThere: boolean
}

export interface UpgradePreflight {
  name: string
  /** upgrade: go; skip: already on it; refuse: a problem (exit 2, nothing changed anywhere). */
  verdict: 'upgrade' | 'skip' | 'refuse'
  problems: string[]
  step: VersionStep
}

/** Pure: whether an instance can be upgraded, with every problem found (all of them, not the first). */
export function preflightUpgrade(f: UpgradePreflightFacts): UpgradePreflight {
  const step = versionStep(f.currentVersion, f.imageVersion)
  const problems: string[] = []
  if (!f.inGroup) problems.push('not in a compose group: fleet recreates a gateway with compose only (add it to a group in the config)')
  if (!f.containerFound) problems.push('no container found: there is no running version to upgrade from')
  if (!f.imageFound) problems.push("the image is not on this instance's Docker engine (pull or load it there first)")
  else if (f.imageVersion === null) problems.push('no OpenClaw package found in the image (no package.json named openclaw in its working dir or /app)')
  if (f.containerFound && f.currentVersion === null) problems.push('the OpenClaw version it runs now is unknown: fleet cannot tell whether this is an upgrade')
  if (step.direction === 'downgrade') problems.push(`a downgrade (${step.from} -> ${step.to}): fleet does not downgrade`)
  if (!f.location.ok) problems.push(f.location.error)
  if (!f.stateOnHost) problems.push('its state dir is on a remote Docker host: the backup before the switch needs it on this machine')
  else if (!f.stateDirExists) problems.push('its state dir does not exist on this machine')
  else if (!f.ownersKept)
    problems.push(
      "its state dir belongs to another user: a copy made as this user would not keep its owners (the gateway could not write a restored state): run fleet as root or as the dir's owner",
    )
  if (problems.length > 0) return {name: f.name, verdict: 'refuse', problems, step}
  return {name: f.name, verdict: f.alreadyThere ? 'skip' : 'upgrade', problems, step}
}

// ---- a shared image location ----------------------------------------------------------------------------------

/**
 * Pure: services that read the same image location (one env variable for a whole group) but are not in this upgrade:
 * the switch changes their image too, at their next `docker compose up -d`. A note for the plan, one per location.
 */
export function sharedLocationNote(readers: readonly string[], upgraded: ReadonlySet<string>, location: string, image: string): string | null {
  const others = readers.filter((s) => !upgraded.has(s))
  if (others.length === 0) return null
  return `${location} is also the image of ${others.join(', ')}, not in this upgrade: they move to ${image} at their next docker compose up -d`
}

// ---- backup space ---------------------------------------------------------------------------------------------

/**
 * Pure: the instances whose backups do not fit on the incident dir's filesystem, in rollout order. Each instance needs
 * room for its state twice (the copy before, and on a rollback the state the new version left) and they add up (the
 * copies stay in the incident dir); a margin of 5 % of the filesystem (at least 256 MiB) stays free for everything else.
 */
export function backupsThatDoNotFit(
  sizes: ReadonlyArray<{name: string; bytes: number}>,
  fs: {freeBytes: number; totalBytes: number},
): Array<{name: string; needBytes: number}> {
  const margin = Math.max(256 * 2 ** 20, fs.totalBytes * 0.05)
  let used = 0
  const out: Array<{name: string; needBytes: number}> = []
  for (const s of sizes) {
    used += 2 * s.bytes
    if (used + margin > fs.freeBytes) out.push({name: s.name, needBytes: used + margin})
  }
  return out
}

// ---- drain ------------------------------------------------------------------------------------------------------

export interface DrainFacts {
  /** idle: proven no work; busy: work in flight; unknown: fleet could not read it (counts as work). */
  work: 'idle' | 'busy' | 'unknown'
  elapsedMs: number
  timeoutMs: number
  force: boolean
  /** A person answers on a terminal. */
  interactive: boolean
}

export type DrainStep = 'stop' | 'wait' | 'ask' | 'give-up'

/**
 * Pure: whether the drain stops the gateway now. Idle: stop (the stop still drains, with the stop budget). Work in
 * flight, or work fleet cannot read: wait, up to the drain timeout; past it, `--force` stops (the stop budget still
 * drains), a terminal asks, anything else gives up with the gateway untouched.
 */
export function decideDrain(f: DrainFacts): DrainStep {
  if (f.work === 'idle') return 'stop'
  if (f.elapsedMs < f.timeoutMs) return 'wait'
  if (f.force) return 'stop'
  return f.interactive ? 'ask' : 'give-up'
}

// ---- gate -------------------------------------------------------------------------------------------------------

export interface GateFacts {
  /** The recreated gateway's life state (openclaw/gateway-life.ts). */
  life: LifeState
  /** The start-cure decision for its refusal (null: no refusal seen). */
  cure: StartCure | null
  elapsedMs: number
  timeoutMs: number
}

export type GateStep = {step: 'ready'} | {step: 'wait'} | {step: 'doctor-fix'} | {step: 'fail'; why: string}

/**
 * Pure: what the gate does with a recreated gateway's life. Ready: go on to the ping. A refusal that doctor --fix cures
 * (and that has not had its run yet: decideStartCure says so): run it. Starting, or a refusal that clears by itself:
 * wait within the gate timeout. Anything that will not serve (a crash loop, stopped, failing past a cure, missing):
 * fail now, without waiting the timeout out.
 */
export function decideGate(f: GateFacts): GateStep {
  if (f.life === 'ready') return {step: 'ready'}
  if (f.cure === 'doctor-fix') return {step: 'doctor-fix'}
  const out = f.elapsedMs >= f.timeoutMs
  const timeout = `not ready after ${Math.round(f.timeoutMs / 1000)}s (${f.life})`
  if (f.life === 'starting' || f.life === 'unverified' || f.cure === 'wait') return out ? {step: 'fail', why: timeout} : {step: 'wait'}
  // A policy restart or two may be a slow first start that exits on its own; a crash loop is not.
  if (f.life === 'restarting' && f.cure === null) return out ? {step: 'fail', why: timeout} : {step: 'wait'}
  return {step: 'fail', why: `the gateway will not serve: ${f.life}${f.cure === 'none' ? ' (its start refusal has no cure fleet runs)' : ''}`}
}

// ---- rollback ---------------------------------------------------------------------------------------------------

export interface RollbackFacts {
  /** This instance's switch wrote the file (the old bytes are kept). */
  fileSwitched: boolean
  /** The gateway was recreated on the new image (it ran on the state, or tried to). */
  recreated: boolean
  /** doctor --fix of the new image ran on the state. */
  doctorRan: boolean
  /** The state was copied before anything changed. */
  backupTaken: boolean
}

export interface RollbackPlan {
  /** Put the old bytes of the file back. */
  restoreFile: boolean
  /** Put the state back from the backup (after keeping the state as the new version left it). */
  restoreState: boolean
  /** Recreate the gateway on the old image and gate it again. */
  recreate: boolean
  why: string
}

/**
 * Pure: what a failed upgrade's rollback restores. The file when this switch wrote it. The state when the new image
 * ran on it (it may have migrated it: the old version may not open it), and only from a backup taken before; the state
 * as the new version left it is kept beside the backup first, so nothing a user wrote on the new version is lost.
 * The gateway is recreated on the old image whenever the new one ran or the file changed.
 */
export function planRollback(f: RollbackFacts): RollbackPlan {
  const ran = f.recreated || f.doctorRan
  const restoreState = ran && f.backupTaken
  const recreate = ran || f.fileSwitched
  const why = !recreate
    ? 'nothing was changed yet: the gateway is started again as it was'
    : restoreState
      ? 'the new image ran on the state (it may have migrated it): the state before the upgrade is restored, the state it left is kept in the incident dir'
      : ran
        ? 'the new image ran on the state but no backup was taken: the state stays as the new version left it'
        : 'the new image never ran: the state is untouched'
  return {restoreFile: f.fileSwitched, restoreState, recreate, why}
}

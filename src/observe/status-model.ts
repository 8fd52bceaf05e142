/**
 * The shapes of an observation (what `fleet status` reports, and heal and watch judge from): one InstanceStatus per
 * instance, with a LockReport per lock (verdict, reasons, the evidence). Types only; observe.ts fills them.
 */
import type {ContainerInfo} from '../docker/discover.js'
import type {LockTimeoutSignature} from '../docker/logs.js'
import type {ProbeResult} from '../docker/probe.js'
import type {VersionReading} from '../openclaw/version.js'
import type {LeaseReport} from '../openclaw/leases.js'
import type {GatewayWorkReading} from '../openclaw/gateway-work.js'
import type {Life} from '../openclaw/gateway-life.js'
import type {StateMount} from '../docker/state-mount.js'
import type {StateFsStatus, StorageFault} from './state-fs.js'
import type {LockFile, LockPayload, ProcessEvidence, Reason, Verdict} from '../locks/types.js'

export interface LockReport {
  path: string
  containerPath: string
  kind: LockFile['kind']
  agent: string
  session: string
  size: number
  mtime: string
  suspicious: LockFile['suspicious'] | null
  /** Verbatim content (null when not read). */
  raw: string | null
  readError: string | null
  pid: number | null
  createdAt: string | null
  starttime: number | null
  payloadProblems: LockPayload['problems']
  verdict: Verdict
  reasons: Reason[]
  /** For `ignored` legacy locks: the verdict it would have on a JSONL version (heal --tidy removes only `stale` ones). */
  legacyVerdict?: Verdict
  /** Age used for the verdict: since createdAt (lock files), or the holder's own age (SQLite write locks). */
  ageMs: number
  evidence: {
    container: string | null
    containerRunning: boolean
    containerStartedAt: string | null
    mountedBy: string[]
    process: ProcessEvidence | null
    probeError: string | null
    /** Where the process evidence came from: `exec` in the container, or the host's `/proc` (local engines). */
    processSource: ProbeResult['source'] | null
    /** How far the lock's createdAt is ahead of its file's mtime or of now (future-createdAt), ms; null when not. */
    clockSkewMs: number | null
  }
}

export interface InstanceStatus {
  id: number
  name: string
  group: string | null
  container: string
  service: string
  /** Container state, or `missing`. */
  state: string
  health: ContainerInfo['health'] | 'unknown'
  startedAt: string | null
  uptimeMs: number | null
  restartCount: number | null
  image: string | null
  compose: ContainerInfo['compose'] | null
  foundBy: ContainerInfo['foundBy'] | null
  locks: LockReport[]
  counts: Record<Verdict, number>
  worst: Verdict | null
  /** Other running containers that see one of this instance's sessions dirs. */
  sharedWith: string[]
  logSignature: LockTimeoutSignature | null
  /** Sessions dirs that could not be listed (permissions, I/O): their locks are unknown, so the instance is not ok. */
  unlisted: string[]
  /** Other containers that mount one of this instance's sessions dirs read-only: they cannot write locks, so they are no conflict. */
  readOnlyMounts: string[]
  /** The OpenClaw that runs there (read from its package.json), and how it stores sessions. Unknown: fleet only reports. */
  openclaw: {version: string | null; storage: 'jsonl' | 'sqlite' | null; source: VersionReading['source']; error: string | null}
  /** 2026.8+: the state db's lease rows with their owners judged (report only); null when not read. */
  leases: LeaseReport[] | null
  /** Where the gateway is in its life cycle (ready, starting, restarting, crash-loop, failing, …), why, and the evidence. */
  life: Life
  /**
   * 2026.8+: the work in flight inside the gateway, as the gateway reports it (turns through the gateway, tasks, cron
   * runs): live work that no lock file shows. Absent when not asked (ObserveOptions.gatewayWork); null when the version
   * runs no turns inside the gateway or the container is not running.
   */
  work?: GatewayWorkReading | null
  /** Whether the container keeps its state in the configured dataDir (null when there is no container). */
  mount: StateMount | null
  /**
   * The filesystem under the state dir (read on this disk; `unknown` for remote engines): its space, full or read-only,
   * and what was read (type, source, mount point, free and total bytes). The one reading of it: heal's record names it from here.
   */
  stateFs: StateFsStatus
  /** A full, read-only or failing state filesystem (the fs read now, or storage errors in the log since the last good turn): not ok, never restarted. */
  storage: StorageFault | null
  errors: string[]
  /** The gateway is ready (decide/gateway-life.ts) in a container that mounts the configured dataDir, and: running, every sessions dir listed and its own, and no stale/hung/orphan/conflict lock nor one held by a stopped process. */
  ok: boolean
}

export interface ObserveOptions {
  nowMs?: number
  /** Read each container's log for the lock-timeout signature (default true). */
  logs?: boolean
  /** Read the lease rows of 2026.8+ state dbs (one exec per such container; default true). */
  leases?: boolean
  concurrency?: number
  /** RestartCount per instance id at the previous scan (watch): a count that rose means it crashed in between. */
  previousRestartCounts?: ReadonlyMap<number, number | null>
  /** When fleet last saw a turn answer on each instance (heal's or watch's ping): lock errors before it are over. */
  lastGoodTurnMs?: ReadonlyMap<number, number>
  /**
   * Ask each running 2026.8+ gateway for its active work (its restart preflight: one exec of its CLI, seconds on a
   * busy host; `status --locks`). Default false.
   */
  gatewayWork?: boolean
  /** Bound for each such call. */
  gatewayWorkTimeoutMs?: number
}

export interface Observation {
  instances: InstanceStatus[]
  /** Docker hosts that could not be reached (their instances have state `unreachable`). */
  unreachable: string[]
  /** Raw discovery, per Docker host label, for later steps. */
  containers: Map<number, ContainerInfo | null>
  durationMs: number
}

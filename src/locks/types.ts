/**
 * Shared shapes for session-lock observation and judgement.
 * Data flows: scan (host fs or in-container) -> LockFile (+ LockPayload) -> judge(lock, evidence, policy, now) -> Judgement.
 */

/**
 * `<session>.jsonl.lock` (session write lock, to 2026.7) or `sessions.json.lock` (session store index lock);
 * `gateway`: a gateway lock file `<state>/tmp/openclaw-<uid>/gateway.*.lock` (2026.8+);
 * `sqlite-writer`: the write lock of an SQLite db (2026.8+ sessions and state), held by a process (no file to delete).
 */
export type LockKind = 'session' | 'store' | 'gateway' | 'sqlite-writer'

/** Why a lock file was not parsed. */
export type SuspiciousKind = 'symlink' | 'directory' | 'too-large' | 'not-a-regular-file'

/** One lock file as found on disk (never follows symlinks; transcripts are never read). */
export interface LockFile {
  /** Path as seen by fleet (host path for local scans). */
  path: string
  /** Path inside the container (under the state dir, e.g. /home/node/.openclaw/agents/main/sessions/x.jsonl.lock). */
  containerPath: string
  kind: LockKind
  agent: string
  /** File name without `.jsonl.lock` (session id, maybe with `-topic-<id>`); `sessions.json` for the store lock. */
  session: string
  size: number
  mtimeMs: number
  /** Set when the entry is a symlink, a directory, larger than 64 KiB, or otherwise not a regular file: not read, not parsed. */
  suspicious?: SuspiciousKind
  /** Verbatim content (utf8) when read. Undefined when suspicious or unreadable. */
  raw?: string
  /** Error message when reading failed (EACCES, vanished, ...). */
  readError?: string
}

/** What could be read out of a lock payload. Every field null when absent or invalid; `problems` says which. */
export interface LockPayload {
  pid: number | null
  createdAt: string | null
  /** Parsed createdAt in epoch ms; null when missing or not a valid ISO date. */
  createdAtMs: number | null
  starttime: number | null
  /** Payload shape seen: e.g. '2026.3-2026.4.29' (pid,createdAt,starttime, no newline), '2026.5+' (trailing newline), '2026.2.x' (no starttime). */
  shape: 'v2026.2' | 'v2026.3-4' | 'v2026.5+' | 'gateway-2026.8+' | 'unknown'
  problems: PayloadProblem[]
  /** Gateway locks (2026.8+): who took it, when not the gateway itself (`agent-embedded`, `sqlite-maintenance`, ...). */
  role?: string
}

export type PayloadProblem =
  'empty' | 'invalid-json' | 'not-an-object' | 'missing-pid' | 'invalid-pid' | 'missing-createdAt' | 'invalid-createdAt' | 'invalid-starttime'

/** A process seen inside the owning container's PID namespace (from /proc). */
export interface ProcessEvidence {
  pid: number
  exists: boolean
  /** /proc/<pid>/stat field 3: R S D Z T t X I ... */
  state?: string
  ppid?: number
  /** /proc/<pid>/stat field 22 (clock ticks since boot). */
  starttime?: number
  /** /proc/<pid>/cmdline split on NUL (process.title shows here, e.g. ['openclaw-agent']). */
  cmdline?: string[]
  /** The gateway's main process: PID 1, or the child of an init (docker-init/tini) that is PID 1. */
  isMain?: boolean
  /** An `openclaw agent` / `openclaw-agent` process. */
  isAgent?: boolean
  /** What is known about the turn this process runs (set for lock holders by observe; see src/locks/turn.ts). */
  turn?: TurnEvidence
}

/**
 * The evidence about a holder's turn: whether anything still waits for it, and when it must be over.
 * A real `openclaw agent` turn is two processes: `openclaw` (started by docker exec: PPID 0 in the container)
 * and its child `openclaw-agent`, which takes the lock. The evidence follows that tree.
 */
export interface TurnEvidence {
  /** The process started by `docker exec` this holder descends from (PPID 0, not the container's pid 1), or null when it descends from pid 1 (the gateway). */
  execRoot: {pid: number; cmdline: string[]} | null
  /** `--timeout` seconds on the holder's or an ancestor's `openclaw agent` command line (0: no deadline); null when none is visible. */
  timeoutSec: number | null
  /**
   * fleet's own turn (a ping): the FLEET_EXEC_ID / FLEET_EXEC_OWNER marker in the holder's environment.
   * ownerAlive: the fleet process that started it is alive (true) or provably gone (false) on this host; null when it cannot be checked from here.
   */
  fleet: {execId: string; owner: string | null; ownerAlive: boolean | null} | null
  /** Host pids of `docker exec` / `compose exec` client processes on this host naming the container; null when this host's processes cannot be seen. */
  clients: number[] | null
}

export interface ContainerEvidence {
  name: string
  running: boolean
  /** State.StartedAt of the current incarnation, epoch ms; null when unknown (never started / missing). */
  startedAtMs: number | null
  /** `docker pause`d: its processes exist but are frozen, and cannot be probed. */
  paused?: boolean
  /**
   * false when the container does not keep its state in the configured dataDir (it mounts another dir, or nothing,
   * at its state dir): what fleet reads there is not that container's, so nothing there can be judged against it.
   */
  mountsConfiguredDir?: boolean
}

export interface LockEvidence {
  /** The instance's own container; null when it does not exist. */
  container: ContainerEvidence | null
  /** Names of RUNNING containers whose bind mounts expose this lock's sessions dir (the instance's own included). */
  mountedBy: string[]
  /**
   * Owner process as seen inside the container's PID namespace.
   * undefined: not probed (no pid to probe, or the container is not running).
   * null: the probe was attempted and failed (exec error/timeout): evidence missing.
   */
  process?: ProcessEvidence | null
  /** Why the probe failed, when process === null. */
  probeError?: string
}

export interface LockPolicy {
  /** A live owner holding longer than this is `hung` (config locks.maxHold). */
  maxHoldMs: number
  /**
   * A live `openclaw agent` holder (not the gateway) held longer than this is flagged `long-hold` (a warning), and
   * is an `orphan` when it is also stopped, or when `execClients: this-host` finds no exec client for it (config locks.orphanAfter).
   */
  orphanAfterMs: number
  /** How long past its own deadline (its `--timeout`, else OpenClaw's default 600 s) a turn may hold before it is an `orphan` (config locks.deadlineMargin; default 2 min). */
  deadlineMarginMs?: number
  /** Where exec clients run: `anywhere` (default: a missing local client proves nothing) or `this-host` (every exec client runs attached on this host: none left means gone). */
  execClients?: 'anywhere' | 'this-host'
  /** Tolerance when comparing lock times with the container's StartedAt (config locks.clockSkew). */
  clockSkewMs: number
  /** A lock without a usable pid is reclaimable once its mtime is older than this (OpenClaw: 5 s). */
  malformedGraceMs: number
}

/** `ignored`: a legacy `.jsonl.lock` on OpenClaw 2026.8+, which never reads it (litter: no exit 1, no action unless heal --tidy). */
export type Verdict = 'ignored' | 'live' | 'stale' | 'hung' | 'orphan' | 'conflict' | 'unknown'

export type Reason =
  | 'dead-pid'
  | 'zombie'
  | 'recycled-pid'
  | 'predates-container-start'
  | 'container-not-running'
  | 'missing-pid'
  | 'invalid-pid'
  | 'invalid-createdAt'
  | 'future-createdAt'
  | 'future-mtime'
  | 'unreadable'
  | 'hold-exceeded'
  | 'shared-sessions-dir'
  | 'suspicious'
  | 'probe-failed'
  | 'mount-mismatch'
  | 'agent-process'
  | 'stopped'
  | 'uninterruptible'
  | 'being-written'
  | 'no-starttime'
  | 'container-paused'
  | 'client-gone'
  | 'past-deadline'
  | 'fleet-exec'
  | 'long-hold'
  | 'legacy-ignored'
  | 'foreign-holder'

/** What the timing of a verdict (verdict-timing.ts) reads of a judged lock: runbook's LockReport is one. */
export interface TimedLock {
  verdict: Verdict
  reasons: Reason[]
  /** The age the verdict was judged at, ms. */
  ageMs: number
  /** The lock file's mtime (ISO). */
  mtime: string
  kind?: LockKind
  evidence: {process: ProcessEvidence | null}
}

export interface Judgement {
  verdict: Verdict
  reasons: Reason[]
  /** Age used for the decision (now - createdAt, or now - mtime when createdAt is unusable or ahead: see holdStart), ms. */
  ageMs: number
  /** With `future-createdAt` / `future-mtime`: how far the lock's createdAt is ahead of its own mtime, or of now (ms). */
  clockSkewMs?: number
}

/** Severity order used for "worst verdict" summaries. */
export const VERDICT_SEVERITY: Record<Verdict, number> = {
  ignored: -1,
  live: 0,
  unknown: 1,
  stale: 2,
  orphan: 3,
  hung: 4,
  conflict: 5,
}

/** Every verdict at 0. */
export const noVerdicts = (): Record<Verdict, number> => ({ignored: 0, live: 0, stale: 0, hung: 0, orphan: 0, conflict: 0, unknown: 0})

/** Verdicts that make `fleet status` exit 1. */
export const UNHEALTHY_VERDICTS: ReadonlySet<Verdict> = new Set(['stale', 'hung', 'orphan', 'conflict'])

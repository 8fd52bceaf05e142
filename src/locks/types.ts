/**
 * Shared shapes for session-lock observation and judgement.
 * Data flows: scan (host fs or in-container) -> LockFile (+ LockPayload) -> judge(lock, evidence, policy, now) -> Judgement.
 */

/** `<session>.jsonl.lock` (session write lock) or `sessions.json.lock` (session store index lock). */
export type LockKind = 'session' | 'store'

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
  shape: 'v2026.2' | 'v2026.3-4' | 'v2026.5+' | 'unknown'
  problems: PayloadProblem[]
}

export type PayloadProblem =
  | 'empty'
  | 'invalid-json'
  | 'not-an-object'
  | 'missing-pid'
  | 'invalid-pid'
  | 'missing-createdAt'
  | 'invalid-createdAt'
  | 'invalid-starttime'

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
}

export interface ContainerEvidence {
  name: string
  running: boolean
  /** State.StartedAt of the current incarnation, epoch ms; null when unknown (never started / missing). */
  startedAtMs: number | null
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
  /** A live non-main `openclaw agent` owner holding longer than this is an `orphan` (config locks.orphanAfter). */
  orphanAfterMs: number
  /** Tolerance when comparing lock times with the container's StartedAt (config locks.clockSkew). */
  clockSkewMs: number
  /** A lock without a usable pid is reclaimable once its mtime is older than this (OpenClaw: 5 s). */
  malformedGraceMs: number
}

export type Verdict = 'live' | 'stale' | 'hung' | 'orphan' | 'conflict' | 'unknown'

export type Reason =
  | 'dead-pid'
  | 'zombie'
  | 'recycled-pid'
  | 'predates-container-start'
  | 'container-not-running'
  | 'missing-pid'
  | 'invalid-createdAt'
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

export interface Judgement {
  verdict: Verdict
  reasons: Reason[]
  /** Age used for the decision (now - createdAt, or now - mtime when createdAt is unusable), ms. */
  ageMs: number
}

/** Severity order used for "worst verdict" summaries. */
export const VERDICT_SEVERITY: Record<Verdict, number> = {
  live: 0,
  unknown: 1,
  stale: 2,
  orphan: 3,
  hung: 4,
  conflict: 5,
}

/** Verdicts that make `fleet status` exit 1. */
export const UNHEALTHY_VERDICTS: ReadonlySet<Verdict> = new Set(['stale', 'hung', 'orphan', 'conflict'])

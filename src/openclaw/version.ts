/** OpenClaw versions and what they mean for session locks (see the facts on locks by version). */
export interface OpenClawVersion {
  raw: string
  year: number
  minor: number
  patch: number
  commit: string | null
}

/** An instance's OpenClaw version as fleet read it (openclaw/detect.ts), or why it is unknown. */
export interface VersionReading {
  /** e.g. `2026.9.6`; null when it could not be found. */
  version: string | null
  /** Where it was read: host /proc, the engine's archive API, or the cache of this incarnation. */
  source: 'host-proc' | 'archive' | 'cache' | null
  /** The package.json it came from (inside the container). */
  file: string | null
  /** Why it is unknown. */
  error: string | null
}

/** Parses `OpenClaw 2026.4.29 (a448042)` (or a bare `2026.4.29`). */
export function parseOpenClawVersion(text: string): OpenClawVersion | null {
  const m = /(?:OpenClaw\s+)?v?(\d{4})\.(\d{1,2})\.(\d{1,3})(?:\s*\(([0-9a-z]+)\))?/i.exec(text)
  if (!m) return null
  return {raw: m[0], year: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), commit: m[4] ?? null}
}

/**
 * What a version does, by the range of versions that do it: `[from, until)`, as `year.minor[.patch]` (patch 0 when
 * left out). The one place versions are compared: everything that depends on a version asks versionCan.
 */
export const VERSION_CAPABILITIES = {
  /** Lock payloads without starttime (2026.0-2026.2): pid recycling cannot be ruled out by starttime. */
  'no-payload-starttime': {from: '2026.0', until: '2026.3'},
  /** JSONL session locks with the 60 s acquire timeout (the 2026.5 default). */
  'acquire-timeout-60s': {from: '2026.5'},
  /** Only config `session.writeLock.acquireTimeoutMs` tunes the acquire timeout, no env var (read in the 2026.5.5 dist). */
  'write-lock-config-key': {from: '2026.5', until: '2026.6'},
  /** Sessions in SQLite (WAL, BEGIN IMMEDIATE, 5 s busy timeout): no session write lock, `.jsonl.lock` files are litter. */
  'sqlite-sessions': {from: '2026.8'},
  /** Turns run inside the gateway (not as exec'd `openclaw agent` processes): fleet asks the gateway about its work. */
  'turns-in-gateway': {from: '2026.8'},
  /** Crash-loops on an agent whose JSONL transcripts were not migrated to SQLite (upstream #133992, #134206). */
  'crash-loop-on-unmigrated': {from: '2026.8.0', until: '2026.8.2'},
  /** `openclaw doctor --fix --non-interactive` cures a start refusal, as read and documented (decide/start-cure.ts). */
  'doctor-fix': {from: '2026.8'},
  /**
   * The embedded fallback that reuses a locked session, and `EmbeddedAttemptSessionTakeoverError`: fixed upstream and
   * gone in 2026.9 (#62981; PR #74543, #110226: 9.x never silently reruns a turn embedded). fleet diagnoses them only
   * on versions that can produce them (locks/known-signatures.ts).
   */
  'embedded-fallback-signatures': {from: '2026.0', until: '2026.9'},
  /** `openclaw sessions delete <key...>` (through the gateway; it archives the transcript). */
  'sessions-delete': {from: '2026.9'},
} as const satisfies Record<string, {from: string; until?: string}>

export type VersionCapability = keyof typeof VERSION_CAPABILITIES

/** `year.minor[.patch]` -> a number that orders versions (minor and patch below 1000). */
const rank = (y: number, m: number, p: number): number => (y * 1000 + m) * 1000 + p
const rankOf = (at: string): number => {
  const [y = 0, m = 0, p = 0] = at.split('.').map(Number)
  return rank(y, m, p)
}

/** Whether version v does what the capability says (VERSION_CAPABILITIES). Pure. */
export function versionCan(v: Pick<OpenClawVersion, 'year' | 'minor' | 'patch'>, cap: VersionCapability): boolean {
  const span: {from: string; until?: string} = VERSION_CAPABILITIES[cap]
  const r = rank(v.year, v.minor, v.patch)
  return r >= rankOf(span.from) && (span.until === undefined || r < rankOf(span.until))
}

export interface LockBehaviour {
  /**
   * How long a turn waits for a held lock before it fails: the session write lock's acquire timeout (JSONL),
   * or SQLite's busy timeout (2026.8+).
   */
  acquireTimeoutMs: number
  lockStorage: 'jsonl' | 'sqlite'
  summary: string
  level: 'pass' | 'warn'
}

/**
 * What a version does with session locks, as read in the released packages (2026.4.29, 2026.5.5 and 2026.9.6 dist):
 * - to 2026.4.29: `acquireSessionWriteLock` defaults to 10 s (`resolvePositiveMs(params.timeoutMs, 1e4)`), no config key;
 * - 2026.5.x: `DEFAULT_SESSION_WRITE_LOCK_ACQUIRE_TIMEOUT_MS = 6e4`, tunable only by config
 *   `session.writeLock.acquireTimeoutMs` (`OPENCLAW_SESSION_WRITE_LOCK_TIMEOUT` in that dist is an error code, not an
 *   env var); 2026.6/2026.7 were not read here, so nothing more is claimed for them;
 * - 2026.8+: SQLite in WAL mode, `BEGIN IMMEDIATE`, busy timeout `OPENCLAW_SQLITE_BUSY_TIMEOUT_MS = 5e3`, a constant
 *   in the 2026.9.6 dist (no `process.env` read of it); no session write lock and no start-up sweep of `.jsonl.lock`.
 */
const JSONL_SWEEP =
  "; gateway start-up and `openclaw doctor --fix` remove stale locks (dead or recycled owner pid, judged in the container's own pid namespace)"

export function lockBehaviour(v: OpenClawVersion): LockBehaviour {
  if (versionCan(v, 'sqlite-sessions')) {
    return {
      acquireTimeoutMs: 5_000,
      lockStorage: 'sqlite',
      level: 'pass',
      summary:
        `${v.raw}: sessions live in SQLite (agents/<id>/agent/openclaw-agent.sqlite, state/openclaw.sqlite; WAL mode, BEGIN IMMEDIATE writes, ` +
        '5 s busy timeout built in): no session write lock; legacy *.jsonl.lock files are ignored by this version and survive restarts and `openclaw doctor --fix` (harmless litter)',
    }
  }
  if (versionCan(v, 'acquire-timeout-60s')) {
    return {
      acquireTimeoutMs: 60_000,
      lockStorage: 'jsonl',
      level: 'pass',
      summary:
        `${v.raw}: JSONL session locks, 60 s acquire timeout` +
        (versionCan(v, 'write-lock-config-key')
          ? ' (only config session.writeLock.acquireTimeoutMs tunes it in 2026.5; no env var)'
          : ' (2026.5 default; knobs of this build not verified by fleet)') +
        JSONL_SWEEP,
    }
  }
  return {
    acquireTimeoutMs: 10_000,
    lockStorage: 'jsonl',
    level: 'pass',
    summary:
      `${v.raw}: JSONL session locks, 10 s acquire timeout (built in, no config key)` +
      `${versionCan(v, 'no-payload-starttime') ? ', payloads without starttime (pid recycling cannot be ruled out by starttime)' : ''}` +
      JSONL_SWEEP,
  }
}

/**
 * Whether a version can produce the known upstream signatures fallback-reuses-locked-session and session-takeover-race
 * (capability `embedded-fallback-signatures`). An unknown or unparsable version can: missing evidence excludes nothing.
 */
export function knownSignaturesPossible(version: string | null): boolean {
  const v = version === null ? null : parseOpenClawVersion(version)
  return v === null || versionCan(v, 'embedded-fallback-signatures')
}

/** OpenClaw versions and what they mean for session locks (see the facts on locks by version). */
export interface OpenClawVersion {
  raw: string
  year: number
  minor: number
  patch: number
  commit: string | null
}

/** Parses `OpenClaw 2026.4.29 (a448042)` (or a bare `2026.4.29`). */
export function parseOpenClawVersion(text: string): OpenClawVersion | null {
  const m = /(?:OpenClaw\s+)?v?(\d{4})\.(\d{1,2})\.(\d{1,3})(?:\s*\(([0-9a-z]+)\))?/i.exec(text)
  if (!m) return null
  return {raw: m[0], year: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), commit: m[4] ?? null}
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
const JSONL_SWEEP = "; gateway start-up and `openclaw doctor --fix` remove stale locks (dead or recycled owner pid, judged in the container's own pid namespace)"

export function lockBehaviour(v: OpenClawVersion): LockBehaviour {
  const at = (minor: number) => v.year > 2026 || (v.year === 2026 && v.minor >= minor)
  if (at(8)) {
    return {
      acquireTimeoutMs: 5_000,
      lockStorage: 'sqlite',
      level: 'pass',
      summary:
        `${v.raw}: sessions live in SQLite (agents/<id>/agent/openclaw-agent.sqlite, state/openclaw.sqlite; WAL mode, BEGIN IMMEDIATE writes, ` +
        '5 s busy timeout built in): no session write lock; legacy *.jsonl.lock files are ignored by this version and survive restarts and `openclaw doctor --fix` (harmless litter)',
    }
  }
  if (at(5)) {
    return {
      acquireTimeoutMs: 60_000,
      lockStorage: 'jsonl',
      level: 'pass',
      summary:
        `${v.raw}: JSONL session locks, 60 s acquire timeout` +
        (v.year === 2026 && v.minor === 5 ? ' (only config session.writeLock.acquireTimeoutMs tunes it in 2026.5; no env var)' : ' (2026.5 default; knobs of this build not verified by fleet)') +
        JSONL_SWEEP,
    }
  }
  return {
    acquireTimeoutMs: 10_000,
    lockStorage: 'jsonl',
    level: 'pass',
    summary:
      `${v.raw}: JSONL session locks, 10 s acquire timeout (built in, no config key)` +
      `${v.minor <= 2 && v.year === 2026 ? ', payloads without starttime (pid recycling cannot be ruled out by starttime)' : ''}` +
      JSONL_SWEEP,
  }
}

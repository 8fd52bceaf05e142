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
  acquireTimeoutMs: number
  lockStorage: 'jsonl' | 'sqlite'
  summary: string
  level: 'pass' | 'warn'
}

export function lockBehaviour(v: OpenClawVersion): LockBehaviour {
  const at = (minor: number) => v.year > 2026 || (v.year === 2026 && v.minor >= minor)
  if (at(8)) {
    return {
      acquireTimeoutMs: 60_000,
      lockStorage: 'sqlite',
      level: 'warn',
      summary: `${v.raw}: sessions live in SQLite (agents/<id>/agent/openclaw-agent.sqlite); *.jsonl.lock files are legacy and only \`openclaw doctor\` cleans them`,
    }
  }
  if (at(5)) {
    return {
      acquireTimeoutMs: 60_000,
      lockStorage: 'jsonl',
      level: 'pass',
      summary: `${v.raw}: JSONL session locks, 60 s acquire timeout (OPENCLAW_SESSION_WRITE_LOCK_* or session.writeLock.* tune it), trailing-newline payloads`,
    }
  }
  return {
    acquireTimeoutMs: 10_000,
    lockStorage: 'jsonl',
    level: 'pass',
    summary: `${v.raw}: JSONL session locks, 10 s acquire timeout${v.minor <= 2 && v.year === 2026 ? ', payloads without starttime (pid recycling cannot be ruled out by starttime)' : ''}`,
  }
}

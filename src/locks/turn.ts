/**
 * Pure helpers about a lock holder's turn, from a container's process table: which exec'd process it
 * descends from, and the `--timeout` its `openclaw agent` command line carries. No I/O.
 */
import type {ProcessEvidence, TurnEvidence} from './types.js'

/** `openclaw agent`'s own default for `--timeout` (seconds): a turn without the flag must be over by then. */
export const DEFAULT_TURN_TIMEOUT_MS = 600_000
/** Default for locks.deadlineMargin: OpenClaw's runner itself allows a turn's lock timeout + 2 min (maxHold). */
export const DEFAULT_DEADLINE_MARGIN_MS = 120_000

const AGENT_COMMAND = /(^|[\s/])(openclaw(\.mjs)?|dist\/index\.js)(\s|$)/

/** `--timeout N` / `--timeout=N` (seconds, decimal) on an `openclaw … agent …` command line; null when absent or not a number. */
export function timeoutFlag(argv: readonly string[] | undefined): number | null {
  if (!argv || argv.length === 0) return null
  // A process that set its title (process.title) shows one string with spaces: its words are the argv.
  const cmdline = argv.length === 1 ? argv[0].split(/\s+/) : argv
  const text = cmdline.join(' ')
  if (!AGENT_COMMAND.test(text) || !cmdline.includes('agent')) return null
  let value: string | undefined
  for (let i = 0; i < cmdline.length; i++) {
    const a = cmdline[i]
    if (a === '--timeout') value = cmdline[i + 1]
    else if (a.startsWith('--timeout=')) value = a.slice('--timeout='.length)
  }
  if (value === undefined || !/^\d{1,9}$/.test(value)) return null
  return Number(value)
}

/**
 * The holder's ancestry inside its container: the nearest `--timeout` on it or an ancestor, and the exec'd
 * process (PPID 0, not pid 1) at the top of its chain. A chain that reaches pid 1 (the gateway or init)
 * has no exec root. Loops and missing parents end the walk.
 */
export function turnTree(table: readonly ProcessEvidence[], pid: number): Pick<TurnEvidence, 'execRoot' | 'timeoutSec'> {
  const byPid = new Map(table.filter((p) => p.exists).map((p) => [p.pid, p]))
  let timeoutSec: number | null = null
  let execRoot: TurnEvidence['execRoot'] = null
  const seen = new Set<number>()
  let p = byPid.get(pid)
  while (p && !seen.has(p.pid)) {
    seen.add(p.pid)
    timeoutSec ??= timeoutFlag(p.cmdline)
    if (p.pid === 1) break
    if (p.ppid === 0) {
      execRoot = {pid: p.pid, cmdline: p.cmdline ?? []}
      break
    }
    if (p.ppid === 1) break
    p = byPid.get(p.ppid ?? -1)
  }
  return {execRoot, timeoutSec}
}

/** The turn's own deadline (ms after its lock was taken): its `--timeout`, else OpenClaw's default; null when it has none (`--timeout 0`). */
export function turnDeadlineMs(turn: TurnEvidence | undefined): number | null {
  const t = turn?.timeoutSec ?? null
  if (t === null) return DEFAULT_TURN_TIMEOUT_MS
  return t === 0 ? null : t * 1000
}

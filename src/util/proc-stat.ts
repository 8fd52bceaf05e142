/** /proc/<pid>/stat, as read on this machine (fleet's own run lock) and from the host view of containers. */
import {readFileSync} from 'node:fs'

/** Fields of /proc/<pid>/stat after the `(comm)`, which may itself hold spaces and parentheses. */
export function parseStat(stat: string): {state: string; ppid: number; starttime: number} | null {
  const close = stat.lastIndexOf(')')
  if (close < 0) return null
  const f = stat
    .slice(close + 2)
    .trim()
    .split(' ')
  const ppid = Number(f[1])
  const starttime = Number(f[19])
  if (!f[0] || !Number.isSafeInteger(ppid) || !Number.isSafeInteger(starttime)) return null
  return {state: f[0], ppid, starttime}
}

/** /proc/<pid>/stat of a process on this machine, parsed; null when it does not exist (or cannot be read). */
export function localStat(pid: number): ReturnType<typeof parseStat> {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'))
  } catch {
    return null
  }
}

/** The same parser as JavaScript source, for the scripts fleet runs inside containers (one parser everywhere). */
export const PARSE_STAT_JS = parseStat.toString()

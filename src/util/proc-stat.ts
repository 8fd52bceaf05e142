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

/** Clock ticks per second of /proc stat times (USER_HZ: 100 on every Linux ABI fleet runs on). */
export const USER_HZ = 100

/** `btime` of /proc/stat: the boot time, epoch ms; null when absent. The kernel's, so the same inside every container. */
export function parseBootTime(procStat: string): number | null {
  const m = /^btime\s+(\d+)$/m.exec(procStat)
  return m ? Number(m[1]) * 1000 : null
}

/** This machine's boot time (epoch ms), or null. */
export function localBootTime(): number | null {
  try {
    return parseBootTime(readFileSync('/proc/stat', 'latin1'))
  } catch {
    return null
  }
}

/** A process's age from its starttime (ticks after boot); null when a part is unknown. Never negative. */
export function processAgeMs(starttime: number | undefined | null, bootTimeMs: number | null | undefined, nowMs: number): number | null {
  if (starttime == null || bootTimeMs == null) return null
  return Math.max(0, nowMs - (bootTimeMs + (starttime * 1000) / USER_HZ))
}

/** parseBootTime as JavaScript source, for the in-container probe. */
export const PARSE_BOOT_TIME_JS = parseBootTime.toString()

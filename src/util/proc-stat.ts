/** /proc/<pid>/stat, as read on this machine (fleet's own run lock) and from the host view of containers. */

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

/** The same parser as JavaScript source, for the scripts fleet runs inside containers (one parser everywhere). */
export const PARSE_STAT_JS = parseStat.toString()

/**
 * The gateway processes in one container's process table (host /proc view or exec probe), pure.
 *
 * A gateway is a process titled `openclaw-gateway` (2026.9.6 sets that title), or an OpenClaw entry point run with
 * the `gateway` subcommand and no other (`openclaw gateway`, `node dist/index.js gateway --bind lan`,
 * `node /app/openclaw.mjs gateway run`); `openclaw gateway status|call|…` are clients. Workers are not gateways: on
 * 2026.9.6 the gateway's children include `node /app/dist/process/spawn-broker/worker.js` and
 * `node /app/dist/infra/sqlite-readonly-location.worker.js --openclaw-sqlite-readonly-child session`
 * (lab/real/NOTES.md), and an init or shell wrapper (`docker-init -- start.sh gateway …`) is not one either. A
 * gateway under another gateway (a CLI that respawns itself under its title) is the same gateway: only the
 * outermost counts.
 */
import path from 'node:path'
import type {ProcessEvidence} from '../locks/types.js'

const ENTRY = /(^|\/)(openclaw|openclaw\.mjs|index\.js|entry\.js)$/
const SERVING = new Set(['run', 'start'])

/** Whether one command line is a gateway server process. */
export function isGatewayCmdline(argv: readonly string[]): boolean {
  if (argv.length === 0) return false
  if (path.posix.basename(argv[0]) === 'openclaw-gateway') return true
  if (argv.some((a) => /worker\.js$/.test(a))) return false
  // The entry point is argv[0] (an `openclaw` bin) or argv[1] (`node <entry>`).
  const entry = [0, 1].find((i) => argv[i] !== undefined && ENTRY.test(argv[i]) && (i === 0 || /(^|\/)node(js)?$/.test(argv[0])))
  if (entry === undefined) return false
  // The first word after the entry is the subcommand; what follows `gateway` is an option, `run`/`start`, or nothing.
  const sub = argv.findIndex((a, i) => i > entry && !a.startsWith('-'))
  if (sub < 0 || argv[sub] !== 'gateway') return false
  const next = argv[sub + 1]
  return next === undefined || next.startsWith('-') || SERVING.has(next)
}

/** The outermost gateway processes of a container: more than one means two gateways write one state dir. */
export function gatewayProcesses(table: readonly ProcessEvidence[]): ProcessEvidence[] {
  const byPid = new Map(table.map((p) => [p.pid, p]))
  const gateways = table.filter((p) => p.exists !== false && isGatewayCmdline(p.cmdline ?? []))
  const isGw = new Set(gateways.map((p) => p.pid))
  const underGateway = (p: ProcessEvidence): boolean => {
    const seen = new Set<number>()
    for (let ppid = p.ppid; ppid !== undefined && ppid > 0 && !seen.has(ppid); ppid = byPid.get(ppid)?.ppid) {
      if (isGw.has(ppid)) return true
      seen.add(ppid)
    }
    return false
  }
  return gateways.filter((p) => !underGateway(p))
}

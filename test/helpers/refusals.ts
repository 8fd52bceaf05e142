/** Start-refusal fixtures for the unit tests of the start cure: each a line a real gateway logs (or its documented shape), classified. */
import {startRefusal, type StartRefusal} from '../../src/openclaw/start-refusals.js'

export const refusal = (line: string): StartRefusal => {
  const r = startRefusal(line)
  if (!r) throw new Error(`no refusal in ${line}`)
  return r
}

export const MIGRATIONS = refusal('Gateway failed to start: OpenClaw startup migrations did not complete cleanly; run openclaw doctor --fix')
export const SCHEMA = refusal('Gateway failed to start: SQLite schema is incomplete or noncanonical; run openclaw doctor --fix')
export const LEGACY = refusal('Legacy workspace setup state requires migration; run openclaw doctor --fix')
/** Seen live on 2026.9.6 with a legacy cron_run_logs table in the state db (every start, exit 78). */
export const MAINTENANCE = refusal(
  'Gateway failed to start: OpenClaw state database schema migration required (legacy-cron-run-logs) at /home/node/.openclaw/state/openclaw.sqlite; run openclaw doctor --fix to migrate it.. Stop the service with openclaw gateway stop (or its service owner), then run openclaw doctor --fix, then start it again with openclaw gateway start.',
)
export const MIGRATION_LEASE = refusal('startup migrations are already running for this state directory (held by pid 7)')
export const HEARTBEAT = refusal('Gateway failed to start: state lease heartbeat did not become ready')
export const DISK = refusal('Error: database or disk is full')
export const NEWER = refusal('the database was created by a newer OpenClaw version')
export const GW_LOCK = refusal('GatewayLockError: gateway already running (pid 8)')
export const CHANNELS = refusal('channel autostart suppressed by crash-loop breaker')

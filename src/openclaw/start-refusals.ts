/**
 * The ways a real OpenClaw gateway refuses to start or to serve after a start, as it logs them (read in the 2026.9.6
 * package and seen live, see shared/openclaw-facts.md "The 2026.9 life cycle"), and what cures each: a restart cures
 * none of them. Pure: one log line in, a classification out.
 */

import {anyOf, STORAGE_FULL, STORAGE_HINTS, STORAGE_IO, STORAGE_READONLY} from '../locks/signatures.js'

/** What cures a refusal: waiting (it clears by itself), `openclaw doctor --fix` with the gateway stopped, fleet's lock rules, starting the suppressed channels, or a person (a knob, the disk, a downgrade). */
export type RefusalCure = 'wait' | 'doctor-fix' | 'locks' | 'channels' | 'operator'

export type RefusalKind =
  | 'startup-migrations-incomplete'
  | 'startup-migrations-running'
  | 'schema-incomplete'
  | 'legacy-workspace'
  | 'maintenance-required'
  | 'agent-db-maintenance'
  | 'database-newer-than-build'
  | 'openat2-unsupported'
  | 'lease-heartbeat'
  | 'gateway-lock-held'
  | 'disk-full'
  | 'readonly-database'
  | 'disk-io-error'
  | 'channels-suppressed'
  | 'start-failed'

export interface StartRefusal {
  kind: RefusalKind
  cure: RefusalCure
  /** The log line, trimmed (ANSI colours and the timestamp removed). */
  line: string
  /** When it was logged (the engine's timestamp), null without one. */
  atMs: number | null
  /** What to do, for a person. */
  hint: string
}

interface Rule {
  kind: RefusalKind
  re: RegExp
  cure: RefusalCure
  hint: string
}

const DOCTOR_FIX =
  'a restart does not cure it: stop the service, then run `openclaw doctor --fix` in the same image and mounts with OPENCLAW_SERVICE_REPAIR_POLICY=external (docker compose run --rm --no-deps -e OPENCLAW_SERVICE_REPAIR_POLICY=external <service> openclaw doctor --fix), then start it'

/** In order: the first that matches wins (the most specific first; `Gateway failed to start:` wraps most of them). */
const RULES: readonly Rule[] = [
  {
    kind: 'startup-migrations-running',
    re: /startup migrations are already running for this state directory/i,
    cure: 'wait',
    hint: 'a start-up migration lease is held (5 min TTL; upstream #155644): wait it out, do not restart',
  },
  {kind: 'startup-migrations-incomplete', re: /startup migrations did not complete cleanly/i, cure: 'doctor-fix', hint: DOCTOR_FIX},
  {kind: 'schema-incomplete', re: /SQLite schema is incomplete or noncanonical/i, cure: 'doctor-fix', hint: `${DOCTOR_FIX} (upstream #150797)`},
  {kind: 'legacy-workspace', re: /Legacy workspace setup state requires migration/i, cure: 'doctor-fix', hint: `${DOCTOR_FIX} (upstream #135590)`},
  // 2026.9.6 (cli/gateway-cli/startup-maintenance.ts): every start-up maintenance refusal (StartupMaintenanceRequiredError:
  // state migration, cron run history, workspace setup state, session store, agent media, schema migrations) logs
  // `[gateway] gateway requires <reason>. Stop the service … then run openclaw doctor --fix, then start it again …` and
  // `Gateway failed to start: <error>. <the same guidance>`, then exits 78. Seen live: `OpenClaw state database schema
  // migration required (legacy-cron-run-logs) at …; run openclaw doctor --fix to migrate it.` (a `cron_run_logs` table).
  // The one reason whose guidance is not doctor (`a newer OpenClaw build`: restore the backup) is the rule below it.
  {
    kind: 'maintenance-required',
    re: /(?<!newer OpenClaw build)\. Stop the service[^\n]* run openclaw doctor --fix, then start it again|state database schema migration required \([\w-]+\)[^\n]*run openclaw doctor --fix/i,
    cure: 'doctor-fix',
    hint: DOCTOR_FIX,
  },
  {
    kind: 'agent-db-maintenance',
    re: /Agent database maintenance is in progress/i,
    cure: 'wait',
    hint: 'agent database maintenance holds its lease: wait for it (upstream #134341)',
  },
  {
    kind: 'database-newer-than-build',
    re: /(database|schema)[^\n]*(newer than|created by a newer)|newer (OpenClaw|schema)[^\n]*(database|version)|downgrade[^\n]*not supported|requires a newer OpenClaw build|cannot open your existing data/i,
    cure: 'operator',
    hint: 'the state was written by a newer OpenClaw than this image (a downgrade): run the newer image again, or restore the backup taken before the upgrade',
  },
  {
    kind: 'openat2-unsupported',
    re: /openat2[^\n]*ENOSYS|ENOSYS[^\n]*openat2/i,
    cure: 'operator',
    hint: 'the kernel or seccomp profile lacks openat2: set OPENCLAW_FS_SAFE_NATIVE_MODE=off in the service environment (upstream #154941)',
  },
  {
    kind: 'lease-heartbeat',
    re: /state lease heartbeat did not become ready/i,
    cure: 'wait',
    hint: 'seen under load: a later start usually succeeds; do not add restarts',
  },
  {
    kind: 'gateway-lock-held',
    re: /GatewayLockError|gateway already running \(pid \d+\)|failed to acquire gateway lock/i,
    cure: 'locks',
    hint: 'a gateway lock file names a pid that looks alive (containers reuse low pids: upstream #135133): fleet heal judges the gateway lock files',
  },
  {kind: 'disk-full', re: STORAGE_FULL, cure: 'operator', hint: STORAGE_HINTS['storage-full']},
  {
    kind: 'readonly-database',
    re: STORAGE_READONLY,
    cure: 'operator',
    hint: STORAGE_HINTS['storage-readonly'],
  },
  {kind: 'disk-io-error', re: anyOf(STORAGE_IO, /\bEIO\b/), cure: 'operator', hint: STORAGE_HINTS['storage-io']},
  {
    kind: 'channels-suppressed',
    re: /channel autostart suppressed by crash-loop breaker|restart-loop breaker tripped/i,
    cure: 'channels',
    hint: 'after the cause is gone: openclaw gateway call channels.start --params \'{"channel":"<id>"}\'',
  },
  {
    kind: 'start-failed',
    re: /Gateway failed to start|failed to start gateway|startup failed/i,
    cure: 'operator',
    hint: 'read the line: the gateway names what stopped it',
  },
]

const ANSI = /\x1b\[[0-9;]*m/g
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d))\s/

/** Pure: the refusal one log line records (optionally prefixed with a Docker timestamp), or null. */
export function startRefusal(line: string): StartRefusal | null {
  const plain = line.replace(ANSI, '')
  const ts = TIMESTAMP.exec(plain)
  const text = (ts ? plain.slice(ts[0].length) : plain).trim()
  for (const r of RULES) if (r.re.test(text)) return {kind: r.kind, cure: r.cure, line: text.slice(0, 300), atMs: ts ? Date.parse(ts[1]) : null, hint: r.hint}
  return null
}

export const REFUSAL_KINDS: readonly RefusalKind[] = RULES.map((r) => r.kind)

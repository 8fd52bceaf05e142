/**
 * `fleet watch` settings from environment variables, the way autoheal users expect (`FLEET_WATCH_INTERVAL=30s`):
 * each flag has one variable; a flag on the command line beats it. oclif reads the variables; what it would read
 * silently wrong (a boolean that is not one) or name only by the flag (a bad integer) is checked here first, so a
 * bad value exits 2 naming the variable.
 */
import {UsageError} from '../errors.js'

type Kind = {kind: 'boolean'; allowNo?: boolean} | {kind: 'integer'; min: number; max?: number} | {kind: 'enum'; options: readonly string[]} | {kind: 'string'}

export const WATCH_ENV = {
  interval: 'FLEET_WATCH_INTERVAL',
  'report-only': 'FLEET_WATCH_REPORT_ONLY',
  'auto-restart': 'FLEET_WATCH_AUTO_RESTART',
  'max-attempts': 'FLEET_WATCH_MAX_ATTEMPTS',
  cooldown: 'FLEET_WATCH_COOLDOWN',
  'recover-after': 'FLEET_WATCH_RECOVER_AFTER',
  'start-period': 'FLEET_WATCH_START_PERIOD',
  events: 'FLEET_WATCH_EVENTS',
  webhook: 'FLEET_WATCH_WEBHOOK',
  'webhook-format': 'FLEET_WATCH_WEBHOOK_FORMAT',
  'metrics-port': 'FLEET_WATCH_METRICS_PORT',
  'metrics-host': 'FLEET_WATCH_METRICS_HOST',
  ping: 'FLEET_WATCH_PING',
  react: 'FLEET_WATCH_REACT',
  scans: 'FLEET_WATCH_SCANS',
} as const

export type WatchEnvFlag = keyof typeof WATCH_ENV

/** Values oclif reads as booleans ('1', 'true', 'y', 'yes' are true; here the false ones are named too). */
const BOOLEAN = /^(1|0|true|false|y|n|yes|no)$/i

/** Whether the command line gives this flag (then its variable is not read). */
export function flagGiven(flag: string, argv: readonly string[], allowNo = false): boolean {
  return argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`) || (allowNo && a === `--no-${flag}`))
}

/** The name to put in an error about a flag's value: its variable when the value came from there, else the flag. */
export function flagLabel(flag: WatchEnvFlag, argv: readonly string[], env: Record<string, string | undefined>, allowNo = false): string {
  return !flagGiven(flag, argv, allowNo) && env[WATCH_ENV[flag]] ? WATCH_ENV[flag] : `--${flag}`
}

/** Checks the variables oclif will read for the flags not given on the command line; a UsageError names the first bad one. */
export function checkWatchEnv(kinds: Partial<Record<WatchEnvFlag, Kind>>, argv: readonly string[], env: Record<string, string | undefined>): void {
  for (const [flag, k] of Object.entries(kinds) as [WatchEnvFlag, Kind][]) {
    const name = WATCH_ENV[flag]
    const v = env[name]
    if (!v || flagGiven(flag, argv, k.kind === 'boolean' && k.allowNo)) continue
    const problem =
      k.kind === 'boolean'
        ? BOOLEAN.test(v)
          ? null
          : 'expected true or false (also 1/0, yes/no)'
        : k.kind === 'integer'
          ? /^\d+$/.test(v) && Number(v) >= k.min && (k.max === undefined || Number(v) <= k.max)
            ? null
            : `expected a whole number ${k.max === undefined ? `of at least ${k.min}` : `from ${k.min} to ${k.max}`}`
          : k.kind === 'enum' && !k.options.includes(v)
            ? `expected one of ${k.options.join(', ')}`
            : null
    if (problem) throw new UsageError(`${name}: ${problem}, got "${v}"`, `unset ${name} or give --${flag} (a flag beats its variable)`)
  }
}

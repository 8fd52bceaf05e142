/**
 * Typed errors and the exit codes they map to.
 * 0 done/healthy, 1 something unhealthy or a check failed, 2 usage or config error (nothing changed),
 * 3 Docker or a host unreachable.
 */
export const EXIT = {ok: 0, unhealthy: 1, usage: 2, unreachable: 3} as const
export type ExitCode = (typeof EXIT)[keyof typeof EXIT]

export class FleetError extends Error {
  readonly exitCode: ExitCode
  readonly code: string
  readonly hint?: string
  constructor(message: string, opts: {exitCode: ExitCode; code: string; hint?: string; cause?: unknown}) {
    super(message, {cause: opts.cause})
    this.name = new.target.name
    this.exitCode = opts.exitCode
    this.code = opts.code
    this.hint = opts.hint
  }
}

/** Bad flags or arguments. Nothing was changed. */
export class UsageError extends FleetError {
  constructor(message: string, hint?: string) {
    super(message, {exitCode: EXIT.usage, code: 'USAGE', hint})
  }
}

/** Bad or missing fleet config. Nothing was changed. */
export class ConfigError extends FleetError {
  constructor(message: string, hint?: string) {
    super(message, {exitCode: EXIT.usage, code: 'CONFIG', hint})
  }
}

/** Docker (or a host) could not be reached. */
export class UnreachableError extends FleetError {
  constructor(message: string, opts: {hint?: string; cause?: unknown} = {}) {
    super(message, {exitCode: EXIT.unreachable, code: 'UNREACHABLE', ...opts})
  }
}

/** Another fleet run holds the run lock. */
export class BusyError extends FleetError {
  constructor(message: string, hint?: string) {
    super(message, {exitCode: EXIT.unhealthy, code: 'BUSY', hint})
  }
}

/** The one JSON error document every command prints under --json (and the unknown-command hook): hint null when none. */
export function errorDocument(e: {code: string; message: string; hint?: string | null; exitCode: number}): {
  error: {code: string; message: string; hint: string | null; exitCode: number}
} {
  return {error: {code: e.code, message: e.message, hint: e.hint ?? null, exitCode: e.exitCode}}
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}

/** Runs the built `fleet` CLI as a real child process (bin/run.js) and captures its output and exit code. */
import {execa, type ResultPromise} from 'execa'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
export const BIN = path.join(REPO, 'bin', 'run.js')

/** A fleet run started in the background (execa with `reject: false` and no stdin): it never rejects, and its stdout and stderr are strings. */
export type Spawned = ResultPromise<{reject: false; stdin: 'ignore'}>

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
  durationMs: number
}

export async function fleet(args: string[], opts: {cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number} = {}): Promise<CliResult> {
  const started = Date.now()
  const r = await execa('node', [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: {FLEET_CONFIG: undefined, CI: 'true', NO_COLOR: '1', ...opts.env},
    extendEnv: true,
    reject: false,
    timeout: opts.timeoutMs ?? 600_000,
    stdin: 'ignore',
  })
  return {exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, durationMs: Date.now() - started}
}

export function json<T = any>(r: Pick<CliResult, 'exitCode' | 'stdout' | 'stderr'>): T {
  try {
    return JSON.parse(r.stdout) as T
  } catch {
    throw new Error(`not JSON (exit ${r.exitCode}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  }
}

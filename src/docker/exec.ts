/**
 * docker exec through the API: argv arrays only (never a shell string), stdout/stderr demultiplexed,
 * exit code from exec inspect, and a timeout that also ends the process it started INSIDE the container
 * (and its children): every exec carries a FLEET_EXEC_ID marker in its environment, and on timeout a second
 * exec signals every process whose environment carries it. Killing only the client would leave exactly the
 * orphan lock holders fleet exists to clear.
 */
import {randomUUID} from 'node:crypto'
import {PassThrough} from 'node:stream'
import {ownerMarker} from '../util/exec-owner.js'
import {PARSE_STAT_JS} from '../util/proc-stat.js'
import {engineCall, type DockerHandle} from './client.js'

export interface ExecOptions {
  timeoutMs: number
  env?: string[]
  user?: string
  /** Cap on captured output per stream (bytes). */
  maxOutput?: number
  /** Do not end the process on timeout (used by the killer itself, so it cannot recurse). */
  noKillOnTimeout?: boolean
}

export interface ExecResult {
  exitCode: number | null
  stdout: string
  stderr: string
  timedOut: boolean
  durationMs: number
  /** Processes ended inside the container after a timeout (their pids in the container's namespace). */
  killed?: number[]
}

export class ExecFailedError extends Error {
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message)
    this.name = 'ExecFailedError'
  }
}

const KILL_SCRIPT = `
const fs = require('fs'); const mark = 'FLEET_EXEC_ID=' + process.argv[1]; const grace = Number(process.argv[2]);
const pids = fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).map(Number).filter((p) => {
  if (p === process.pid) return false;
  try { return fs.readFileSync('/proc/' + p + '/environ', 'latin1').split('\\0').includes(mark); } catch { return false; }
});
const signal = (s) => { for (const p of pids) { try { process.kill(p, s); } catch {} } };
signal('SIGCONT'); signal('SIGTERM');
${PARSE_STAT_JS}
const alive = () => pids.filter((p) => { try { process.kill(p, 0); return parseStat(fs.readFileSync('/proc/' + p + '/stat', 'latin1'))?.state !== 'Z'; } catch { return false; } });
const t0 = Date.now();
const wait = () => { if (alive().length === 0 || Date.now() - t0 > grace) { signal('SIGKILL'); console.log(JSON.stringify(pids)); } else setTimeout(wait, 50); };
wait();
`

/** The exec ids this process created (its probes and pings), so that a watch does not react to its own execs ending. */
const ownExecs = new Set<string>()
function rememberOwnExec(id: string | undefined): void {
  if (!id) return
  ownExecs.add(id)
  if (ownExecs.size > 2000) ownExecs.delete(ownExecs.values().next().value as string)
}
export const isOwnExec = (id: string): boolean => ownExecs.has(id)

export async function execIn(handle: DockerHandle, container: string, cmd: string[], opts: ExecOptions): Promise<ExecResult> {
  const marker = randomUUID()
  const started = Date.now()
  const max = opts.maxOutput ?? 1024 * 1024
  const c = handle.docker.getContainer(container)
  const exec = await engineCall(handle, `exec in ${container}`, () =>
    c.exec({
      Cmd: cmd,
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
      Env: [...(opts.env ?? []), `FLEET_EXEC_ID=${marker}`, `FLEET_EXEC_OWNER=${ownerMarker()}`],
      User: opts.user,
    }),
  ).catch((error) => {
    throw toExecError(error, container)
  })
  rememberOwnExec(exec.id)
  const stream = await engineCall(handle, `exec in ${container}`, () => exec.start({hijack: true, stdin: false})).catch((error) => {
    throw toExecError(error, container)
  })
  const out = capture(max)
  const err = capture(max)
  handle.docker.modem.demuxStream(stream, out.sink, err.sink)
  let timer: NodeJS.Timeout | undefined
  const finished = new Promise<'done'>((resolve, reject) => {
    stream.on('end', () => resolve('done'))
    stream.on('close', () => resolve('done'))
    stream.on('error', reject)
  })
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), opts.timeoutMs)))
  const outcome = await Promise.race([finished, timeout]).finally(() => clearTimeout(timer))
  if (outcome === 'timeout') {
    ;(stream as unknown as {destroy?: () => void}).destroy?.()
    const killed = opts.noKillOnTimeout ? [] : await killMarked(handle, container, marker, opts.user)
    return {exitCode: null, stdout: out.text(), stderr: err.text(), timedOut: true, durationMs: Date.now() - started, killed}
  }
  const info = await engineCall(handle, `exec inspect in ${container}`, () => exec.inspect())
  return {exitCode: info.ExitCode ?? null, stdout: out.text(), stderr: err.text(), timedOut: false, durationMs: Date.now() - started}
}

/**
 * Ends (TERM, then KILL after a grace) every process in the container started by the exec with this marker.
 * Runs as the same user as that exec: reading another user's /proc/<pid>/environ needs CAP_SYS_PTRACE,
 * which containers usually lack, even as root.
 */
export async function killMarked(handle: DockerHandle, container: string, marker: string, user?: string, graceMs = 2000): Promise<number[]> {
  try {
    const r = await execIn(handle, container, ['node', '-e', KILL_SCRIPT, marker, String(graceMs)], {timeoutMs: graceMs + 10_000, user, noKillOnTimeout: true})
    return JSON.parse(r.stdout.trim() || '[]') as number[]
  } catch {
    return []
  }
}

function capture(max: number) {
  const chunks: Buffer[] = []
  let size = 0
  const sink = new PassThrough()
  sink.on('data', (b: Buffer) => {
    if (size < max) chunks.push(b.subarray(0, max - size))
    size += b.length
  })
  return {sink, text: () => Buffer.concat(chunks).toString('utf8')}
}

function toExecError(error: unknown, container: string): Error {
  const e = error as {statusCode?: number; message?: string; json?: {message?: string}}
  if (e.statusCode === 404) return new ExecFailedError(`container ${container} not found`, 404)
  if (e.statusCode === 409) return new ExecFailedError(`container ${container} is not running`, 409)
  if (e.statusCode) return new ExecFailedError(`exec in ${container} failed: ${e.json?.message ?? e.message}`, e.statusCode)
  return error as Error
}

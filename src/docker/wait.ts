/**
 * Waits until a restarted gateway is ready to answer, bounded by a timeout: the container runs, its health check
 * (when it has one) says healthy, and the gateway itself says ready: `[gateway] ready` in its log since this start,
 * or `GET /readyz` 200 from inside the container. (A real gateway's /healthz, which image health checks poll, is
 * ok long before it is ready: 16-80 s on real gateways.) When neither signal can be had (no log line and no way to
 * ask /readyz), the health check alone decides, and the result says so.
 */
import type {DockerHandle} from './client.js'
import {inspectContainer, type ContainerInfo} from './discover.js'
import {execIn} from './exec.js'
import {containerLog} from './logs.js'

/** The gateway's readiness line (every version seen logs it once it is ready). */
export const READY_LINE = /\[gateway\] ready\b/

const READYZ = `require('http').get({host: '127.0.0.1', port: Number(process.argv[1]), path: '/readyz', timeout: 3000}, (r) => { r.resume(); process.exit(r.statusCode === 200 ? 0 : 1) }).on('error', () => process.exit(3)).on('timeout', function () { this.destroy() })`

export type Readiness = 'ready' | 'starting' | 'unknown'

/**
 * Pure: what the log since the start and the /readyz probe's exit code say: 0 ready, 1 not ready (503), 3 nothing
 * listens yet (still starting); anything else (null: the probe could not run, e.g. no node in the image) is unknown.
 */
export function readiness(logSinceStart: string, readyzExit: number | null): Readiness {
  if (READY_LINE.test(logSinceStart) || readyzExit === 0) return 'ready'
  if (readyzExit === 1 || readyzExit === 3) return 'starting'
  return 'unknown'
}

async function gatewayReadiness(handle: DockerHandle, info: ContainerInfo, port: number): Promise<Readiness> {
  const log = await containerLog(handle, info.name, info.startedAtMs).catch(() => '')
  if (READY_LINE.test(log)) return 'ready'
  const r = await execIn(handle, info.name, ['node', '-e', READYZ, String(port)], {timeoutMs: 10_000}).catch(() => null)
  return readiness(log, r && !r.timedOut ? r.exitCode : null)
}

export interface WaitResult {
  ok: boolean
  info: ContainerInfo | null
  waitedMs: number
  detail: string
  /** The wait was ended early by its signal. */
  aborted?: boolean
}

/** signal: ends the wait early (ok false, `aborted` true): a watch that is stopping does not wait out a readiness. */
export async function waitHealthy(
  handle: DockerHandle,
  container: string,
  timeoutMs: number,
  opts: {intervalMs?: number; startedAfterMs?: number; port?: number; signal?: AbortSignal} = {},
): Promise<WaitResult> {
  const started = Date.now()
  const interval = opts.intervalMs ?? 500
  let info: ContainerInfo | null = null
  let ready: Readiness = 'unknown'
  for (;;) {
    info = await inspectContainer(handle, container)
    const fresh = opts.startedAfterMs === undefined || (info?.startedAtMs ?? 0) >= opts.startedAfterMs
    if (info && info.state === 'running' && fresh && (info.health === 'healthy' || info.health === 'none')) {
      ready = await gatewayReadiness(handle, info, opts.port ?? 18789)
      const health = info.health === 'none' ? 'running (no healthcheck)' : 'healthy'
      if (ready === 'ready') return {ok: true, info, waitedMs: Date.now() - started, detail: `${health}, gateway ready`}
      if (ready === 'unknown') return {ok: true, info, waitedMs: Date.now() - started, detail: `${health}; gateway readiness unknown (no [gateway] ready line, and /readyz could not be asked)`}
    }
    if (opts.signal?.aborted)
      return {
        ok: false,
        aborted: true,
        info,
        waitedMs: Date.now() - started,
        detail: `not waited for: ${info ? `${info.state}${info.health !== 'none' ? ` (${info.health})` : ''}` : 'container not found'} after ${Math.round((Date.now() - started) / 1000)}s`,
      }
    if (Date.now() - started + interval > timeoutMs) {
      return {
        ok: false,
        info,
        waitedMs: Date.now() - started,
        detail: info
          ? `still ${info.state}${info.health !== 'none' ? ` (${info.health})` : ''}${ready === 'starting' ? ', gateway not ready (/readyz 503)' : ''} after ${Math.round(timeoutMs / 1000)}s`
          : 'container not found',
      }
    }
    await new Promise((r) => setTimeout(r, interval))
  }
}

/**
 * Waits until a restarted gateway is ready to answer, bounded by a timeout: the container runs, its health check
 * (when it has one) says healthy, and the gateway itself says ready: `[gateway] ready` in its log since this start
 * (read as a bounded stream, stopped at the ready line),
 * or `GET /readyz` from inside the container answering 200 with a JSON body that says ready (a catch-all 200 page
 * proves nothing). (A real gateway's /healthz, which image health checks poll, is
 * ok long before it is ready: 16-80 s on real gateways.) When neither signal can be had (no log line and no way to
 * ask /readyz), the health check alone decides, and the result says so.
 */
import {setTimeout as sleep} from 'node:timers/promises'
import type {DockerHandle} from '../docker/client.js'
import {inspectContainer, type ContainerInfo} from '../docker/discover.js'
import {streamContainerLog} from '../docker/logs.js'
import {probeReadiness, READY_LINE, type ReadinessEvidence} from './readiness.js'

/** Whether the log since this start has the ready line (false when the start time or the log is unknown). */
async function readyLineSinceStart(handle: DockerHandle, info: ContainerInfo): Promise<boolean> {
  if (info.startedAtMs === null) return false
  let seen = false
  await streamContainerLog(handle, info.name, {sinceMs: info.startedAtMs}, (line) => {
    if (!READY_LINE.test(line)) return
    seen = true
    return 'stop'
  }).catch(() => null)
  return seen
}

/** The ready line since this start, else /readyz from inside the container with its body checked (readinessFromProbe). */
async function gatewayReadiness(handle: DockerHandle, info: ContainerInfo, port: number): Promise<ReadinessEvidence> {
  if (await readyLineSinceStart(handle, info)) return {state: 'ready', source: 'ready-line', detail: 'ready line since this start'}
  return probeReadiness(handle, info.name, port, 10_000)
}

export interface WaitResult {
  ok: boolean
  info: ContainerInfo | null
  waitedMs: number
  detail: string
  /** The wait was ended early by its signal. */
  aborted?: boolean
}

/**
 * opts.signal: ends the wait early (ok false, `aborted` true): an interrupted heal or a stopping watch does not wait out
 * a readiness; the wait changes nothing, so nothing is left half done.
 */
export async function waitHealthy(
  handle: DockerHandle,
  container: string,
  timeoutMs: number,
  opts: {intervalMs?: number; startedAfterMs?: number; port?: number; signal?: AbortSignal} = {},
): Promise<WaitResult> {
  const started = Date.now()
  const interval = opts.intervalMs ?? 500
  let info: ContainerInfo | null = null
  let ready: ReadinessEvidence = {state: 'unknown', source: null, detail: null}
  for (;;) {
    info = await inspectContainer(handle, container)
    const fresh = opts.startedAfterMs === undefined || (info?.startedAtMs ?? 0) >= opts.startedAfterMs
    if (info && info.state === 'running' && fresh && (info.health === 'healthy' || info.health === 'none')) {
      ready = await gatewayReadiness(handle, info, opts.port ?? 18789)
      const health = info.health === 'none' ? 'running (no healthcheck)' : 'healthy'
      if (ready.state === 'ready')
        return {
          ok: true,
          info,
          waitedMs: Date.now() - started,
          detail: `${health}, gateway ready (${ready.source === 'ready-line' ? 'its ready line' : ready.detail})`,
        }
      if (ready.state === 'unknown')
        return {ok: true, info, waitedMs: Date.now() - started, detail: `${health}; gateway readiness unknown (no [gateway] ready line; ${ready.detail})`}
    }
    if (opts.signal?.aborted)
      return {
        ok: false,
        aborted: true,
        info,
        waitedMs: Date.now() - started,
        detail: `wait interrupted${opts.signal?.reason ? ` (${String(opts.signal.reason)})` : ''}: ${info ? `${info.state}${info.health !== 'none' ? ` (${info.health})` : ''}` : 'container not found'} after ${Math.round((Date.now() - started) / 1000)}s`,
      }
    if (Date.now() - started + interval > timeoutMs) {
      return {
        ok: false,
        info,
        waitedMs: Date.now() - started,
        detail: info
          ? `still ${info.state}${info.health !== 'none' ? ` (${info.health})` : ''}${ready.state === 'not-ready' ? `, gateway not ready (${ready.detail})` : ''} after ${Math.round(timeoutMs / 1000)}s`
          : 'container not found',
      }
    }
    await sleep(interval, undefined, {signal: opts.signal}).catch(() => undefined)
  }
}

/** Waits until a container runs and is healthy (its healthcheck when it has one), bounded by a timeout. */
import type {DockerHandle} from './client.js'
import {inspectContainer, type ContainerInfo} from './discover.js'

export interface WaitResult {
  ok: boolean
  info: ContainerInfo | null
  waitedMs: number
  detail: string
}

export async function waitHealthy(handle: DockerHandle, container: string, timeoutMs: number, opts: {intervalMs?: number; startedAfterMs?: number} = {}): Promise<WaitResult> {
  const started = Date.now()
  const interval = opts.intervalMs ?? 500
  let info: ContainerInfo | null = null
  for (;;) {
    info = await inspectContainer(handle, container)
    const fresh = opts.startedAfterMs === undefined || (info?.startedAtMs ?? 0) >= opts.startedAfterMs
    if (info && info.state === 'running' && fresh && (info.health === 'healthy' || info.health === 'none')) {
      return {ok: true, info, waitedMs: Date.now() - started, detail: info.health === 'none' ? 'running (no healthcheck)' : 'healthy'}
    }
    if (Date.now() - started + interval > timeoutMs) {
      return {ok: false, info, waitedMs: Date.now() - started, detail: info ? `still ${info.state}${info.health !== 'none' ? ` (${info.health})` : ''} after ${Math.round(timeoutMs / 1000)}s` : 'container not found'}
    }
    await new Promise((r) => setTimeout(r, interval))
  }
}

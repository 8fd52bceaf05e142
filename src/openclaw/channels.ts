/**
 * Start the channels OpenClaw's crash-loop breaker kept down (2026.9+).
 *
 * After 3 unclean boots in 5 minutes a 2026.9 gateway starts with its channel accounts' automatic start refused and
 * logs, per account, `channel autostart suppressed by crash-loop breaker; refusing automatic start for <channel>
 * [account <id>]. Start a channel manually with: openclaw gateway call channels.start --params '{…}'`
 * (readiness.ts channelSuppression). It restores them itself only when its breaker recovers on a later check; until
 * then the gateway answers turns while users on those channels get nothing. The cure OpenClaw names is that call, one
 * per channel account; it is run only on a gateway that is ready again (the cause of the loop is gone), and each call's
 * answer is kept.
 */
import type {DockerHandle} from '../docker/client.js'
import {execIn} from '../docker/exec.js'
import type {SuppressedChannel} from './readiness.js'

/** argv of the start of one channel account, as the gateway's own hint writes it (no shell). Pure. */
export function channelStartArgv(c: SuppressedChannel): string[] {
  const params = JSON.stringify({channel: c.channel, ...(c.accountId ? {accountId: c.accountId} : {})})
  return ['openclaw', 'gateway', 'call', 'channels.start', '--params', params, '--json']
}

export interface ChannelStart extends SuppressedChannel {
  ok: boolean
  /** The call's answer or failure, one line. */
  detail: string
  durationMs: number
}

/**
 * Pure: whether heal starts the channels the breaker kept down: some are down, the gateway said it is ready since
 * this start, and it answered fleet's turn (the cause of the loop is gone). A dry run plans it on the ping's answer.
 */
export function shouldStartChannels(life: {channelsDown: readonly SuppressedChannel[]; readiness: {state: string}}, pingOk: boolean | 'pending'): boolean {
  return life.channelsDown.length > 0 && life.readiness.state === 'ready' && pingOk !== false
}

/** Starts each suppressed channel account, one call each, bounded; never throws. */
export async function startSuppressedChannels(
  handle: DockerHandle,
  container: string,
  channels: readonly SuppressedChannel[],
  timeoutMs: number,
): Promise<ChannelStart[]> {
  const out: ChannelStart[] = []
  for (const c of channels) {
    const started = Date.now()
    try {
      const r = await execIn(handle, container, channelStartArgv(c), {timeoutMs, maxOutput: 64 * 1024})
      const text = `${r.stdout} ${r.stderr}`.replace(/\s+/g, ' ').trim().slice(0, 300)
      out.push({
        ...c,
        ok: !r.timedOut && r.exitCode === 0,
        detail: r.timedOut ? `no answer within ${timeoutMs} ms` : `exit ${r.exitCode}: ${text}`,
        durationMs: r.durationMs,
      })
    } catch (error) {
      out.push({...c, ok: false, detail: (error as Error).message, durationMs: Date.now() - started})
    }
  }
  return out
}

/**
 * Watch events: JSON lines to stdout or a file, and to a webhook (the event as a JSON body, or a Slack-compatible
 * `{"text": "..."}` one-line summary; retried with backoff in the background: a slow or dead receiver never
 * blocks the loop; a bounded queue drops the oldest).
 */
import {appendFileSync} from 'node:fs'
import {formatDuration} from '../config/duration.js'

export type WatchEvent = {event: string; instance?: string} & Record<string, unknown>

export const WEBHOOK_FORMATS = ['json', 'slack'] as const
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number]

/** The one-line summary of an event (Slack's `text`): `fleet watch: oc7 alert open (hung): <detail>`. */
export function eventSummary(e: WatchEvent): string {
  if (e.event === 'watch-start') return startLine(e)
  return `fleet watch: ${e.instance ? `${e.instance} ` : ''}${eventWhat(e)}`
}

/** What an event says, without the instance: `alert open (hung): <detail>`, `lock-cleared: <path>`. Not escaped. */
export function eventWhat(e: WatchEvent): string {
  const what = e.event === 'alert' ? `alert ${String(e.state ?? 'open')} (${String(e.reason)})` : e.event
  const duration = typeof e.durationMs === 'number' && e.event === 'alert' ? ` after ${Math.round(e.durationMs / 1000)}s` : ''
  const detail =
    typeof e.detail === 'string'
      ? `: ${e.detail}`
      : typeof e.path === 'string'
        ? `: ${e.path}`
        : typeof e.reason === 'string' && e.event !== 'alert'
          ? `: ${e.reason}`
          : ''
  return `${what}${duration}${detail}`
}

/** The start line: what is watched, how, and where to look (config, metrics, incidents). */
function startLine(e: WatchEvent): string {
  const list = (e.instances as string[] | undefined) ?? []
  const mode = e.reportOnly ? 'report only' : e.autoRestart ? 'auto-restart' : 'no restarts'
  const every = typeof e.intervalMs === 'number' ? formatDuration(e.intervalMs) : '?'
  return `fleet watch: ${list.length} instance(s) (${list.join(', ')}) every ${every}, ${mode}; config ${String(e.config ?? '-')}; metrics ${String(e.metricsUrl ?? 'off')}; incidents ${String(e.incidentDir ?? '-')}`
}

/** The webhook body of an event in a format. */
export function webhookBody(e: WatchEvent, format: WebhookFormat = 'json'): string {
  return JSON.stringify(format === 'slack' ? {text: eventSummary(e)} : e)
}

export class EventSink {
  private queue: WatchEvent[] = []
  private sending = false
  delivered = 0
  failed = 0

  constructor(
    private readonly opts: {
      /** Append every event (a JSON line) to this file. */
      file?: string
      /** Every event as a JSON line (fleet watch --json). */
      stdout?: (line: string) => void
      /** Every event as it is emitted, with its time (the view for people). */
      webhook?: string
      webhookFormat?: WebhookFormat
      echo?: (e: WatchEvent) => void
      retries?: number
      timeoutMs?: number
      maxQueue?: number
      backoffMs?: number
    },
  ) {}

  emit(e: WatchEvent): void {
    const full = {ts: new Date().toISOString(), ...e}
    const line = JSON.stringify(full)
    // JSON lines go to the events file and/or stdout (the command passes stdout only under --json); echo is the view.
    if (this.opts.file) appendFileSync(this.opts.file, `${line}\n`)
    this.opts.stdout?.(line)
    this.opts.echo?.(full)
    if (this.opts.webhook && e.event !== 'scan') {
      this.queue.push(full)
      if (this.queue.length > (this.opts.maxQueue ?? 1000)) this.queue.shift()
      void this.pump()
    }
  }

  private async pump(): Promise<void> {
    if (this.sending) return
    this.sending = true
    try {
      while (this.queue.length > 0) {
        const e = this.queue[0]
        if (await this.post(e)) this.delivered++
        else this.failed++
        this.queue.shift()
      }
    } finally {
      this.sending = false
    }
  }

  private async post(e: WatchEvent): Promise<boolean> {
    const retries = this.opts.retries ?? 4
    for (let attempt = 0; attempt <= retries; attempt++) {
      try {
        const r = await fetch(this.opts.webhook as string, {
          method: 'POST',
          headers: {'content-type': 'application/json'},
          body: webhookBody(e, this.opts.webhookFormat),
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
        })
        if (r.ok) return true
      } catch {
        // retried below
      }
      // unref: a dead receiver never keeps fleet alive after the loop has stopped
      if (attempt < retries) await new Promise((r) => setTimeout(r, (this.opts.backoffMs ?? 500) * 2 ** attempt).unref())
    }
    return false
  }

  /** Waits (bounded) for queued webhook deliveries, at shutdown. */
  async drain(maxMs = 3000): Promise<void> {
    const until = Date.now() + maxMs
    while ((this.queue.length > 0 || this.sending) && Date.now() < until) await new Promise((r) => setTimeout(r, 50))
  }
}

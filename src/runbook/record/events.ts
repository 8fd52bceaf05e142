/**
 * Watch events: JSON lines to stdout or a file, and to a webhook (JSON body, retried with backoff in the
 * background: a slow or dead receiver never blocks the loop; a bounded queue drops the oldest).
 */
import {appendFileSync} from 'node:fs'

export type WatchEvent = {event: string; instance?: string} & Record<string, unknown>

export class EventSink {
  private queue: WatchEvent[] = []
  private sending = false
  delivered = 0
  failed = 0

  constructor(private readonly opts: {file?: string; stdout?: (line: string) => void; webhook?: string; retries?: number; timeoutMs?: number; maxQueue?: number; backoffMs?: number}) {}

  emit(e: WatchEvent): void {
    const full = {ts: new Date().toISOString(), ...e}
    const line = JSON.stringify(full)
    if (this.opts.file) appendFileSync(this.opts.file, `${line}\n`)
    else this.opts.stdout?.(line)
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
          body: JSON.stringify(e),
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

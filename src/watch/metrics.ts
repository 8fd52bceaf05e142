/**
 * A tiny Prometheus text-format registry and its HTTP endpoint (for `fleet watch --metrics-port`): /metrics, and
 * /healthz (200 `ok` while the process serves it) for the liveness probes of service managers.
 */
import {createServer, type Server} from 'node:http'
import {isIP} from 'node:net'

type Labels = Record<string, string>

interface Family {
  help: string
  type: 'gauge' | 'counter'
  values: Map<string, {labels: Labels; value: number}>
}

export class Metrics {
  private families = new Map<string, Family>()

  private family(name: string, type: Family['type'], help: string): Family {
    let f = this.families.get(name)
    if (!f) {
      f = {help, type, values: new Map()}
      this.families.set(name, f)
    }
    return f
  }

  set(name: string, help: string, labels: Labels, value: number): void {
    this.family(name, 'gauge', help).values.set(key(labels), {labels, value})
  }

  inc(name: string, help: string, labels: Labels, by = 1): void {
    const f = this.family(name, 'counter', help)
    const k = key(labels)
    f.values.set(k, {labels, value: (f.values.get(k)?.value ?? 0) + by})
  }

  /** Exports a counter at 0 before its first event (rate() and increase() need the 0 to see the first one). */
  zero(name: string, help: string, labels: Labels): void {
    const f = this.family(name, 'counter', help)
    const k = key(labels)
    if (!f.values.has(k)) f.values.set(k, {labels, value: 0})
  }

  /** Drops a gauge's series (e.g. lock counts of a verdict no longer present). */
  clear(name: string): void {
    this.families.get(name)?.values.clear()
  }

  render(): string {
    const out: string[] = []
    for (const [name, f] of this.families) {
      out.push(`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`)
      for (const {labels, value} of f.values.values()) out.push(`${name}${fmt(labels)} ${Number.isFinite(value) ? value : 0}`)
    }
    return `${out.join('\n')}\n`
  }

  listen(port: number, host = '127.0.0.1'): Promise<Server> {
    const server = createServer((req, res) => {
      if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
        res.writeHead(200, {'content-type': 'text/plain; version=0.0.4; charset=utf-8'})
        res.end(this.render())
      } else if (req.url === '/healthz') {
        res.writeHead(200, {'content-type': 'text/plain; charset=utf-8'})
        res.end('ok\n')
      } else {
        res.writeHead(404).end('see /metrics or /healthz\n')
      }
    })
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve(server))
    })
  }
}

/** What is wrong with a --metrics-host value (an IP literal or `localhost`), or null. */
export function metricsHostProblem(host: string): string | null {
  return host === 'localhost' || isIP(host) !== 0 ? null : `expected an IP address (127.0.0.1, 0.0.0.0, ::1) or localhost, got "${host}"`
}

/** The URL a scraper uses for a listening host and port (IPv6 literals in brackets). */
export function metricsUrl(host: string, port: number): string {
  return `http://${isIP(host) === 6 ? `[${host}]` : host}:${port}/metrics`
}

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort())
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const fmt = (labels: Labels) => {
  const e = Object.entries(labels)
  return e.length === 0 ? '' : `{${e.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`
}

/**
 * The counters of `fleet watch`, exported at 0 from the start for every selected gateway (and every action),
 * so that a scraper sees the series before the first event and increase() counts the first one.
 */
export function zeroWatchCounters(m: Metrics, gateways: string[]): void {
  m.zero('openclaw_fleet_scans_total', 'Scans done.', {})
  for (const gateway of gateways) {
    for (const action of ['clear', 'end-holder']) m.zero('openclaw_fleet_heals_total', 'Locks cleared and holders ended.', {gateway, action})
    m.zero('openclaw_fleet_restarts_total', 'Restarts done by watch.', {gateway})
  }
}

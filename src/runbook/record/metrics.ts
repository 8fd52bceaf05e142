/** A tiny Prometheus text-format registry and its HTTP endpoint on 127.0.0.1 (for `fleet watch --metrics-port`). */
import {createServer, type Server} from 'node:http'

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
      } else {
        res.writeHead(404).end('see /metrics\n')
      }
    })
    return new Promise((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => resolve(server))
    })
  }
}

const key = (labels: Labels) => JSON.stringify(Object.entries(labels).sort())
const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
const fmt = (labels: Labels) => {
  const e = Object.entries(labels)
  return e.length === 0 ? '' : `{${e.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`
}

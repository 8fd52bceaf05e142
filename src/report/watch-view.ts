/**
 * `fleet watch` for a person: a renderer of the watch's events (the backend reports events and makes no UI choice;
 * the mode is chosen once, by chooseWatchView in progress.ts).
 * - `live` (a TTY): a table of the instances (state, worst lock verdict, locks, the gateway's own work on 2026.8+,
 *   the last ping, the last action), the last scan and the next one, and the last few events, redrawn in place;
 * - `lines` (piped, CI, TERM=dumb): one plain line per event, one per scan, no cursor codes;
 * - `json` (--json): no view, the events are JSON lines.
 * Every value from a container or the disk goes through printable(). Colour only when colorWanted() says so.
 */
import {formatDuration} from '../config/duration.js'
import {eventSummary, eventWhat, type WatchEvent} from '../watch/events.js'
import {printable} from '../util/escape.js'

export type WatchViewMode = 'json' | 'live' | 'lines'

/** What a scan event says of one instance. */
interface ScanEntry {
  instance: string
  state: string
  life?: string
  worst: string | null
  locks: number
  busy?: string
  ping?: {ok: boolean; class: string; durationMs: number | null; reply?: string | null; failure?: string}
  work?: {active: number | null; reason?: string}
}

interface Row {
  scan: ScanEntry | null
  /** The last ping seen (a scan without a ping keeps the one before). */
  ping: ScanEntry['ping'] | null
  lastAction: string | null
}

export interface WatchViewState {
  start: string | null
  instances: string[]
  rows: Map<string, Row>
  scans: number
  lastScan: {at: string; reason: string; durationMs: number} | null
  nextScanAt: string | null
  /** The last few event lines (newest last). */
  recent: string[]
  /** The watch-stopping / watch-stop line, once stopping. */
  ending: string | null
}

const RECENT = 5
/** Events that say something about one instance: its LAST ACTION cell. */
const NOT_ACTIONS = new Set(['scan', 'trigger', 'watch-start', 'watch-stopping', 'watch-stop', 'error'])

export function emptyView(): WatchViewState {
  return {start: null, instances: [], rows: new Map(), scans: 0, lastScan: null, nextScanAt: null, recent: [], ending: null}
}

const clock = (ts: unknown) => (typeof ts === 'string' && ts.length >= 19 ? ts.slice(11, 19) : '--:--:--')
const dur = (ms: number | null | undefined) => (typeof ms === 'number' ? formatDuration(ms) : '-')

/** The view after one event. Pure (a new state; the old one is not changed). */
export function reduceView(v: WatchViewState, e: WatchEvent): WatchViewState {
  const next: WatchViewState = {...v, rows: new Map(v.rows)}
  const row = (name: string): Row => next.rows.get(name) ?? {scan: null, ping: null, lastAction: null}
  if (e.event === 'watch-start') {
    next.start = eventSummary(e)
    next.instances = Array.isArray(e.instances) ? (e.instances as string[]) : []
    return next
  }
  if (e.event === 'scan') {
    for (const s of (e.instances as ScanEntry[] | undefined) ?? []) {
      const r = row(s.instance)
      next.rows.set(s.instance, {...r, scan: s, ping: s.ping ?? r.ping})
      if (!next.instances.includes(s.instance)) next.instances = [...next.instances, s.instance]
    }
    if (e.reason === 'interval') next.scans = v.scans + 1
    next.lastScan = {at: String(e.ts), reason: String(e.reason), durationMs: Number(e.durationMs)}
    if (typeof e.nextScanAt === 'string') next.nextScanAt = e.nextScanAt
    return next
  }
  const line = eventLine(e)
  if (line !== null) next.recent = [...v.recent, line].slice(-RECENT)
  if (e.event === 'watch-stopping' || e.event === 'watch-stop') next.ending = line
  if (e.instance && !NOT_ACTIONS.has(e.event)) next.rows.set(e.instance, {...row(e.instance), lastAction: `${clock(e.ts)} ${printable(eventWhat(e))}`})
  return next
}

/** The STATE cell: the gateway's life-cycle state while it runs (ready, starting, crash-loop ...), else the container's. */
function stateCell(s: ScanEntry): string {
  const state = s.state === 'running' && s.life ? s.life : s.state
  return s.busy ? `${state} (busy: ${s.busy})` : state
}

function pingCell(p: Row['ping']): string {
  if (!p) return '-'
  return p.ok ? `${p.reply ?? 'ok'} ${dur(p.durationMs)}` : `FAIL ${p.class} ${dur(p.durationMs)}`
}

/** The WORK cell (2026.8+: the work the gateway reports, as `status --locks` shows it): `-` when not asked. */
function workCell(w: ScanEntry['work']): string {
  if (!w) return '-'
  if (w.active === null) return 'unknown'
  return w.active === 0 ? 'none' : `${w.active} active`
}

/** One plain line for an event (null: said by no line). Escaped. */
export function eventLine(e: WatchEvent): string | null {
  if (e.event === 'watch-start') return printable(eventSummary(e))
  if (e.event === 'scan') return printable(scanLine(e))
  const who = e.instance ? `${e.instance} ` : ''
  const extra = e.event === 'trigger' && Array.isArray(e.instances) ? ` (${(e.instances as string[]).join(', ')})` : ''
  const scans = e.event === 'watch-stop' ? `: after ${String(e.scans ?? 0)} scan(s)` : ''
  return printable(`${clock(e.ts)} ${who}${eventWhat(e)}${extra}${scans}`)
}

/** `12:00:01 scan interval 0.8s: oc7 ready, no locks, ping SPEED_OK 0.4s; oc8 exited, worst stale (1 lock)`. */
function scanLine(e: WatchEvent): string {
  const parts = ((e.instances as ScanEntry[] | undefined) ?? []).map((s) => {
    const locks = s.worst ? `worst ${s.worst} (${s.locks} lock${s.locks === 1 ? '' : 's'})` : s.locks > 0 ? `${s.locks} lock(s)` : 'no locks'
    const ping = s.ping ? `, ping ${s.ping.ok ? pingCell(s.ping) : (s.ping.failure ?? pingCell(s.ping))}` : ''
    const work = s.work ? `, gateway work ${workCell(s.work)}` : ''
    return `${s.instance} ${stateCell(s)}, ${locks}${ping}${work}`
  })
  return `${clock(e.ts)} scan ${String(e.reason)} ${dur(Number(e.durationMs))}: ${parts.join('; ')}`
}

/** SGR codes (open, close), used only when colour is wanted. */
type Sgr = readonly [number, number]
const RED: Sgr = [31, 39]
const GREEN: Sgr = [32, 39]
const YELLOW: Sgr = [33, 39]
const BOLD: Sgr = [1, 22]
const paint = (s: string, sgr: Sgr | null) => (sgr ? `\x1b[${sgr[0]}m${s}\x1b[${sgr[1]}m` : s)
const BAD_VERDICTS = new Set(['stale', 'hung', 'orphan', 'conflict'])
const GOOD_STATES = new Set(['ready'])
const WAITING_STATES = new Set(['starting', 'restarting', 'unverified', 'not'])

/** A colour for a cell by its column and text (null: none). */
function cellColour(column: string, text: string): Sgr | null {
  if (column === 'STATE') return GOOD_STATES.has(text) ? GREEN : WAITING_STATES.has(text.split(' ')[0]) ? YELLOW : RED
  if (column === 'WORST') return BAD_VERDICTS.has(text) ? RED : text === 'unknown' ? YELLOW : null
  if (column === 'PING') return text.startsWith('FAIL') ? RED : text === '-' ? null : GREEN
  return null
}

/**
 * Lines in columns, each line cut to `width` visible characters (a live frame must not wrap: it is redrawn by moving
 * the cursor up by its line count). Colour is added after the cut, cell by cell.
 */
function layout(headers: string[], rows: string[][], width: number, color: boolean): string[] {
  const cells = rows.map((r) => r.map((c) => printable(c)))
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)))
  const line = (r: string[], header: boolean) => {
    let out = ''
    let used = 0
    for (const [i, c] of r.entries()) {
      const sep = i === 0 ? '' : '  '
      const text = i === r.length - 1 ? c : c.padEnd(widths[i])
      const room = width - used - sep.length
      if (room <= 0) break
      const shown = text.length > room ? `${text.slice(0, Math.max(0, room - 1))}…` : text
      const sgr = color ? (header ? BOLD : cellColour(headers[i], c)) : null
      const bare = shown.trimEnd()
      out += sep + paint(bare, sgr) + shown.slice(bare.length)
      used += sep.length + shown.length
    }
    return out.trimEnd()
  }
  return [line(headers, true), ...cells.map((r) => line(r, false))]
}

const cut = (s: string, width: number) => (s.length > width ? `${s.slice(0, Math.max(0, width - 1))}…` : s)

/** The live frame: the start line, the table, the scans line, the last events. Pure. */
export function frame(v: WatchViewState, now: number, opts: {color: boolean; width: number}): string[] {
  const width = Math.max(20, opts.width)
  const rows = v.instances.map((name) => {
    const r = v.rows.get(name)
    const s = r?.scan
    return [
      name,
      s ? stateCell(s) : 'not scanned yet',
      s?.worst ?? '-',
      s ? String(s.locks) : '-',
      workCell(s?.work),
      pingCell(r?.ping ?? null),
      r?.lastAction ?? '-',
    ]
  })
  const out = [cut(v.start ?? 'fleet watch', width), ...layout(['INSTANCE', 'STATE', 'WORST', 'LOCKS', 'WORK', 'PING', 'LAST ACTION'], rows, width, opts.color)]
  const last = v.lastScan ? `last scan ${clock(v.lastScan.at)} (${v.lastScan.reason}, ${dur(v.lastScan.durationMs)})` : 'first scan running'
  const due = v.nextScanAt ? Date.parse(v.nextScanAt) - now : Number.NaN
  const next = v.ending ? '' : Number.isFinite(due) ? `; next scan ${due > 0 ? `in ${formatDuration(Math.ceil(due / 1000) * 1000)}` : 'now'}` : ''
  out.push('', cut(`${v.scans} interval scan(s); ${last}${next}`, width))
  if (v.recent.length > 0) out.push('', ...v.recent.map((l) => cut(l, width)))
  return out
}

/**
 * The view's writer: in `lines` mode one line per event; in `live` mode the frame, redrawn in place on every event
 * and every second (the countdown to the next scan). `close()` leaves the last frame on the screen.
 */
export class WatchView {
  private state = emptyView()
  private drawn = 0
  private timer: NodeJS.Timeout | null = null

  constructor(
    readonly mode: Exclude<WatchViewMode, 'json'>,
    private readonly write: (text: string) => void,
    private readonly opts: {color: boolean; width: () => number; now?: () => number; tickMs?: number},
  ) {
    if (mode === 'live') {
      this.timer = setInterval(() => this.draw(), opts.tickMs ?? 1000)
      this.timer.unref()
    }
  }

  onEvent(e: WatchEvent): void {
    this.state = reduceView(this.state, e)
    if (this.mode === 'lines') {
      const line = eventLine(e)
      if (line !== null) this.write(`${line}\n`)
      return
    }
    this.draw()
    if (e.event === 'watch-stop') this.close()
  }

  /** Redraws the frame over the last one: cursor up by its line count, clear to the end of the screen. */
  private draw(): void {
    const lines = frame(this.state, (this.opts.now ?? Date.now)(), {color: this.opts.color, width: this.opts.width()})
    const up = this.drawn > 0 ? `\x1b[${this.drawn}A\r\x1b[0J` : ''
    this.write(`${up}${lines.join('\n')}\n`)
    this.drawn = lines.length
  }

  close(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = null
  }
}

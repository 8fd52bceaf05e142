/**
 * `fleet watch`: scan the selected instances every interval, act on what `decide` says (clear stale locks,
 * end orphan holders, restart with --auto-restart), and report through events, the incident log and metrics.
 * The scan loop only observes, judges and reports; what changes something runs beside it (watch-work.ts): per
 * instance one piece of work at a time, restarts bounded by heal.concurrency, so a restart waiting minutes for a
 * gateway that never gets ready holds up no other instance's scans, event reactions or clears.
 */
import type {Fleet, Instance} from '../config/model.js'
import {groupOf} from '../config/model.js'
import type {EventSink} from './events.js'
import type {IncidentLog} from '../incidents/log.js'
import type {Metrics} from './metrics.js'
import {deleteLock, HealEffects, endOrphan, logLock, restartInstance, resumeStopped, waitUp, type ActionRecord} from '../heal/steps.js'
import {observe, type InstanceStatus} from '../observe/observe.js'
import {pingInstance, scanPing, type PingResult} from '../ping/ping.js'
import type {PingFailure} from '../decide/ping-class.js'
import {
  decide,
  EFFECTS,
  freshMemory,
  judged,
  restartEvidence,
  seenBefore,
  watchRunEnd,
  type InstanceMemory,
  type ScanReason,
  type WatchAction,
  type WatchPolicy,
} from '../decide/watch.js'
import {dropQueued, emptyBook, finish, isBusy, mayAct, submit, type Work, type WorkBook} from './work.js'
import {mapLimit} from '../util/concurrency.js'
import {errorMessage, UnreachableError} from '../errors.js'
import {noVerdicts, type Verdict} from '../locks/types.js'
import {followEngine, followLockDirs, type Source} from './sources.js'
import {msUntilAnyHung, msUntilAnyVerdictMayChange} from '../locks/verdict-timing.js'
import {isPaused} from '../docker/container-state.js'
import {dockerFor} from '../docker/client.js'
import {readGatewayWork, type GatewayWorkReading} from '../openclaw/gateway-work.js'
import {gatewayWorkTimeoutMs} from '../observe/observe.js'

export interface WatchSettings extends WatchPolicy {
  intervalMs: number
  /** Follow the engine's events and the lock dirs, and judge an instance at once when they name it (the interval scan stays). */
  react?: boolean
  ping: boolean
  /** Stop after this many scans (0 = until a signal). */
  scans: number
  waitTimeoutMs: number
  /** Restarts (each with its wait for readiness) in flight at once; more wait in order (heal.concurrency). */
  restartConcurrency?: number
  /** Named on the start line (watch-start). */
  start?: {config: string; metricsUrl: string | null; incidentDir: string}
}

const VERDICTS = Object.keys(noVerdicts()) as Verdict[]
type TargetedReason = Exclude<ScanReason, 'interval'>

/** A piece of work in flight on one instance (the effects of one judgement), and what it has not done yet. */
interface Task {
  work: Work
  instance: string
  promise: Promise<void> | null
  /** Where it is: queued, the action it runs ('restart', 'wait', 'clear' ...). */
  step: string
}

/** After an event, the scan waits this long for the burst to settle (a die comes with kill, stop, exec_die …). */
export const EVENT_SETTLE_MS = 150
/** A lock first seen stale or orphan after an event is judged again this soon (the seen-twice rule), not at the next interval. */
export const CONFIRM_AFTER_MS = 1000

const STOPPING_DETAIL = 'finishing the step in flight (a restart is completed; its wait for readiness is cut short); nothing new starts'

export class Watcher {
  private memory = new Map<number, InstanceMemory>()
  /** Instances seen paused on the last scan (one alert per pause). */
  private paused = new Set<number>()
  /** RestartCount per instance at the last scan (gatewayLife: a count that rose since is a crash in between). */
  private readonly restartCounts = new Map<number, number | null>()
  private stopping = false
  private wake: (() => void) | null = null
  /** Work in flight beside the loop (pure bookkeeping in watch-work.ts) and its tasks. */
  private book: WorkBook = emptyBook()
  private tasks = new Map<number, Task>()
  /** Aborted by stop(): a restart's wait for readiness ends early (its restart step always finishes). */
  private readonly stopSignal = new AbortController()
  scansDone = 0
  /** When the next interval scan is due (said in each scan event: the view counts down to it). */
  private nextScanAt = 0
  /** What stopped the watch (a signal's name), null until stop(). */
  private stoppedBy: string | null = null
  /** The last ping of each instance (its failure goes into the incident log before a restart it asked for). */
  private readonly lastPing = new Map<number, PingResult>()
  /**
   * Instances whose work ended in this run and that have not answered a ping since: their pings go into the incident
   * log until one passes (the incident document measures the outage to it).
   */
  private readonly recovering = new Set<number>()
  /** Whether the last scan found a Docker host it could not reach (the watch's exit code says so: 3). */
  unreachable = false

  constructor(
    private readonly fleet: Fleet,
    private readonly instances: Instance[],
    private readonly s: WatchSettings,
    private readonly events: EventSink,
    private readonly log: IncidentLog,
    private readonly metrics: Metrics,
  ) {}

  /**
   * Stop: no new scan, no new work; queued restarts are dropped (reported), running work finishes its step (a
   * restart is never left stopped without its start) and restarts' waits for readiness end early (reported); then
   * run() returns.
   */
  stop(signal: string | null = null): void {
    // Said at once, before the waits are cut short: what is in flight at the moment of the stop.
    if (!this.stopping) this.events.emit({event: 'watch-stopping', inFlight: this.inFlight(), detail: STOPPING_DETAIL, ...(signal ? {signal} : {})})
    this.stoppedBy ??= signal
    this.stopping = true
    this.stopSignal.abort()
    this.wake?.()
  }

  /** A second signal: end now. Says what was in flight and is left unfinished (watch-stop with `abandoned`). */
  abandon(signal: string | null = null): void {
    this.log.write('run-end', watchRunEnd({scans: this.scansDone, stoppedBy: this.stoppedBy, forcedBy: signal ?? 'a second signal'}))
    this.events.emit({event: 'watch-stop', scans: this.scansDone, abandoned: this.inFlight()})
  }

  /** The work in flight, for people: instance, kind, step, since. */
  inFlight(): {instance: string; kind: string; step: string; since: string}[] {
    return [...this.tasks.values()].map((t) => ({instance: t.instance, kind: t.work.kind, step: t.step, since: new Date(t.work.since).toISOString()}))
  }

  /**
   * Instances to judge between interval scans, each with the time it is due: `event` (the engine or a lock dir
   * named it: clear and end only), `timed` (a lock turns hung by age now: restarts too, as at an interval scan).
   */
  private due: Record<TargetedReason, Map<number, number>> = {event: new Map(), timed: new Map()}

  /** Judge these instances soon (after `inMs`), between interval scans; an earlier request for one wins. */
  soon(ids: number[], inMs: number, reason: TargetedReason = 'event'): void {
    const at = Date.now() + inMs
    const due = this.due[reason]
    for (const id of ids) due.set(id, Math.min(due.get(id) ?? Infinity, at))
    this.wake?.()
  }

  /** When the first targeted scan is due (Infinity: none). */
  private get dueAt(): number {
    return Math.min(Infinity, ...this.due.event.values(), ...this.due.timed.values())
  }

  /** The instances whose targeted scan of this kind is due by `now`, taken off the list. */
  private takeDue(reason: TargetedReason, now: number): Set<number> {
    const due = this.due[reason]
    const ids = new Set([...due].filter(([, at]) => at <= now).map(([id]) => id))
    for (const id of ids) due.delete(id)
    return ids
  }

  async run(): Promise<void> {
    this.events.emit({
      event: 'watch-start',
      instances: this.instances.map((i) => i.name),
      intervalMs: this.s.intervalMs,
      reportOnly: this.s.reportOnly,
      autoRestart: this.s.autoRestart,
      react: this.s.react ?? false,
      ...this.s.start,
    })
    // Kept in memory until the watch changes something (no incident for a watch that changed nothing).
    this.log.write('run-start', {
      config: this.s.start?.config ?? null,
      instances: this.instances.map((i) => i.name),
      settings: {
        intervalMs: this.s.intervalMs,
        reportOnly: this.s.reportOnly,
        autoRestart: this.s.autoRestart,
        maxAttempts: this.s.maxAttempts,
        ping: this.s.ping,
      },
    })
    const sources: Source[] = this.s.react ? this.follow() : []
    let nextFull = Date.now()
    // The interval scan runs beside the loop (its pings may take up to ping.timeout each): the event and timed scans
    // of the other instances go on meanwhile. One interval scan at a time.
    const full: {scan: Promise<void> | null; enough: boolean} = {scan: null, enough: false}
    try {
      while (!this.stopping && !full.enough) {
        const now = Date.now()
        if (full.scan === null && now >= nextFull) {
          nextFull = now + this.s.intervalMs
          this.nextScanAt = nextFull
          full.scan = this.guarded(() => this.scan(this.instances, 'interval')).then(() => {
            this.scansDone++
            full.scan = null
            if (this.s.scans > 0 && this.scansDone >= this.s.scans) full.enough = true
            this.wake?.()
          })
        }
        if (Date.now() >= this.dueAt) {
          for (const reason of ['event', 'timed'] as const) {
            const ids = this.takeDue(reason, Date.now())
            if (ids.size > 0)
              await this.guarded(() =>
                this.scan(
                  this.instances.filter((i) => ids.has(i.id)),
                  reason,
                ),
              )
          }
        }
        if (this.stopping || full.enough) break
        await this.sleep(Math.min(full.scan === null ? nextFull : Infinity, this.dueAt) - Date.now())
      }
      // An interval scan in progress ends (once stopping, it judges and acts on nothing more).
      await full.scan
    } finally {
      for (const src of sources) src.stop()
    }
    const notStarted = await this.settle()
    // A watch that stopped normally has its run-end: `fleet incidents list` does not call it incomplete.
    this.log.write('run-end', watchRunEnd({scans: this.scansDone, stoppedBy: this.stoppedBy, notStarted}))
    this.events.emit({event: 'watch-stop', scans: this.scansDone, ...(notStarted.length > 0 ? {notStarted} : {})})
  }

  /**
   * The loop has ended: queued restarts are dropped when stopping (each reported), and the work in flight is waited
   * for (after --scans N, to its end; when stopping, to the end of its current step: restart waits end early).
   */
  private async settle(): Promise<string[]> {
    if (this.tasks.size === 0) return []
    if (this.stopping) {
      // Queued restarts never get a slot now: each is let go, reports what it did not start, and ends.
      const {book, dropped} = dropQueued(this.book)
      this.book = book
      for (const w of dropped) this.slots.get(w.id)?.()
    }
    // A stop said so when it came (stop()); the end of --scans N says it here.
    if (!this.stopping) this.events.emit({event: 'watch-stopping', inFlight: this.inFlight(), detail: 'waiting for the work in flight to end'})
    await Promise.allSettled([...this.tasks.values()].map((t) => t.promise))
    return [...this.notStarted]
  }

  /** Instances with a step the stop left undone (reported one by one as `not-started`). */
  private notStarted = new Set<string>()

  private async guarded(fn: () => Promise<void>): Promise<void> {
    try {
      await fn()
    } catch (error) {
      this.events.emit({event: 'error', message: errorMessage(error)})
    }
  }

  /** The engine's events and the lock dirs: each names instances to judge at once. */
  private follow(): Source[] {
    const trigger = (ids: number[], source: 'engine' | 'file', detail: string) => {
      this.events.emit({event: 'trigger', source, detail, instances: ids.map((id) => this.inst(id).name)})
      // followLockDirs has let a file's burst settle already (and dropped locks that were gone by then).
      this.soon(ids, source === 'file' ? 0 : EVENT_SETTLE_MS)
    }
    const onError = (message: string) => this.events.emit({event: 'error', message})
    return [followEngine(this.instances, trigger, onError), followLockDirs(this.instances, trigger, onError, EVENT_SETTLE_MS)]
  }

  /** Sleeps ms (Infinity: until woken), or until wake() (a signal, a due scan, the end of an interval scan). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = Number.isFinite(ms) ? setTimeout(resolve, Math.max(0, ms)) : undefined
      this.wake = () => {
        clearTimeout(t)
        resolve()
      }
    })
  }

  /** A full scan (interval: pings too, metrics refreshed) or a targeted one after an event (no ping: it judges locks). */
  private async scan(instances: Instance[], reason: ScanReason): Promise<void> {
    if (instances.length === 0) return
    const t0 = Date.now()
    // A RestartCount that rose since the last scan is a crash in between, even when this scan lands in a running window.
    const obs = await observe(this.fleet, instances, {logs: false, leases: false, previousRestartCounts: this.restartCounts}).catch((error: unknown) => {
      if (error instanceof UnreachableError) this.unreachable = true
      throw error
    })
    this.unreachable = obs.unreachable.length > 0
    for (const st of obs.instances) this.restartCounts.set(st.id, st.restartCount)
    // An instance with work in flight (a restart waiting for readiness) is not pinged: it is observed and reported.
    // After its ping (so the ping's own turn is not counted), a 2026.8+ gateway is asked for its active work.
    const probes = reason === 'interval' ? await mapLimit(obs.instances, this.fleet.ping.concurrency, (st) => this.probe(st)) : obs.instances.map(() => null)
    if (reason === 'interval') this.metrics.clear('openclaw_fleet_locks')
    for (const [i, st] of obs.instances.entries()) {
      if (this.stopping) break
      const ping = probes[i]?.ping ?? null
      if (probes[i]?.work !== undefined) st.work = probes[i]?.work
      if (ping) this.pinged(st, ping)
      this.record(st, ping?.ok ?? null, ping?.latencyMs ?? null)
      this.act(st, ping ? ping.ok : null, ping?.failure ?? null, reason, t0)
    }
    const durationMs = Date.now() - t0
    this.metrics.set('openclaw_fleet_scan_duration_seconds', 'Duration of the last scan.', {}, durationMs / 1000)
    this.metrics.set('openclaw_fleet_last_scan_timestamp_seconds', 'When the last scan finished (unix time).', {}, Date.now() / 1000)
    this.metrics.inc('openclaw_fleet_scans_total', 'Scans done.', {})
    this.events.emit({
      event: 'scan',
      reason,
      durationMs,
      nextScanAt: new Date(this.nextScanAt).toISOString(),
      instances: obs.instances.map((st, i) => {
        const busy = this.tasks.get(st.id)
        const ping = probes[i]?.ping
        const work = st.work ? workOfScan(st.work) : null
        return {
          instance: st.name,
          state: st.state,
          life: st.life.state,
          worst: st.worst,
          locks: st.locks.length,
          ...(busy ? {busy: busy.step} : {}),
          ...(ping ? {ping: scanPing(ping)} : {}),
          ...(work ? {work} : {}),
        }
      }),
    })
  }

  /** An interval scan's look inside a running instance with no work in flight: its ping, then its gateway's active work (2026.8+). */
  private async probe(st: InstanceStatus): Promise<{ping: PingResult | null; work: GatewayWorkReading | null} | null> {
    if (st.state !== 'running' || isBusy(this.book, st.id)) return null
    const inst = this.inst(st.id)
    const ping = this.s.ping ? await pingInstance(this.fleet, inst, this.fleet.ping, 1, st.container) : null
    const work = await readGatewayWork(dockerFor(inst.docker), st.container, gatewayWorkTimeoutMs(this.fleet), st.openclaw.version)
    return {ping, work}
  }

  /** A ping's result kept for the restart it may ask for; after work on the instance, logged until one passes. */
  private pinged(st: InstanceStatus, ping: PingResult): void {
    this.lastPing.set(st.id, ping)
    if (!this.recovering.has(st.id)) return
    this.log.write('ping', pingRecord(st.name, ping))
    if (ping.ok) this.recovering.delete(st.id)
  }

  private inst(id: number): Instance {
    return this.instances.find((i) => i.id === id) as Instance
  }

  private record(st: InstanceStatus, pingOk: boolean | null, latencyMs: number | null): void {
    for (const v of VERDICTS) this.metrics.set('openclaw_fleet_locks', 'Session locks by verdict.', {gateway: st.name, verdict: v}, st.counts[v])
    this.metrics.set('openclaw_fleet_instance_ok', '1 when the container runs with no stale/hung/orphan/conflict lock.', {gateway: st.name}, st.ok ? 1 : 0)
    if (pingOk !== null) this.metrics.set('openclaw_fleet_ping_ok', '1 when the last SPEED_OK ping passed.', {gateway: st.name}, pingOk ? 1 : 0)
    if (latencyMs !== null) this.metrics.set('openclaw_fleet_ping_latency_seconds', 'Latency of the last ping.', {gateway: st.name}, latencyMs / 1000)
  }

  /** Judges one instance from this scan, reports at once, and hands what changes something to the work beside the loop. */
  private act(st: InstanceStatus, pingOk: boolean | null, pingFailure: PingFailure | null, reason: ScanReason, observedAt: number): void {
    if (isPaused(st.state)) {
      // Frozen processes cannot be judged: no lock is cleared, no holder ended, no restart. One alert per pause.
      if (!this.paused.has(st.id))
        this.events.emit({
          instance: st.name,
          container: st.container,
          event: 'alert',
          reason: 'paused',
          detail: `container ${st.container} is paused: its locks cannot be judged; nothing is done until it is unpaused`,
        })
      this.paused.add(st.id)
      // What was seen before the pause is not confirmed by what is seen after it.
      this.memory.set(st.id, {...(this.memory.get(st.id) ?? freshMemory()), seen: new Map(), notRunningScans: 0})
      return
    }
    this.paused.delete(st.id)
    const mem = this.memory.get(st.id) ?? freshMemory()
    const free = mayAct(this.book, st.id, observedAt)
    const {actions, left, next} = judged(reason, free, mem, decide(st, pingOk, mem, this.s, Date.now(), pingFailure))
    this.memory.set(st.id, next)
    // A lock left alone for good is announced once, with the reason heal gives for it (the one lock rule).
    for (const {lock, why} of left)
      if (!seenBefore(mem, lock))
        this.events.emit({instance: st.name, container: st.container, event: 'lock-left', path: lock.path, verdict: lock.verdict, reasons: lock.reasons, why})
    // Reacting: a lock first seen stale or orphan is judged again in a second (seen twice, same content), not at the next interval.
    const firstSeen = actions.some((a) => a.type === 'pending' && !seenBefore(mem, a.lock))
    if (this.s.react && !this.s.reportOnly && free && firstSeen) this.soon([st.id], CONFIRM_AFTER_MS)
    // ... and a lock about to become stale or orphan by age alone (a turn past its deadline, a malformed lock's
    // grace) is judged again at that moment: a turn waiting for it (OpenClaw waits 10 s) still gets it.
    // With --auto-restart, a lock about to turn hung (the gateway's own turn held past maxHold) is judged then too.
    if (this.s.react && !this.s.reportOnly) {
      const turnsAt = msUntilAnyVerdictMayChange(st.locks, this.fleet.locks, Date.now())
      if (turnsAt !== null && turnsAt < this.s.intervalMs) this.soon([st.id], turnsAt)
      const hungAt = this.s.autoRestart ? msUntilAnyHung(st.locks, this.fleet.locks) : null
      if (hungAt !== null && hungAt < this.s.intervalMs) this.soon([st.id], hungAt, 'timed')
    }
    for (const a of actions) this.report(st, a, mem, free)
    const effects = actions.filter((a) => EFFECTS.has(a.type))
    if (effects.length === 0 || this.stopping) return
    const kind = effects.some((a) => a.type === 'restart') ? 'restart' : 'locks'
    const asked = submit(this.book, {id: st.id, kind, since: Date.now()}, this.s.restartConcurrency ?? 1)
    // mayAct was true, so nothing is in flight on this instance: a refusal cannot happen; guarded all the same.
    if (!asked) return
    this.book = asked.book
    const task: Task = {work: this.book.work.get(st.id) as Work, instance: st.name, promise: null, step: asked.start ? 'starting' : 'queued'}
    this.tasks.set(st.id, task)
    task.promise = this.perform(task, st, effects, next.attempts, asked.start)
    if (!asked.start)
      this.events.emit({
        instance: st.name,
        container: st.container,
        event: 'restart-queued',
        detail: `${this.s.restartConcurrency ?? 1} restart(s) in flight already (heal.concurrency)`,
      })
  }

  /** The events of what a judgement says (alerts, hold-offs, locks seen ...), at once; effects are the work's. */
  private report(st: InstanceStatus, a: WatchAction, mem: InstanceMemory, free: boolean): void {
    const base = {instance: st.name, container: st.container}
    switch (a.type) {
      case 'pending':
        // Seen like this for the first time (new, or it was live a moment ago): announced once.
        if (!seenBefore(mem, a.lock))
          this.events.emit({
            ...base,
            event: 'lock-seen',
            path: a.lock.path,
            verdict: a.lock.verdict,
            reasons: a.lock.reasons,
            note: this.s.reportOnly
              ? 'report only'
              : free
                ? 'acted on if still so at the next scan'
                : 'acted on once the work in flight on this instance has ended',
          })
        break
      case 'alert':
        this.events.emit({
          ...base,
          event: 'alert',
          state: a.state,
          reason: a.reason,
          detail: a.detail,
          episode: a.episode,
          since: a.since,
          ...(a.state === 'resolved' ? {durationMs: a.durationMs, healthySince: a.healthySince} : {}),
        })
        break
      case 'hold-off':
        this.events.emit({...base, event: 'restart-held-off', reason: a.reason, until: new Date(a.until).toISOString()})
        break
      case 'give-up':
        this.events.emit({...base, event: 'gave-up', detail: a.detail})
        this.log.write('gave-up', {instance: st.name, detail: a.detail})
        break
      case 'recovered':
        this.events.emit({...base, event: 'recovered'})
        break
      default:
        break
    }
  }

  /**
   * The effects of one judgement, in order, beside the loop: clears, holder ends, a restart and its wait. A queued
   * restart first waits for its slot (started by done()). Stopping starts no further step.
   */
  private perform(task: Task, st: InstanceStatus, effects: WatchAction[], attempt: number, startNow: boolean): Promise<void> {
    const inst = this.inst(st.id)
    const base = {instance: st.name, container: st.container}
    let go: () => void = () => undefined
    const slot = startNow ? Promise.resolve() : new Promise<void>((r) => (go = r))
    this.slots.set(st.id, () => go())
    const run = async () => {
      await slot
      const records: ActionRecord[] = []
      for (const a of effects) {
        if (this.stopping) {
          // Nothing new starts once the watch is stopping: said, step by step.
          this.notStarted.add(st.name)
          this.events.emit({
            ...base,
            event: 'not-started',
            action: a.type,
            ...(a.type === 'restart' ? {reason: a.reason} : 'lock' in a ? {path: a.lock.path} : {}),
            detail: 'watch stopped before this step began',
          })
          continue
        }
        task.step = a.type
        switch (a.type) {
          case 'clear': {
            logLock(this.log, st.name, a.lock)
            const r = await deleteLock(new HealEffects(this.log), inst, a.lock, records)
            if (r.outcome === 'removed') this.metrics.inc('openclaw_fleet_heals_total', 'Locks cleared and holders ended.', {gateway: st.name, action: 'clear'})
            this.events.emit({
              ...base,
              event: r.outcome === 'removed' ? 'lock-cleared' : 'lock-skipped',
              path: a.lock.path,
              verdict: a.lock.verdict,
              reasons: a.lock.reasons,
              outcome: r.outcome,
              detail: r.detail,
            })
            break
          }
          case 'end-holder': {
            logLock(this.log, st.name, a.lock)
            await endOrphan(this.fleet, new HealEffects(this.log), inst, st.container, a.holder, records)
            this.metrics.inc('openclaw_fleet_heals_total', 'Locks cleared and holders ended.', {gateway: st.name, action: 'end-holder'})
            this.events.emit({...base, event: 'holder-ended', path: a.lock.path, pid: a.lock.pid, actions: records.map((r) => `${r.type}:${r.outcome}`)})
            break
          }
          case 'restart': {
            // The evidence first: the instance's locks as judged (a hung holder) and the failed ping that asked for it.
            // A running container was pinged by the scan that decided this (a busy one is not acted on).
            const last = st.state === 'running' ? this.lastPing.get(st.id) : undefined
            for (const r of restartEvidence(st, a.reason, last ? pingRecord(st.name, last) : null)) this.log.write(r.event, r.data)
            this.events.emit({...base, event: 'restart', reason: a.reason, attempt})
            const t = Date.now()
            try {
              await resumeStopped(this.fleet, new HealEffects(this.log), inst, st.locks, st.container, records)
              await restartInstance(
                this.fleet,
                new HealEffects(this.log),
                inst,
                groupOf(this.fleet, inst),
                {project: st.compose?.project, services: [st.service], container: st.container},
                records,
                undefined,
                st.openclaw.version,
              )
              this.metrics.inc('openclaw_fleet_restarts_total', 'Restarts done by watch.', {gateway: st.name})
              task.step = 'wait'
              const w = await waitUp(this.fleet, new HealEffects(this.log), inst, st.container, t, this.s.waitTimeoutMs, records, this.stopSignal.signal)
              this.events.emit({
                ...base,
                event: w.ok ? 'restarted' : w.aborted ? 'restart-interrupted' : 'restart-unhealthy',
                detail: w.detail,
                durationMs: Date.now() - t,
              })
            } catch (error) {
              this.events.emit({...base, event: 'restart-failed', detail: errorMessage(error)})
            }
            break
          }
          default:
            break
        }
      }
    }
    return run()
      .catch((error) => this.events.emit({...base, event: 'error', message: errorMessage(error)}))
      .finally(() => this.done(st.id))
  }

  /** Starts of queued restarts, by instance (resolved by done() when a slot is free). */
  private slots = new Map<number, () => void>()

  /** The instance's work ended: queued restarts take the free slots, and the instance is judged again at once. */
  private done(id: number): void {
    this.slots.delete(id)
    this.recovering.add(id)
    this.tasks.delete(id)
    const {book, start} = finish(this.book, id, this.s.restartConcurrency ?? 1, Date.now())
    this.book = book
    for (const next of start) {
      const t = this.tasks.get(next)
      if (t) t.step = 'starting'
      this.slots.get(next)?.()
    }
    // Reacting: what it changed is looked at now (an event scan: clears and ends only), not at the next interval.
    if (!this.stopping && this.s.react) this.soon([id], 0)
  }
}

/** The `ping` record of the incident log (as heal writes it). */
function pingRecord(instance: string, p: PingResult): {ok: boolean} & Record<string, unknown> {
  return {instance, ok: p.ok, failure: p.failure, reply: p.reply, latencyMs: p.latencyMs, detail: p.detail}
}

/** The gateway's work as a scan event carries it: how many active items, or why it is unknown. */
function workOfScan(w: GatewayWorkReading): {active: number | null; reason?: string} {
  return w.known ? {active: w.active} : {active: null, reason: w.reason}
}

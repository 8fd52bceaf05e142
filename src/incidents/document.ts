/**
 * The post-incident document of one run, built from its incident.jsonl events (pure; rendering is in
 * src/report/incidents.ts): trigger, impact, detection gap, primary cause, contributing factors, corrective actions,
 * the timeline, actions, restarts, recurrences (the playbook's template; src/incidents/postmortem.ts).
 */
import path from 'node:path'
import {classifyCause, type CauseFinding, type CauseLock} from './cause.js'
import type {IncidentEvent, RunDir, RunKind} from './dirs.js'
import {contributingFactors, correctiveActions, timeline, type ContributingFactor, type CorrectiveAction, type TimelineEntry} from './postmortem.js'

export interface IncidentAction {
  at: string
  instance: string | null
  type: string
  target: string
  outcome: string
  detail: string | null
  durationMs: number | null
}

export interface IncidentRestart {
  instance: string | null
  target: string
  at: string
  outcome: string
  /** The restart itself (compose restart / docker restart), then the wait until healthy. */
  restartMs: number | null
  waitMs: number | null
  waitOutcome: string | null
  /** restartMs + waitMs: how long the instance was out. */
  downMs: number | null
}

export interface IncidentReport {
  run: string
  dir: string
  kind: RunKind
  startedAt: string
  endedAt: string | null
  /** False when the log has no run-end (a run killed, or a watch still running). */
  complete: boolean
  /** The signal that interrupted the run (its run-end says so), or null. */
  interrupted: string | null
  /** A watch that stopped normally: what stopped it (`SIGTERM`, `SIGINT`, `scans`: its --scans reached), else null. */
  stopped: string | null
  /** The engine error that cut the run short, or null. */
  unreachable: string | null
  /** Intents with no result after them: actions a killed run may have left half done. */
  unfinished: {at: string; instance: string | null; action: string; target: string}[]
  config: string | null
  trigger: {
    at: string
    instance: string
    /** Failed-lock-line families seen in that instance's log, with their line counts. */
    signatures: Record<string, number>
    paths: string[]
  } | null
  impact: {
    instances: string[]
    /** Session ids whose lock was acted on or named in a failed line (the store lock as sessions.json). */
    sessions: string[]
    locks: string[]
    /** Failed-lock lines in the gateway logs since each container's start (lines, not turns; exec'd turns never reach docker logs). */
    failedTurnLines: number
    bySignature: Record<string, number>
    /** From the first failed line (else fleet's first record) to the last successful ping after acting (else the last action). */
    from: string
    to: string | null
    lastedMs: number | null
  }
  detection: {firstFailureAt: string | null; firstObservedAt: string | null; gapMs: number | null}
  cause: CauseFinding
  /** What fleet saw that made the failure likelier or longer (postmortem.ts). */
  factors: ContributingFactor[]
  /** The fixes fleet knows for the causes and factors, each with the signal that proves it; owner and due left null. */
  corrective: CorrectiveAction[]
  /** The gateways' failure lines and lock times merged with fleet's records, in time order. */
  timeline: TimelineEntry[]
  actions: IncidentAction[]
  restarts: IncidentRestart[]
  recurred: {instance: string | null; path: string; verdict: string; reasons: string[]}[]
  noRestart: {instance: string | null; why: string; hint: string | null}[]
  /** notDone: what heal planned and did not start (an interrupted run). */
  outcome: {instance: string; healed: boolean; restarted: boolean; failure: string | null; notDone: string[]}[] | null
  /** An upgrade run (`fleet upgrade`): per instance, its versions, drain, downtime, migration and gate result; null for other runs. */
  upgrade: UpgradeRecord[] | null
  notes: string[]
}

export interface UpgradeRecord {
  instance: string
  image: string | null
  from: string | null
  to: string | null
  /** upgraded, rolled-back, failed, gave-up (the drain did not end: nothing changed). */
  outcome: string
  failure: string | null
  drainMs: number | null
  downtimeMs: number | null
  migration: string | null
  stopEnd: string | null
  rollback: string | null
  drift: string[]
}

/** Pure: the upgrade records of a run's `action` records of type `upgrade`. */
export function upgradeRecords(actions: IncidentEvent[]): UpgradeRecord[] {
  const version = (v: unknown) => str((v as {version?: unknown} | null)?.version ?? null)
  return actions
    .filter((e) => e.type === 'upgrade')
    .map((e) => {
      const rb = (e.rollback ?? null) as {outcome?: unknown; detail?: unknown; drift?: unknown} | null
      return {
        instance: str(e.instance) ?? '?',
        image: str(e.target),
        from: version(e.from),
        to: version(e.to),
        outcome: str(e.outcome) ?? '?',
        failure: str(e.failure),
        drainMs: num(e.drainMs),
        downtimeMs: num(e.downtimeMs),
        migration: str(e.migration),
        stopEnd: str(e.stopEnd),
        rollback: rb ? `${str(rb.outcome) ?? '?'}: ${str(rb.detail) ?? ''}` : null,
        drift: strs(rb?.drift),
      }
    })
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [])
const ms = (iso: string | null): number | null => (iso === null ? null : Number.isNaN(Date.parse(iso)) ? null : Date.parse(iso))
const uniq = <T>(xs: T[]): T[] => [...new Set(xs)]

interface Signature {
  count: number
  first: string | null
  paths: string[]
  bySignature: Record<string, number>
}

function signatureOf(e: IncidentEvent): Signature | null {
  const s = e.logSignature as Partial<Signature> | null | undefined
  if (!s || typeof s !== 'object') return null
  const bySignature = Object.fromEntries(Object.entries(s.bySignature ?? {}).filter(([, n]) => typeof n === 'number' && n > 0)) as Record<string, number>
  return {count: num(s.count) ?? 0, first: str(s.first), paths: strs(s.paths), bySignature}
}

function lockOf(e: IncidentEvent): CauseLock {
  return {path: str(e.path) ?? '', verdict: str(e.verdict) ?? 'unknown', reasons: strs(e.reasons), kind: str(e.kind) ?? undefined}
}

/** The session a lock path names: `<id>.jsonl.lock` → id, `sessions.json.lock` → sessions.json; other locks none. */
export function sessionOfPath(p: string): string | null {
  const name = path.basename(p)
  if (name.endsWith('.jsonl.lock')) return name.slice(0, -'.jsonl.lock'.length)
  if (name === 'sessions.json.lock') return 'sessions.json'
  return null
}

/** Pure: the report of one run from its events. */
export function buildReport(run: RunDir, dir: string, events: IncidentEvent[], unreadable = 0): IncidentReport {
  const of = (name: string) => events.filter((e) => e.event === name)
  const start = of('run-start')[0]
  const end = of('run-end').at(-1)
  const observed = of('observed')
  const locks = of('lock')
  const intents = of('intent')
  const actionEvents = of('action')
  const notes: string[] = []
  if (unreadable > 0) notes.push(`${unreadable} line(s) of the log could not be read (a run killed mid-write?)`)
  if (!end)
    notes.push(run.kind === 'watch' ? 'no run-end: the watch may still be running, or was killed' : 'no run-end: the run was killed or is still running')

  // Trigger: the earliest first failed-lock line across the observed instances.
  const sigs = observed.map((e) => ({e, s: signatureOf(e)})).filter((x): x is {e: IncidentEvent; s: Signature} => x.s !== null)
  const firstFailing = sigs.filter((x) => x.s.first !== null && ms(x.s.first) !== null).sort((a, b) => (ms(a.s.first) as number) - (ms(b.s.first) as number))[0]
  const trigger = firstFailing
    ? {at: firstFailing.s.first as string, instance: str(firstFailing.e.instance) ?? '?', signatures: firstFailing.s.bySignature, paths: firstFailing.s.paths}
    : null
  if (observed.length === 0) notes.push('no log signature: this run did not read the gateway logs (watch reads none), so no trigger line or detection gap')
  else if (!trigger) notes.push('no failed-lock line in the gateway logs since each container’s start')

  const actions: IncidentAction[] = actionEvents.map((e) => ({
    at: str(e.at) ?? e.ts,
    instance: str(e.instance),
    type: str(e.type) ?? '?',
    target: str(e.target) ?? '',
    outcome: str(e.outcome) ?? '?',
    detail: str(e.detail),
    durationMs: num(e.durationMs),
  }))

  const restarts: IncidentRestart[] = []
  for (const [i, a] of actions.entries()) {
    if (a.type !== 'restart') continue
    const wait = actions.slice(i + 1).find((w) => w.type === 'wait' && w.instance === a.instance)
    const down = a.durationMs !== null || wait?.durationMs != null ? (a.durationMs ?? 0) + (wait?.durationMs ?? 0) : null
    restarts.push({
      instance: a.instance,
      target: a.target,
      at: a.at,
      outcome: a.outcome,
      restartMs: a.durationMs,
      waitMs: wait?.durationMs ?? null,
      waitOutcome: wait?.outcome ?? null,
      downMs: down,
    })
  }

  // Impact: instances and sessions acted on, failed lines in their logs.
  const actedPaths = uniq(intents.flatMap((e) => [str(e.path), str(e.lock)].filter((p): p is string => p !== null)))
  const instances = uniq(
    [...intents, ...actionEvents, ...of('conflict'), ...of('no-restart')].map((e) => str(e.instance)).filter((x): x is string => x !== null),
  )
  const hit = new Set(instances)
  const hitSigs = sigs.filter((x) => hit.has(str(x.e.instance) ?? ''))
  const bySignature: Record<string, number> = {}
  for (const {s} of hitSigs) for (const [k, n] of Object.entries(s.bySignature)) bySignature[k] = (bySignature[k] ?? 0) + n
  const sessions = uniq([...actedPaths, ...hitSigs.flatMap((x) => x.s.paths)].map(sessionOfPath).filter((s): s is string => s !== null))

  const firstRecord = events[0]?.ts ?? new Date(run.startedMs).toISOString()
  const firstObservedAt = trigger ? (str(observed.find((e) => e.instance === trigger.instance)?.ts) ?? firstRecord) : firstRecord
  const from = trigger?.at ?? firstRecord
  const to = recoveredAt(actions, of('ping'), instances)
  const lasted = to !== null && ms(from) !== null ? (ms(to) as number) - (ms(from) as number) : null
  const gap = trigger && ms(firstObservedAt) !== null ? (ms(firstObservedAt) as number) - (ms(trigger.at) as number) : null

  const outcome =
    end && Array.isArray(end.results)
      ? (end.results as Record<string, unknown>[]).map((r) => ({
          instance: str(r.instance) ?? '?',
          healed: r.healed === true,
          restarted: r.restarted === true,
          failure: str(r.failure),
          notDone: strs(r.notDone),
        }))
      : null
  const interrupted = str(end?.interrupted)
  const stopped = interrupted ? null : str(end?.stopped)
  const unreachable = str(end?.unreachable)
  if (interrupted)
    notes.push(
      end?.forced
        ? `interrupted by ${interrupted}, then ended at once by ${String(end.forced)}: an intent without its result may not have finished`
        : `interrupted by ${interrupted}: the step in flight was finished, nothing after it was started`,
    )
  if (unreachable) notes.push(`cut short: Docker unreachable: ${unreachable}`)
  if (stopped)
    notes.push(
      `the watch stopped normally (${stopped === 'scans' ? 'its --scans reached' : stopped})${num(end?.scans) === null ? '' : ` after ${String(end?.scans)} scan(s)`}`,
    )
  for (const o of outcome ?? []) if (o.notDone.length > 0) notes.push(`${o.instance}: not done: ${o.notDone.join('; ')}`)
  const unfinished = unmatchedIntents(intents, actionEvents)
  for (const u of unfinished) notes.push(`${u.instance ?? '-'}: ${u.action} ${u.target} was announced at ${u.at} and has no result: it may not have finished`)

  // The locks acted on, and those of instances restarted or resumed (a hung or stopped holder is cured by the restart).
  const restartedOn = new Set(actions.filter((a) => a.type === 'restart' || a.type === 'continue').map((a) => a.instance))
  const acted = locks.filter((e) => actedPaths.includes(str(e.path) ?? '') || restartedOn.has(str(e.instance))).map(lockOf)
  const cause = classifyCause({
    acted,
    judged: locks.map(lockOf),
    conflict: of('conflict').length > 0,
    restartedAfterPing: restarts.length > 0 && of('ping').some((e) => e.ok === false),
  })

  const factors = contributingFactors(run.kind, events, instances, gap)

  return {
    run: run.runId,
    dir,
    kind: run.kind,
    startedAt: str(start?.ts) ?? new Date(run.startedMs).toISOString(),
    endedAt: str(end?.ts) ?? str(events.at(-1)?.ts),
    complete: end !== undefined,
    interrupted,
    stopped,
    unreachable,
    unfinished,
    config: str(start?.config),
    trigger,
    impact: {
      instances,
      sessions,
      locks: actedPaths,
      failedTurnLines: hitSigs.reduce((n, x) => n + x.s.count, 0),
      bySignature,
      from,
      to,
      lastedMs: lasted !== null && lasted >= 0 ? lasted : null,
    },
    detection: {firstFailureAt: trigger?.at ?? null, firstObservedAt: trigger ? firstObservedAt : null, gapMs: gap},
    cause,
    factors,
    corrective: correctiveActions(cause.all, factors, instances),
    timeline: timeline(events, instances),
    actions,
    restarts,
    recurred: of('recurred').map((e) => ({instance: str(e.instance), path: str(e.path) ?? '', verdict: str(e.verdict) ?? '?', reasons: strs(e.reasons)})),
    noRestart: of('no-restart').map((e) => ({instance: str(e.instance), why: str(e.why) ?? '', hint: str(e.hint)})),
    outcome,
    upgrade: run.kind === 'upgrade' ? upgradeRecords(actionEvents) : null,
    notes,
  }
}

/**
 * Pure: the intents with no action after them for the same instance, action and target (an older log's intents
 * name the target by path or pid only: then any later result of that action on that instance answers).
 */
export function unmatchedIntents(intents: IncidentEvent[], actions: IncidentEvent[]): IncidentReport['unfinished'] {
  const used = new Set<number>()
  const out: IncidentReport['unfinished'] = []
  for (const i of intents) {
    const action = str(i.action) ?? '?'
    const target = str(i.target)
    const k = actions.findIndex(
      (a, n) =>
        !used.has(n) && a.instance === i.instance && a.type === action && (target === null || a.target === target) && (ms(a.ts) ?? 0) >= (ms(i.ts) ?? 0),
    )
    if (k >= 0) used.add(k)
    else out.push({at: i.ts, instance: str(i.instance), action, target: target ?? str(i.path) ?? (num(i.pid) === null ? '' : `pid ${i.pid}`)})
  }
  return out
}

/**
 * When the last instance hit answered again: per instance, its first passing ping after its first action; null
 * when one never passed. Without pings (watch records none): when the last action ended.
 */
function recoveredAt(actions: IncidentAction[], pings: IncidentEvent[], instances: string[]): string | null {
  if (actions.length === 0) return null
  const last = actions.at(-1) as IncidentAction
  const lastEnd = new Date((ms(last.at) ?? 0) + (last.durationMs ?? 0)).toISOString()
  if (pings.length === 0) return lastEnd
  let latest: number | null = null
  for (const inst of instances) {
    const first = actions.find((a) => a.instance === inst)
    if (!first) continue
    const ok = pings.find((p) => p.instance === inst && p.ok === true && (ms(p.ts) ?? 0) >= (ms(first.at) ?? 0))
    if (!ok) return null
    latest = Math.max(latest ?? 0, ms(ok.ts) ?? 0)
  }
  return latest === null ? lastEnd : new Date(latest).toISOString()
}

export interface IncidentSummary {
  run: string
  dir: string
  kind: RunKind
  startedAt: string
  instances: string[]
  actions: number
  locksRemoved: number
  holdersEnded: number
  restarts: number
  cause: string
  healed: boolean | null
  complete: boolean
  /** The signal that interrupted the run, or null. */
  interrupted: string | null
  /** A watch that stopped normally: what stopped it, else null. */
  stopped: string | null
  /** Intents without a result (a killed run). */
  unfinished: number
}

/** Pure: one line of `fleet incidents list`. */
export function summarise(r: IncidentReport): IncidentSummary {
  return {
    run: r.run,
    dir: r.dir,
    kind: r.kind,
    startedAt: r.startedAt,
    instances: r.impact.instances,
    actions: r.actions.length,
    locksRemoved: r.actions.filter((a) => a.type === 'delete-lock' && a.outcome === 'removed').length,
    holdersEnded: r.actions.filter((a) => a.type === 'end-holder' && (a.outcome === 'terminated' || a.outcome === 'killed')).length,
    restarts: r.restarts.length,
    cause: r.cause.primary,
    healed: r.upgrade ? r.upgrade.every((u) => u.outcome === 'upgraded') : r.outcome ? r.outcome.every((o) => o.healed) : null,
    complete: r.complete,
    interrupted: r.interrupted,
    stopped: r.stopped,
    unfinished: r.unfinished.length,
  }
}

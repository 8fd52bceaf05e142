/**
 * The parts of the post-incident document that follow the playbook's template beyond trigger, impact and cause
 * (pure, from the run's incident.jsonl events):
 * - contributing factors: what fleet saw around the failure that made it likelier or longer (mixed OpenClaw versions,
 *   no watch acting, doctor warnings, a crash loop or restarts before the lock, a network filesystem, a storage
 *   failure class, a state mount that is not the configured dataDir);
 * - corrective actions: the fixes fleet knows for the cause and each factor, with the signal that proves each one;
 *   owner and due date are left for people to fill;
 * - the timeline: the gateways' side (lock taken, first and last failed-lock line, container start) merged with
 *   fleet's own records (run start, probes, actions, pings, refusals, run end), in time order.
 */
import path from 'node:path'
import {formatDuration} from '../config/duration.js'
import {lockCause, type Cause, type CauseLock} from './cause.js'
import type {IncidentEvent, RunKind} from './dirs.js'

export type FactorKind =
  'mixed-versions' | 'version-unknown' | 'no-watch' | 'doctor-warning' | 'crash-loop' | 'restarts-before' | 'remote-filesystem' | 'storage' | 'state-mount'

export interface ContributingFactor {
  factor: FactorKind
  /** The instances it was seen on (all observed ones for a fleet-wide factor). */
  instances: string[]
  detail: string
  /** doctor-warning: the doctor check that warned (its hint drives the corrective action); otherwise null. */
  check: {check: string; hint: string | null} | null
}

export interface CorrectiveAction {
  /** The cause (primary or also seen) or contributing factor it answers. */
  addresses: Cause | FactorKind
  instances: string[]
  action: string
  /** What proves the fix worked. */
  signal: string
  /** Left for people to fill. */
  owner: null
  due: null
}

export interface TimelineEntry {
  at: string
  /** `gateway`: what the gateway or its container did (from fleet's readings); `fleet`: fleet's own records. */
  source: 'gateway' | 'fleet'
  instance: string | null
  what: string
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const obj = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null)
const uniq = <T>(xs: T[]): T[] => [...new Set(xs)]
const validTime = (s: string | null): s is string => s !== null && !Number.isNaN(Date.parse(s))

/** Ping failure classes that name the storage under the state dir (2026.8+ turn failures). */
const STORAGE_CLASSES: Record<string, string> = {
  'storage-full': 'the state filesystem was full (`database or disk is full`)',
  'storage-readonly': 'the state dir was read-only (`attempt to write a readonly database`)',
  'storage-io': 'the disk or filesystem reported I/O errors (`disk I/O error`)',
}

/** What a run observed of one instance, as heal records it (older logs lack the later fields: they read as unknown). */
interface Observed {
  instance: string
  version: string | null
  /** The record names the OpenClaw reading (with a null version when unknown); older logs do not. */
  versionRead: boolean
  life: {state: string; why: string} | null
  restartCount: number | null
  mount: {ok: boolean; why: string} | null
  fs: {type: string; source: string | null; remote: boolean} | null
  warnings: {check: string; status: string; message: string; hint: string | null}[]
}

function observedOf(e: IncidentEvent): Observed {
  const oc = obj(e.openclaw)
  const life = obj(e.life)
  const mount = obj(e.mount)
  const fs = obj(e.fs)
  const warnings = (Array.isArray(e.warnings) ? e.warnings : [])
    .map(obj)
    .flatMap((w) =>
      w && str(w.check) ? [{check: str(w.check) as string, status: str(w.status) ?? 'warn', message: str(w.message) ?? '', hint: str(w.hint)}] : [],
    )
  return {
    instance: str(e.instance) ?? '?',
    version: str(oc?.version),
    versionRead: oc !== null,
    life: life && str(life.state) ? {state: str(life.state) as string, why: str(life.why) ?? ''} : null,
    restartCount: num(e.restartCount),
    mount: mount && typeof mount.ok === 'boolean' ? {ok: mount.ok, why: str(mount.why) ?? ''} : null,
    fs: fs && str(fs.type) ? {type: str(fs.type) as string, source: str(fs.source), remote: fs.remote === true} : null,
    warnings,
  }
}

/** The ping and probe failures of a run, per instance. */
function failuresOf(events: IncidentEvent[]): {instance: string; failure: string}[] {
  return events
    .filter((e) => (e.event === 'ping' || e.event === 'probe') && e.ok === false && str(e.failure) !== null)
    .map((e) => ({instance: str(e.instance) ?? '?', failure: str(e.failure) as string}))
}

/**
 * Pure: the contributing factors fleet saw in a run. `gapMs` is the detection gap (the report's), used to say how long
 * the failure waited when no watch was acting.
 */
export function contributingFactors(kind: RunKind, events: IncidentEvent[], hit: readonly string[], gapMs: number | null): ContributingFactor[] {
  const observed = events.filter((e) => e.event === 'observed').map(observedOf)
  // Per-instance factors are those of the instances hit (all observed ones when none was); versions are fleet-wide.
  const own = hit.length === 0 ? observed : observed.filter((o) => hit.includes(o.instance))
  const out: ContributingFactor[] = []
  const add = (factor: FactorKind, instances: string[], detail: string, check: ContributingFactor['check'] = null) =>
    out.push({factor, instances, detail, check})

  const versions = observed.filter((o) => o.version !== null)
  const distinct = uniq(versions.map((o) => o.version as string)).sort()
  if (distinct.length > 1)
    add(
      'mixed-versions',
      versions.map((o) => o.instance),
      `${distinct.length} OpenClaw versions in one run (${distinct
        .map(
          (v) =>
            `${v}: ${versions
              .filter((o) => o.version === v)
              .map((o) => o.instance)
              .join(', ')}`,
        )
        .join('; ')}): lock files, timeouts and storage differ by version (JSONL locks to 2026.7, SQLite from 2026.8)`,
    )
  const unknown = observed.filter((o) => o.versionRead && o.version === null).map((o) => o.instance)
  if (unknown.length > 0)
    add('version-unknown', unknown, 'the OpenClaw version could not be read: fleet only reports there, it neither removes locks nor restarts')

  // A heal holds the run locks of every instance it acts on, and an acting watch holds the same locks: while this heal
  // ran, no watch acted on them. A watch's own incident is the watch acting.
  if (kind === 'heal' && hit.length > 0)
    add(
      'no-watch',
      [...hit],
      `no fleet watch was acting on ${hit.join(', ')} (this heal took their run locks, which an acting watch holds)${gapMs !== null && gapMs > 0 ? `: the first failure waited ${formatDuration(gapMs)} for an operator` : ''}`,
    )

  for (const o of own) for (const w of o.warnings) add('doctor-warning', [o.instance], `${w.check} (${w.status}): ${w.message}`, {check: w.check, hint: w.hint})

  for (const o of own) {
    if (o.life && (o.life.state === 'crash-loop' || o.life.state === 'restarting'))
      add('crash-loop', [o.instance], `${o.life.state} when fleet looked: ${o.life.why}`)
    else if (o.restartCount !== null && o.restartCount > 0)
      add(
        'restarts-before',
        [o.instance],
        `its container had been restarted ${o.restartCount} time(s) by its restart policy before this run (RestartCount): a crash before the lock leaves it behind`,
      )
  }

  for (const o of own)
    if (o.fs?.remote)
      add(
        'remote-filesystem',
        [o.instance],
        `its state dir is on ${o.fs.type}${o.fs.source ? ` (${o.fs.source})` : ''}, a network or remote filesystem: O_EXCL lock files are unreliable there and its latency stretches every lock hold`,
      )

  const storage = failuresOf(events).filter((f) => f.failure in STORAGE_CLASSES)
  for (const cls of uniq(storage.map((f) => f.failure)))
    add('storage', uniq(storage.filter((f) => f.failure === cls).map((f) => f.instance)), `a ping failed with ${cls}: ${STORAGE_CLASSES[cls]}`)

  for (const o of own) if (o.mount && !o.mount.ok) add('state-mount', [o.instance], o.mount.why)
  return out
}

/** The fix fleet knows for each cause, and what proves it. */
export const CAUSE_FIX: Record<Cause, {action: string; signal: string}> = {
  'shared-dir': {
    action: 'give every container its own sessions dir (one volume per instance in the compose files)',
    signal: '`fleet doctor` passes its shared sessions dir check and `fleet status` shows no conflict',
  },
  'frozen-gateway': {
    action: 'find what froze the holder (a full or slow disk, a network filesystem, a stopped process) and fix it',
    signal: '`fleet doctor` passes io-latency and io-pressure, and `fleet status --locks` shows no hung lock over the next days',
  },
  'stuck-sqlite-writer': {
    action: 'give every exec’d `openclaw agent` turn a --timeout shorter than its client’s, and keep `fleet watch` running to end writers past their deadline',
    signal: 'no `database is locked` lines: `fleet status` counts 0 lock errors since the fix',
  },
  'orphan-exec': {
    action:
      'give every `docker exec … openclaw agent` a --timeout shorter than its client’s, or send turns through the gateway; keep `fleet watch` running to end orphans it sees on two scans',
    signal: '`fleet incidents list` shows no new orphan-exec run, and `fleet status --locks` no orphan lock',
  },
  'gateway-lock-reuse': {
    action: 'upgrade past the stale gateway lock after a restart (upstream #135133), and keep `fleet watch` running meanwhile',
    signal: 'a `docker restart` of the gateway reaches ready without a heal (`fleet status` says ready)',
  },
  'previous-incarnation': {
    action: 'keep `fleet watch` running: it clears locks written before a container’s current start on its second scan',
    signal: '`fleet status` counts 0 lock errors after the next container restart',
  },
  'dead-holder': {
    action: 'find what killed the holder (OOM kill: `docker inspect` State.OOMKilled, memory limits; SIGKILL by a supervisor) and keep `fleet watch` running',
    signal: 'no new dead-holder run in `fleet incidents list`, and `fleet status` shows no stale lock',
  },
  'malformed-lock': {
    action: 'check the disk and filesystem under the state dir (torn or empty lock files)',
    signal: '`fleet doctor` passes disk and state-fs, and no malformed lock is judged again',
  },
  'legacy-litter': {
    action: 'run `fleet heal --tidy` once after an upgrade to 2026.8+',
    signal: '`fleet status` shows no ignored lock',
  },
  'unresponsive-gateway': {
    action: 'read the gateway’s log from before the restart (`fleet incidents show`, `docker logs`) to find why it stopped answering',
    signal: '`fleet heal --verify 30m` holds, and `fleet ping` passes on the next deploys',
  },
  unknown: {
    action: 'collect the evidence at the next occurrence: `fleet status --locks` and `fleet doctor` before healing',
    signal: 'the next incident report names a cause',
  },
}

/** The fix fleet knows for each contributing factor, and what proves it (doctor warnings: the check's own hint). */
export const FACTOR_FIX: Record<FactorKind, {action: string; signal: string}> = {
  'mixed-versions': {action: 'upgrade every gateway to one OpenClaw release', signal: '`fleet status` shows one VERSION across the fleet'},
  'version-unknown': {
    action: 'make OpenClaw’s package.json readable in the container (fleet status says why it is unknown)',
    signal: '`fleet status` shows a VERSION for every instance',
  },
  'no-watch': {
    action: 'run `fleet watch` as a service (contrib/systemd/openclaw-fleet-watch.service)',
    signal: 'the next stale lock or orphan is cleared by a watch run (`fleet incidents list` KIND watch), its metrics answer',
  },
  'doctor-warning': {action: 'fix what `fleet doctor` warns of', signal: '`fleet doctor` passes the check'},
  'crash-loop': {
    action: 'find why the gateway’s start fails (its last log line: `fleet status`) and fix that first',
    signal: 'RestartCount stops rising and `fleet status` says ready',
  },
  'restarts-before': {
    action: 'find why the container was restarted (`docker inspect` State.OOMKilled, ExitCode; the log before it)',
    signal: 'RestartCount stays the same over the next days',
  },
  'remote-filesystem': {
    action: 'move the state dirs to a local filesystem of the Docker host (ext4, xfs, btrfs, zfs)',
    signal: '`fleet doctor` passes state-fs',
  },
  storage: {
    action: 'fix the storage under the state dir (free space; WAL files can grow to GBs, upstream #143524; the mount’s mode; the disk)',
    signal: '`fleet doctor` passes disk and io-latency, and `fleet ping` passes',
  },
  'state-mount': {
    action: 'fix dataDir in the fleet config or the volume in the compose file so the container keeps its state there',
    signal: '`fleet doctor` passes its mount check',
  },
}

/**
 * Pure: the corrective actions of an incident: one for each cause seen (the primary first) and one for each
 * contributing factor; a doctor warning's action is its check's own hint. Owner and due date are left empty.
 */
export function correctiveActions(causes: {cause: Cause; locks: string[]}[], factors: ContributingFactor[], instances: readonly string[]): CorrectiveAction[] {
  const out: CorrectiveAction[] = []
  const add = (addresses: CorrectiveAction['addresses'], on: string[], action: string, signal: string) => {
    const same = out.find((a) => a.action === action && a.signal === signal)
    if (same) same.instances = uniq([...same.instances, ...on])
    else out.push({addresses, instances: on, action, signal, owner: null, due: null})
  }
  for (const c of causes) add(c.cause, [...instances], CAUSE_FIX[c.cause].action, CAUSE_FIX[c.cause].signal)
  for (const f of factors) {
    const fix = FACTOR_FIX[f.factor]
    if (f.check)
      add(
        f.factor,
        f.instances,
        f.check.hint ? `${f.check.hint} (fleet doctor: ${f.check.check})` : `${fix.action}: ${f.check.check}`,
        `\`fleet doctor\` passes its ${f.check.check} check`,
      )
    else add(f.factor, f.instances, fix.action, fix.signal)
  }
  return out
}

/** The createdAt and pid a lock's verbatim content names, when it is a JSON lock payload. */
function payloadOf(raw: unknown): {createdAt: string | null; pid: number | null} {
  if (typeof raw !== 'string') return {createdAt: null, pid: null}
  try {
    const p = obj(JSON.parse(raw))
    return {createdAt: str(p?.createdAt), pid: num(p?.pid)}
  } catch {
    return {createdAt: null, pid: null}
  }
}

/** One line of fleet's own record, or null for the records the timeline leaves out (judged locks, intents, …). */
function fleetLine(e: IncidentEvent): string | null {
  const s = (k: string) => str(e[k]) ?? ''
  const took = (k: string) => (num(e[k]) === null ? '' : ` in ${formatDuration(num(e[k]) as number)}`)
  switch (e.event) {
    case 'run-start':
      return `fleet judged and started acting (${Array.isArray(e.instances) ? (e.instances as unknown[]).join(', ') : 'its instances'})`
    case 'probe': {
      const rule = obj(e.restart)
      const ans = e.ok === true ? `SPEED_OK${took('durationMs')}` : `FAIL ${s('failure')}${took('durationMs')}`
      return `probe: ${ans}${rule ? `; restart rule: ${rule.restart === true ? 'restart' : 'no restart'} (${str(rule.why) ?? ''})` : ''}`
    }
    case 'action':
      return `${s('type')} ${s('target')}: ${s('outcome')}${took('durationMs')}${s('detail') ? ` (${s('detail')})` : ''}`
    case 'ping':
      return e.ok === true
        ? `ping: ${s('reply') || 'answered'}${num(e.latencyMs) === null ? '' : ` in ${formatDuration(num(e.latencyMs) as number)}`}`
        : `ping: FAIL ${s('failure')}`
    case 'no-restart':
      return `not restarted: ${s('why')}`
    case 'conflict':
      return `nothing done: its sessions dir is shared with ${Array.isArray(e.sharedWith) ? (e.sharedWith as unknown[]).join(', ') : 'another container'}`
    case 'skipped':
      return `nothing done: ${s('reason')}`
    case 'recurred':
      return `lock recurred: ${s('path')} (${s('verdict')})`
    case 'gave-up':
      return `gave up: ${s('detail')}`
    case 'signal':
      return `interrupted by ${s('signal')}`
    case 'run-end':
      return `fleet ended${s('interrupted') ? ` (interrupted by ${s('interrupted')})` : ''}`
    default:
      return null
  }
}

/**
 * Pure: the incident's timeline. The gateways' side for the instances hit: each lock that names a cause, at its
 * createdAt (the holder took it); the first and the last failed-lock line of its log; the container's current start.
 * Then fleet's own records at their times (an action at its start). Sorted by time; at the same time, in the order above.
 */
export function timeline(events: IncidentEvent[], hit: readonly string[]): TimelineEntry[] {
  const on = new Set(hit)
  const out: TimelineEntry[] = []
  const push = (at: string | null, source: TimelineEntry['source'], instance: string | null, what: string) => {
    if (validTime(at)) out.push({at: new Date(Date.parse(at)).toISOString(), source, instance, what})
  }
  for (const e of events) {
    const inst = str(e.instance)
    if (e.event === 'lock' && inst !== null && on.has(inst)) {
      const lock: CauseLock = {
        path: str(e.path) ?? '',
        verdict: str(e.verdict) ?? 'unknown',
        reasons: Array.isArray(e.reasons) ? (e.reasons as string[]) : [],
        kind: str(e.kind) ?? undefined,
      }
      if (lockCause(lock) === null) continue
      const p = payloadOf(e.content)
      push(
        p.createdAt,
        'gateway',
        inst,
        `lock ${path.basename(lock.path)} taken${p.pid === null ? '' : ` by pid ${p.pid}`} (later judged ${lock.verdict}${lock.reasons.length > 0 ? `: ${lock.reasons.join(', ')}` : ''})`,
      )
    }
    if (e.event === 'observed' && inst !== null) {
      const sig = obj(e.logSignature)
      const count = num(sig?.count) ?? 0
      const fams = Object.entries(obj(sig?.bySignature) ?? {})
        .filter(([, n]) => typeof n === 'number' && n > 0)
        .map(([k, n]) => `${String(n)} ${k}`)
      const first = str(sig?.first)
      const last = str(sig?.last)
      if (count > 0) {
        push(first, 'gateway', inst, `first failed-lock line in its log (${count} line(s) since its start${fams.length > 0 ? `: ${fams.join(', ')}` : ''})`)
        if (last !== first) push(last, 'gateway', inst, 'last failed-lock line before fleet read the log')
      }
      if (on.has(inst))
        push(str(e.startedAt), 'gateway', inst, `container started (this incarnation${num(e.restartCount) ? `, RestartCount ${String(e.restartCount)}` : ''})`)
    }
  }
  for (const e of events) {
    const line = fleetLine(e)
    if (line !== null) push(e.event === 'action' || e.event === 'probe' ? (str(e.at) ?? e.ts) : e.ts, 'fleet', str(e.instance), line)
  }
  // A stable sort: at equal times the gateway's side comes first, then fleet's records in their order.
  return out
    .map((x, i) => ({x, i}))
    .sort((a, b) => Date.parse(a.x.at) - Date.parse(b.x.at) || a.i - b.i)
    .map(({x}) => x)
}

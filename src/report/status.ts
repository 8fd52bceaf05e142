/** Rendering of `fleet status`: instance table, optional per-lock rows, and the JSON document. */
import {knownSignaturesPossible} from '../openclaw/version.js'
import {KNOWN_SIGNATURE_KINDS, knownSignatureText} from '../locks/known-signatures.js'
import {cappedText} from '../docker/logs.js'
import {formatDuration} from '../config/duration.js'
import {noVerdicts, type Verdict} from '../locks/types.js'
import type {GatewayWorkReading} from '../openclaw/gateway-work.js'
import type {InstanceStatus, Observation} from '../observe/observe.js'
import {printable} from '../util/escape.js'
import {table} from './table.js'

export interface StatusDocument {
  instances: InstanceStatus[]
  unreachable: string[]
  summary: {instances: number; ok: number; notOk: number; locks: Record<Verdict, number>; lockTimeoutsInLogs: number}
  durationMs: number
  ok: boolean
}

const ORDER: Verdict[] = ['conflict', 'hung', 'orphan', 'stale', 'unknown', 'live', 'ignored']

export function statusDocument(obs: Observation): StatusDocument {
  const locks = noVerdicts()
  for (const i of obs.instances) for (const v of ORDER) locks[v] += i.counts[v]
  const ok = obs.instances.filter((i) => i.ok).length
  return {
    instances: obs.instances,
    unreachable: obs.unreachable,
    summary: {
      instances: obs.instances.length,
      ok,
      notOk: obs.instances.length - ok,
      locks,
      lockTimeoutsInLogs: obs.instances.reduce((n, i) => n + (i.logSignature?.count ?? 0), 0),
    },
    durationMs: obs.durationMs,
    ok: ok === obs.instances.length,
  }
}

export function lockCounts(i: InstanceStatus): string {
  const parts = ORDER.filter((v) => i.counts[v] > 0).map((v) => `${i.counts[v]} ${v}`)
  return parts.length > 0 ? parts.join(', ') : 'none'
}

/**
 * The STATE cell: the gateway's life-cycle state (ready, starting, restarting, crash-loop, failing, unverified), with
 * the restart count and last exit code where the restart policy is at work; for a container that does not run, its
 * engine state. The healthcheck is shown beside it when there is one (it polls /healthz: liveness only).
 */
export function stateText(i: InstanceStatus): string {
  const l = i.life
  const health = i.health === 'none' || i.health === 'unknown' ? '' : ` (${i.health})`
  const restarts = l.restartCount ? `${l.restartCount} restart${l.restartCount === 1 ? '' : 's'}${l.exitCode !== null ? `, exit ${l.exitCode}` : ''}` : null
  switch (l.state) {
    case 'ready':
      return `ready${health}`
    case 'starting':
      return `starting ${l.upMs === null ? '' : formatDuration(l.upMs)}`.trim()
    case 'restarting':
    case 'crash-loop':
      return `${l.state}${restarts ? ` (${restarts})` : ''}`
    case 'failing':
    case 'unverified':
      return `${l.state}${l.upMs !== null ? ` ${formatDuration(l.upMs)}` : ''}`
    case 'stopped':
      return `${i.state}${l.exitCode !== null ? ` (exit ${l.exitCode})` : ''}`
    default:
      return l.state
  }
}

/** One note per gateway that does not serve for a life-cycle reason: the state, why, and what cures it. */
function lifeNotes(i: InstanceStatus): string[] {
  const l = i.life
  const channels =
    l.channelsDown.length > 0
      ? [
          `${i.name}: once the cause of the crash loop is gone: fleet heal starts the channels the breaker kept down (openclaw gateway call channels.start --params '{"channel":"<id>"}')`,
        ]
      : []
  if (l.serves || l.state === 'missing' || l.state === 'unreachable') return []
  const hint = l.refusal && l.state !== 'starting' ? ` (${l.refusal.hint})` : ''
  return [`${i.name}: ${l.state}: ${l.why}${hint}`, ...channels]
}

export function renderStatus(doc: StatusDocument, opts: {locks?: boolean} = {}): string {
  const rows = doc.instances.map((i) => [
    i.name,
    i.container,
    stateText(i),
    i.openclaw.version ?? 'unknown',
    i.uptimeMs === null ? '-' : formatDuration(i.uptimeMs),
    lockCounts(i),
    i.worst ?? '-',
    i.logSignature ? (i.logSignature.count > 0 ? `${i.logSignature.count}${i.logSignature.capped ? '+ (capped)' : ' since start'}` : '0') : '-',
    i.ok ? 'ok' : 'NOT OK',
  ])
  const out = [table(['INSTANCE', 'CONTAINER', 'STATE', 'OPENCLAW', 'UPTIME', 'LOCKS', 'WORST', 'LOCK ERRORS', 'RESULT'], rows)]
  if (opts.locks) {
    const lockRows = doc.instances.flatMap((i) =>
      i.locks.map((l) => [i.name, l.kind, l.agent, l.session, l.pid ?? '-', formatDuration(l.ageMs), l.verdict, l.reasons.join(',') || '-', evidenceText(l)]),
    )
    out.push('', lockRows.length > 0 ? table(['INSTANCE', 'KIND', 'AGENT', 'SESSION', 'PID', 'AGE', 'VERDICT', 'REASONS', 'EVIDENCE'], lockRows) : 'no locks')
    const workRows = doc.instances.filter((i) => i.work).map((i) => [i.name, ...workCells(i.work!)])
    if (workRows.length > 0) out.push('', table(['INSTANCE', 'GATEWAY WORK', "WHAT (the gateway's restart preflight)"], workRows))
  }
  const notes = doc.instances.flatMap((i) => [
    ...lifeNotes(i),
    ...(i.sharedWith.length > 0 ? [`${i.name}: sessions dir also mounted by ${i.sharedWith.join(', ')}`] : []),
    ...(i.logSignature && i.logSignature.count > 0
      ? [
          `${i.name}: ${i.logSignature.count} lock errors in its log since start (${signatureText(i.logSignature)}; first ${i.logSignature.first ?? '?'}, last ${i.logSignature.last ?? '?'})${i.logSignature.paths.length > 0 ? ` on ${i.logSignature.paths.join(', ')}` : ''}${i.logSignature.capped ? `; capped: ${cappedText(i.logSignature.capped)}` : ''}`,
        ]
      : []),
    ...(i.logSignature && knownSignaturesPossible(i.openclaw.version) ? diagnosisNotes(i.name, i.logSignature) : []),
    ...(i.openclaw.version === null ? [`${i.name}: OpenClaw version unknown (${i.openclaw.error ?? 'not read'}): fleet only reports on it`] : []),
    ...(i.leases ?? [])
      .filter((x) => x.longHeld)
      .map(
        (x) =>
          `${i.name}: lease ${x.table} ${x.key} held by pid ${x.ownerPid} (${(x.owner?.cmdline ?? []).join(' ').slice(0, 60)}), not the gateway, since ${x.sinceMs ? new Date(x.sinceMs).toISOString() : '?'} (a stale CLI such as openclaw doctor holds it: upstream #135383)`,
      ),
    ...(i.counts.ignored > 0
      ? [
          `${i.name}: ${i.counts.ignored} legacy .jsonl.lock file(s) that OpenClaw ${i.openclaw.version} ignores (fleet heal --tidy removes the ones no process owns)`,
        ]
      : []),
    ...i.errors.map((e) => `${i.name}: ${e}`),
  ])
  // free-text lines (shared dirs, log paths, probe errors) outside the tables: escaped like the cells
  if (notes.length > 0) out.push('', ...notes.map(printable))
  const s = doc.summary
  out.push(
    '',
    `${s.ok}/${s.instances} ok; locks: ${
      ORDER.filter((v) => s.locks[v] > 0)
        .map((v) => `${s.locks[v]} ${v}`)
        .join(', ') || 'none'
    }; ${formatDuration(doc.durationMs)}`,
  )
  return out.join('\n')
}

/** `3 database-locked, 1 state-contention (state-lifecycle)`: the families seen, with their counts. */
export function signatureText(sig: NonNullable<InstanceStatus['logSignature']>): string {
  return Object.entries(sig.bySignature)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}${kind === 'state-contention' && sig.contention.length > 0 ? ` (${sig.contention.join(', ')})` : ''}`)
    .join(', ')
}

/**
 * The known upstream signatures in a log, one note each with its meaning, upstream report and fix. status reads
 * logs without the gateway's pid, so a fallback's lock pid is named, not checked (fleet doctor checks it).
 */
export function diagnosisNotes(name: string, sig: NonNullable<InstanceStatus['logSignature']>): string[] {
  return KNOWN_SIGNATURE_KINDS.filter((k) => sig.diagnoses[k].count > 0).map(
    (k) =>
      `${name}: ${sig.diagnoses[k].count}× ${knownSignatureText(k)}${sig.diagnoses[k].lockPids.length > 0 ? ` (lock pid ${sig.diagnoses[k].lockPids.join(', ')}, not checked against the gateway's pid here: fleet doctor checks it)` : ''}`,
  )
}

/**
 * The work inside a 2026.8+ gateway, in two cells: how much (unknown when the gateway did not say) and what (its tasks,
 * else its counts). Live work that no lock file shows: a restart would end it.
 */
export function workCells(w: GatewayWorkReading): [string, string] {
  if (!w.known) return ['unknown', w.reason]
  if (w.active === 0) return ['none', `idle (asked in ${formatDuration(w.durationMs)})`]
  const tasks = w.tasks.map((t) => `task ${t.status ?? '?'} ${t.runtime ?? ''} "${(t.title ?? t.taskId).slice(0, 60)}"`.replace(/ {2}/g, ' '))
  const counts = Object.entries(w.counts)
    .filter(([k, n]) => n > 0 && k !== 'totalActive')
    .map(([k, n]) => `${k}=${n}`)
  return [`${w.active} active`, [...tasks, counts.join(' ')].filter(Boolean).join('; ')]
}

function evidenceText(l: InstanceStatus['locks'][number]): string {
  const p = l.evidence.process
  if (l.suspicious) return `not parsed (${l.suspicious})`
  if (l.evidence.probeError) return `probe failed: ${l.evidence.probeError}`
  if (!p && l.kind === 'sqlite-writer') return `not one of its processes: /proc/locks ${l.raw ?? ''}`
  if (!p) return l.evidence.containerRunning ? '-' : 'container not running'
  if (!p.exists) return `no process ${p.pid}`
  const who = `${l.kind === 'sqlite-writer' ? 'writing: ' : ''}${p.isMain ? 'gateway main' : p.isAgent ? 'openclaw agent' : 'process'}`
  return `${who} pid ${p.pid} state ${p.state} starttime ${p.starttime}${l.starttime !== null && p.starttime !== l.starttime ? ` (lock: ${l.starttime})` : ''}: ${(p.cmdline ?? []).join(' ').slice(0, 60)}`
}

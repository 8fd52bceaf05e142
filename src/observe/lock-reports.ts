/**
 * One LockReport per lock an observation found, with its verdict and the evidence for it: lock files (JSONL
 * session and store locks, 2026.8+ gateway locks) judged by `judge`, SQLite write locks by `judgeWriter`. Pure.
 */
import type {ContainerInfo} from '../docker/discover.js'
import type {ProbeResult} from '../docker/probe.js'
import {judgeFile, type SessionStorage} from '../locks/judge.js'
import {judgeWriter} from '../locks/judge-writer.js'
import {turnTree} from '../locks/turn.js'
import {UNHEALTHY_VERDICTS, type LockEvidence, type LockFile, type LockPayload, type LockPolicy, type ProcessEvidence} from '../locks/types.js'
import {ownerAlive} from '../util/exec-owner.js'
import {processAgeMs} from '../util/proc-stat.js'
import path from 'node:path'
import type {WriterScan} from './storage-locks.js'
import type {LockReport} from './status-model.js'

/** What every report of one instance is judged against. */
export interface ReportContext {
  policy: LockPolicy
  c: ContainerInfo | null
  running: boolean
  container: LockEvidence['container']
  probe: ProbeResult | undefined
  now: number
}

/** What is known about the turn of a lock's holder: its process tree, fleet's marker, exec clients on this host. */
function withTurn(proc: ProcessEvidence | null, probe: ProbeResult): ProcessEvidence | null {
  if (!proc?.exists || !proc.isAgent || proc.isMain) return proc
  const marks = probe.marks?.get(proc.pid)
  const id = marks?.FLEET_EXEC_ID
  const owner = marks?.FLEET_EXEC_OWNER ?? null
  return {
    ...proc,
    turn: {
      ...turnTree(probe.table ?? [], proc.pid),
      fleet: id ? {execId: id, owner, ownerAlive: ownerAlive(owner)} : null,
      clients: probe.clients ?? null,
    },
  }
}

function evidenceOf(ctx: ReportContext, mounted: string[], process: ProcessEvidence | null, probeError: string | null): LockReport['evidence'] {
  return {
    container: ctx.c?.name ?? null,
    containerRunning: ctx.running,
    containerStartedAt: ctx.c?.startedAt ?? null,
    mountedBy: mounted,
    process,
    probeError,
    processSource: ctx.probe?.source ?? null,
    clockSkewMs: null,
  }
}

/** A lock that makes turns fail: an unhealthy verdict, a stopped holder, a long-held SQLite write lock (legacy litter never). */
export function blocksTurns(l: Pick<LockReport, 'verdict' | 'reasons' | 'kind'>): boolean {
  if (l.verdict === 'ignored') return false
  return UNHEALTHY_VERDICTS.has(l.verdict) || l.reasons.includes('stopped') || (l.kind === 'sqlite-writer' && l.reasons.includes('long-hold'))
}

/** A lock file: judged by `judgeFile` (on an SQLite version a `.jsonl.lock` is `ignored` litter: OpenClaw never reads it). */
export function fileLockReport(ctx: ReportContext, file: LockFile, payload: LockPayload | null, mounted: string[], storage: SessionStorage): LockReport {
  const {probe} = ctx
  const evidence: LockEvidence = {container: ctx.container, mountedBy: mounted}
  const pid = payload?.pid ?? null
  if (ctx.running && pid !== null && probe) {
    evidence.process = probe.ok ? withTurn(probe.processes.get(pid) ?? null, probe) : null
    if (!probe.ok) evidence.probeError = probe.error
  }
  const j = judgeFile(file, payload, evidence, ctx.policy, ctx.now, storage)
  return {
    path: file.path,
    containerPath: file.containerPath,
    kind: file.kind,
    agent: file.agent,
    session: file.session,
    size: file.size,
    mtime: new Date(file.mtimeMs).toISOString(),
    suspicious: file.suspicious ?? null,
    raw: file.raw ?? null,
    readError: file.readError ?? null,
    pid,
    createdAt: payload?.createdAt ?? null,
    starttime: payload?.starttime ?? null,
    payloadProblems: payload?.problems ?? [],
    verdict: j.verdict,
    reasons: j.reasons,
    ...(j.legacyVerdict ? {legacyVerdict: j.legacyVerdict} : {}),
    ageMs: j.ageMs,
    evidence: {...evidenceOf(ctx, mounted, evidence.process ?? null, evidence.probeError ?? null), clockSkewMs: j.clockSkewMs ?? null},
  }
}

/** One report per SQLite write lock held (2026.8+), its holder judged by judgeWriter. A holder that exited since the scan released its lock: no report. */
export function writerReports(ctx: ReportContext, holds: WriterScan['holds'], mounted: string[]): LockReport[] {
  const {probe} = ctx
  return holds.flatMap(({db, pid, lock}): LockReport[] => {
    const placed = pid > 0 && probe?.ok ? (probe.processes.get(pid) ?? null) : null
    if (placed && !placed.exists) return []
    const proc = placed ? withTurn(placed, probe!) : null
    const probeError = ctx.running && probe && !probe.ok ? (probe.error ?? 'probe failed') : undefined
    const j = judgeWriter(
      {
        container: ctx.container,
        mountedBy: mounted,
        process: proc,
        holderAgeMs: processAgeMs(proc?.starttime, probe?.bootTimeMs, ctx.now),
        ...(probeError ? {probeError} : {}),
      },
      ctx.policy,
    )
    return [
      {
        path: db.path,
        containerPath: db.containerPath,
        kind: 'sqlite-writer',
        agent: db.agent,
        session: path.basename(db.containerPath),
        size: 0,
        mtime: new Date(db.walMtimeMs ?? ctx.now).toISOString(),
        suspicious: null,
        // The kernel's lock line is the evidence (pid as the reader's namespace sees it).
        raw: lock.line,
        readError: null,
        pid: pid > 0 ? pid : null,
        createdAt: null,
        starttime: proc?.starttime ?? null,
        payloadProblems: [],
        verdict: j.verdict,
        reasons: j.reasons,
        ageMs: j.ageMs,
        evidence: evidenceOf(ctx, mounted, proc, probeError ?? null),
      },
    ]
  })
}

/** The incident log's `lock` record: a lock as judged (path, verbatim content, mtime, verdict, reasons, evidence), written before anything touches it (pure). */
export function lockRecord(instance: string, l: LockReport): Record<string, unknown> {
  return {instance, path: l.path, kind: l.kind, content: l.raw, mtime: l.mtime, size: l.size, verdict: l.verdict, reasons: l.reasons, evidence: l.evidence}
}

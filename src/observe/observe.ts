/**
 * Observation: for the selected instances, what runs, what locks exist, and the verdict on each lock with
 * its evidence. Used by `fleet status`, and as the judge step of heal and watch.
 * I/O lives here; decisions are the pure `judge`.
 */
import type {Fleet, Instance} from '../config/model.js'
import {byDockerHost, dockerFor, type DockerHandle} from '../docker/client.js'
import {discover, lastExitCode, type ContainerInfo, type Discovery} from '../docker/discover.js'
import {mountedBy} from '../docker/mounts.js'
import {incarnationRange, LockSignatureAccumulator, streamContainerLog, type LockTimeoutSignature} from '../docker/logs.js'
import {gatewayLife, recentLockErrors, type Life} from '../openclaw/gateway-life.js'
import type {ReadinessEvidence} from '../openclaw/readiness.js'
import {stateMount, type StateMount} from '../docker/state-mount.js'
import {lifeLogReader, probeReadiness, type LifeLog} from '../openclaw/readiness.js'
import {readGatewayWork} from '../openclaw/gateway-work.js'
import {realOrSelf} from '../util/paths.js'
import {lastGoodTurn} from '../runs/good-turns.js'
import {probePids, type ProbeResult} from '../docker/probe.js'
import {containerPidOf, hostEvidence, readHostProcesses, type HostProcView} from '../docker/host-proc.js'
import {detectVersion, storageOf} from '../openclaw/detect.js'
import type {VersionReading} from '../openclaw/version.js'
import {judgeLease, readLeases, type LeaseRow} from '../openclaw/leases.js'
import {hostLockTable, scanWritersInContainer, scanWritersOnHost, type WriterScan} from './storage-locks.js'
import {hostMountTable, readStateFs, stateFsStatus, storageFault, type StateFsReading} from './state-fs.js'
import {worstVerdict} from '../locks/judge.js'
import {blocksTurns, fileLockReport, writerReports, type ReportContext} from './lock-reports.js'
import {parseLockPayload} from '../locks/parse.js'
import {scanSessionsDir, toLockFiles} from '../locks/scan.js'
import {scanViaDocker} from '../docker/remote-locks.js'
import {noVerdicts, type LockFile, type LockPayload} from '../locks/types.js'
import {mapLimit} from '../util/concurrency.js'
import {UnreachableError} from '../errors.js'
import fs from 'node:fs'
import path from 'node:path'

import type {InstanceStatus, Observation, ObserveOptions} from './status-model.js'
import {isPaused} from '../docker/container-state.js'
export type {InstanceStatus, LockReport, Observation, ObserveOptions} from './status-model.js'

export async function observe(fleet: Fleet, instances: Instance[], opts: ObserveOptions = {}): Promise<Observation> {
  const started = Date.now()
  const byHost = byDockerHost(instances)
  const containers = new Map<number, ContainerInfo | null>()
  const results: InstanceStatus[] = []
  const unreachable: string[] = []
  // Hosts are observed side by side; a host that is down marks its own instances unreachable and the
  // others go on.
  await Promise.all(
    [...byHost.values()].map(async ({handle, instances: group}) => {
      try {
        const disc = await discover(handle, group, fleet.groups)
        for (const [id, c] of disc.byInstance) containers.set(id, c)
        results.push(...(await observeHost(fleet, handle, group, disc, opts)))
      } catch (error) {
        if (!(error instanceof UnreachableError)) throw error
        unreachable.push(handle.label)
        results.push(...group.map((inst) => unreachableStatus(inst, error.message)))
      }
    }),
  )
  if (unreachable.length === byHost.size && byHost.size > 0)
    throw new UnreachableError(results[0]?.errors[0] ?? `Docker unreachable: ${unreachable.join(', ')}`, {
      hint: 'is the engine running? check DOCKER_HOST / docker.host in the config (for the lab: sudo bash lab/engine.sh)',
    })
  results.sort((a, b) => a.id - b.id)
  if (opts.gatewayWork) await addGatewayWork(fleet, instances, results, opts)
  return {instances: results, containers, unreachable, durationMs: Date.now() - started}
}

/**
 * The work inside each running gateway, asked of the gateway itself (readGatewayWork: null before 2026.8, unknown
 * when it does not answer). A gateway that is not running has none to ask about: null.
 */
async function addGatewayWork(fleet: Fleet, instances: Instance[], results: InstanceStatus[], opts: ObserveOptions): Promise<void> {
  const byId = new Map(instances.map((i) => [i.id, i]))
  const timeoutMs = opts.gatewayWorkTimeoutMs ?? gatewayWorkTimeoutMs(fleet)
  await mapLimit(results, opts.concurrency ?? 8, async (st) => {
    const inst = byId.get(st.id)
    st.work = inst && st.state === 'running' ? await readGatewayWork(dockerFor(inst.docker), st.container, timeoutMs, st.openclaw.version) : null
  })
}

/** The bound of one ask for a gateway's work: the CLI's cold start took 2.6-110 s on a busy 2-core host (52 s with a turn in flight under load 30). */
export const gatewayWorkTimeoutMs = (fleet: Fleet): number => Math.max(120_000, fleet.locks.probeTimeoutMs)

/** Scans one sessions dir: on this disk, or through the Docker API for hosts that are not this machine. */
async function scanDir(
  fleet: Fleet,
  handle: DockerHandle,
  inst: Instance,
  c: ContainerInfo | null,
  s: Instance['sessions'][number],
): Promise<{locks: LockFile[]; error?: string}> {
  if (inst.lockAccess === 'host') return scanSessionsDir({dir: s.hostDir, containerDir: s.containerDir, agent: s.agent})
  if (!c) return {locks: [], error: 'no container to read the locks through (Docker API access)'}
  try {
    const r = await scanViaDocker(handle, inst, c, s.containerDir, fleet.locks.probeTimeoutMs)
    return {locks: toLockFiles({dir: s.hostDir, containerDir: s.containerDir, agent: s.agent}, r.entries), error: r.error}
  } catch (error) {
    return {locks: [], error: (error as Error).message}
  }
}

/**
 * The dirs where an instance's lock files may be: its agents' sessions dirs (JSONL locks, to 2026.7) and, from
 * 2026.8, the gateway lock dirs `<state>/tmp/openclaw-<uid>/` (on this disk: every such dir; through Docker: the
 * official image's uid 1000).
 */
export function lockDirs(inst: Instance): Instance['sessions'] {
  let uids = ['openclaw-1000']
  if (inst.lockAccess === 'host') {
    try {
      uids = fs
        .readdirSync(path.join(inst.dataDir, 'tmp'))
        .filter((n) => /^openclaw(-\d+)?$/.test(n))
        .sort()
    } catch {
      uids = []
    }
  }
  const gateway = uids.map((u) => ({agent: 'gateway', hostDir: path.join(inst.dataDir, 'tmp', u), containerDir: path.posix.join(inst.stateDir, 'tmp', u)}))
  return [...inst.sessions, ...gateway]
}

function unreachableStatus(inst: Instance, message: string): InstanceStatus {
  return {
    id: inst.id,
    name: inst.name,
    group: inst.group ?? null,
    container: inst.container,
    service: inst.service,
    state: 'unreachable',
    health: 'unknown',
    startedAt: null,
    uptimeMs: null,
    restartCount: null,
    image: null,
    compose: null,
    foundBy: null,
    locks: [],
    counts: noVerdicts(),
    worst: null,
    sharedWith: [],
    logSignature: null,
    unlisted: [],
    readOnlyMounts: [],
    openclaw: {version: null, storage: null, source: null, error: message},
    leases: null,
    life: gatewayLife(
      {
        state: 'unreachable',
        startedAtMs: null,
        finishedAtMs: null,
        exitCode: null,
        restartCount: null,
        readiness: {state: 'unknown', source: null, detail: message},
        refusal: null,
        lastLine: null,
      },
      {startBudgetMs: 0, crashLoopWindowMs: 0, crashLoopRestarts: 1, lockErrorWindowMs: 0},
      0,
    ),
    mount: null,
    stateFs: stateFsStatus(null),
    storage: null,
    errors: [message],
    ok: false,
  }
}

interface Gathered {
  inst: Instance
  c: ContainerInfo | null
  running: boolean
  parsed: {file: LockFile; payload: LockPayload | null}[]
  pids: number[]
  /** Where its lock files were looked for (lockDirs). */
  dirs: Instance['sessions']
  version: VersionReading
  /** 2026.8+ lease rows (read in the container), null when not read. */
  leases: LeaseRow[] | null
  /** SQLite writer holds (2026.8+); pids are host pids when the scan was on the host. */
  writers: WriterScan | null
  signature: LockTimeoutSignature | null
  /** What the log says of the gateway's life (ready line, start refusals, the previous incarnation's last line); null when not read. */
  lifeLog: LifeLog | null
  readiness: ReadinessEvidence
  mount: StateMount | null
  /** The filesystem under the state dir, read on this disk (null: not local, or no state dir). */
  stateFs: StateFsReading | null
  unlisted: string[]
  errors: string[]
}

/**
 * Two phases per host: first every instance's locks (and log signature) are read, then the process evidence
 * is taken, so that it is never older than a lock it judges. A lock's owner exists before its lock does,
 * so evidence taken after the lock was read cannot miss a live owner.
 */
async function observeHost(fleet: Fleet, handle: DockerHandle, group: Instance[], disc: Discovery, opts: ObserveOptions): Promise<InstanceStatus[]> {
  const concurrency = opts.concurrency ?? 8
  const lockTable = hostLockTable()
  const mountTable = hostMountTable()
  const gathered = await mapLimit(group, concurrency, (inst) => gatherInstance(fleet, handle, inst, disc, opts, lockTable, mountTable))
  const holding = (g: Gathered) => (g.writers?.holds.length ?? 0) > 0
  const probing = gathered.filter((g) => g.running && g.c && (g.pids.length > 0 || holding(g)))
  const refs = probing.map((g) => ({id: g.c!.id, pid: g.c!.pid, names: [g.c!.name, g.c!.compose.service ?? ''].filter(Boolean)}))
  const view = fleet.locks.probe === 'auto' && probing.some((g) => g.inst.lockAccess === 'host') ? readHostProcesses(refs) : null
  const nowMs = Date.now()
  const statuses = await mapLimit(gathered, concurrency, async (g) => {
    let probe: ProbeResult | undefined
    if (g.running && g.c && (g.pids.length > 0 || holding(g))) {
      await placeWriters(fleet, handle, g, view)
      const pids = [...new Set([...g.pids, ...(g.writers?.holds.map((h) => h.pid).filter((p) => p > 0) ?? [])])]
      probe = (view && hostEvidence(view, g.c.id, pids, nowMs)) ?? (await probePids(handle, g.c.name, pids, fleet.locks.probeTimeoutMs))
      if (!probe.ok) g.errors.push(`process probe in ${g.c.name} failed: ${probe.error}`)
    }
    return judgeInstance(fleet, g, disc, probe, opts)
  })
  return withBothSidesShared(statuses)
}

/**
 * A shared sessions dir has two sides: the instance whose dir it is (its sharedWith names the other container)
 * and the instance whose container mounts it too. Both are not ok, and both name each other, as heal refuses both.
 */
export function withBothSidesShared(statuses: InstanceStatus[]): InstanceStatus[] {
  return statuses.map((t) => {
    const owners = statuses.filter((s) => s !== t && s.sharedWith.includes(t.container))
    if (owners.length === 0) return t
    const names = owners.map((s) => s.container).filter((n) => !t.sharedWith.includes(n))
    const notes = owners.map((s) => `container ${t.container} also mounts the sessions dir of ${s.name} (${s.container}): two writers on one dir`)
    return {...t, sharedWith: [...t.sharedWith, ...names], errors: [...t.errors, ...notes], ok: false}
  })
}

/**
 * Host scans name host pids: each is placed in the container by the host view, and a holder it cannot place is
 * kept with pid 0 (foreign: another container on the dir, or a host process). Without a trustworthy view, the scan is
 * done again inside the container, which names its own pids.
 */
async function placeWriters(fleet: Fleet, handle: DockerHandle, g: Gathered, view: HostProcView | null): Promise<void> {
  if (!g.writers || g.writers.source !== 'host' || g.writers.holds.length === 0 || !g.c) return
  const local = view?.containers.get(g.c.id)
  if (local?.ok) {
    g.writers = {...g.writers, holds: g.writers.holds.map((h) => ({...h, pid: containerPidOf(view!, g.c!.id, h.pid) ?? 0}))}
    return
  }
  g.writers = await scanWritersInContainer(handle, g.inst, g.c, fleet.locks.probeTimeoutMs)
  if (g.writers.error) g.errors.push(g.writers.error)
}

async function gatherInstance(
  fleet: Fleet,
  handle: DockerHandle,
  inst: Instance,
  disc: Discovery,
  opts: ObserveOptions,
  lockTable: () => string,
  mountTable: () => string,
): Promise<Gathered> {
  const c = disc.byInstance.get(inst.id) ?? null
  const errors: string[] = []
  const running = c?.state === 'running'
  const dirs = lockDirs(inst)
  const version: Promise<VersionReading> = c
    ? detectVersion(handle, c, {local: inst.lockAccess === 'host'})
    : Promise.resolve({version: null, source: null, file: null, error: 'no container'})
  const writers: Promise<WriterScan | null> =
    inst.lockAccess === 'host'
      ? Promise.resolve(scanWritersOnHost(inst, lockTable))
      : running && c
        ? scanWritersInContainer(handle, inst, c, fleet.locks.probeTimeoutMs)
        : Promise.resolve(null)
  const [scans, logRead] = await Promise.all([
    Promise.all(dirs.map((s) => scanDir(fleet, handle, inst, c, s))),
    c && c.startedAtMs && opts.logs !== false
      ? readGatewayLog(handle, c, fleet.gateway.crashLoopWindowMs).catch((error: Error) => {
          errors.push(`cannot read the log of ${c.name}: ${error.message}`)
          return null
        })
      : Promise.resolve(null),
  ])
  const signature = logRead?.signature ?? null
  const lifeLog = logRead?.life ?? null
  const readiness = running && c ? await readinessOf(handle, c, lifeLog, fleet) : {state: 'unknown' as const, source: null, detail: 'not running'}
  // A running container restarted by its policy lost its last exit code at the start: the engine's die event has it.
  if (running && c && c.restartCount > 0 && c.finishedAtMs != null && Date.now() - c.finishedAtMs <= fleet.gateway.crashLoopWindowMs)
    c.exitCode = await lastExitCode(handle, c.id, c.finishedAtMs - 2000)
  const files: LockFile[] = []
  const unlisted: string[] = []
  scans.forEach((s, i) => {
    if (s.error) {
      errors.push(`cannot list ${dirs[i].hostDir}: ${s.error}; its locks are unknown`)
      unlisted.push(dirs[i].hostDir)
    }
    files.push(...s.locks)
  })
  const parsed = files.map((f) => ({file: f, payload: f.raw !== undefined && !f.suspicious ? parseLockPayload(f.raw) : null}))
  const pids = parsed.map((p) => p.payload?.pid).filter((p): p is number => typeof p === 'number')
  const w = await writers
  if (w?.error) errors.push(w.error)
  const v = await version
  const lease =
    running && c && opts.leases !== false && storageOf(v.version) === 'sqlite' ? await readLeases(handle, inst, c, fleet.locks.probeTimeoutMs) : null
  if (lease?.error) errors.push(lease.error)
  const stateFs = inst.lockAccess === 'host' && fs.existsSync(inst.dataDir) ? readStateFs(inst.dataDir, mountTable) : null
  return {
    inst,
    c,
    running,
    parsed,
    pids,
    dirs,
    version: v,
    leases: lease?.rows ?? null,
    writers: w,
    signature,
    lifeLog,
    readiness,
    mount: c ? mountOf(inst, c) : null,
    stateFs,
    unlisted,
    errors,
  }
}

/**
 * The life-cycle state of one gateway (decide/gateway-life.ts) from its own log (this start and, within the crash-loop
 * window, the previous incarnations), its readiness and its last exit: what status judges, for doctor.
 */
export async function observeLife(fleet: Fleet, handle: DockerHandle, c: ContainerInfo, nowMs = Date.now()): Promise<Life> {
  const log = await readGatewayLog(handle, c, fleet.gateway.crashLoopWindowMs).catch(() => null)
  const running = c.state === 'running'
  const readiness: ReadinessEvidence = running
    ? await readinessOf(handle, c, log?.life ?? null, fleet)
    : {state: 'unknown', source: null, detail: 'not running'}
  const exitCode = running && c.restartCount > 0 && c.finishedAtMs != null ? await lastExitCode(handle, c.id, c.finishedAtMs - 2000) : (c.exitCode ?? null)
  const facts = {
    state: c.state,
    startedAtMs: c.startedAtMs,
    finishedAtMs: c.finishedAtMs ?? null,
    exitCode,
    restartCount: c.restartCount,
    readiness,
    refusal: log?.life.refusal ?? null,
    lastLine: log?.life.lastLineBefore ?? null,
  }
  return gatewayLife(facts, fleet.gateway, nowMs)
}

/** Ready incarnations seen by this process (container id and start): a gateway ready since its start stays so until it restarts. */
const readySeen = new Map<string, ReadinessEvidence>()

/**
 * Is the gateway ready? Its ready line since this start (in the log just read), else what this process already saw
 * of this incarnation, else its readiness endpoint asked from inside the container (body checked).
 */
async function readinessOf(handle: DockerHandle, c: ContainerInfo, lifeLog: LifeLog | null, fleet: Fleet): Promise<ReadinessEvidence> {
  const key = `${c.id}@${c.startedAt ?? ''}`
  if (lifeLog?.readyAtMs != null) {
    const seen: ReadinessEvidence = {state: 'ready', source: 'ready-line', detail: `ready line at ${new Date(lifeLog.readyAtMs).toISOString()}`}
    readySeen.set(key, seen)
    return seen
  }
  const known = readySeen.get(key)
  if (known) return known
  const probed = await probeReadiness(handle, c.name, fleet.gateway.port, fleet.locks.probeTimeoutMs)
  if (probed.state === 'ready') readySeen.set(key, probed)
  return probed
}

/**
 * The log of one container, read once: the lock-error signature of its current incarnation, and what it says of the
 * gateway's life. When the restart policy restarted it, or it ended, within the crash-loop window, the lines of the
 * previous incarnations in that window are read too (their start refusals and last line).
 */
async function readGatewayLog(handle: DockerHandle, c: ContainerInfo, windowMs: number): Promise<{signature: LockTimeoutSignature; life: LifeLog}> {
  const now = Date.now()
  const recentEnd = c.finishedAtMs != null && now - c.finishedAtMs <= windowMs
  const range = incarnationRange(c.startedAtMs, now)
  if ((c.restartCount > 0 || recentEnd) && c.startedAtMs) range.sinceMs = Math.min(c.startedAtMs, now - windowMs)
  const life = lifeLogReader(c.startedAtMs)
  const acc = new LockSignatureAccumulator()
  // Lines of this incarnation count for the signature (to the second: the engine's `since` is in seconds).
  const startSec = c.startedAtMs ? Math.floor(c.startedAtMs / 1000) * 1000 : 0
  const read = await streamContainerLog(handle, c.name, range, (line, ts) => {
    life.add(line, ts)
    if (!ts || Date.parse(ts) >= startSec) acc.add(line, ts)
  })
  return {signature: acc.result(read.capped), life: life.result()}
}

/** Whether the container keeps its state in the configured dataDir (paths resolved and checked on this disk only). */
function mountOf(inst: Instance, c: ContainerInfo): StateMount {
  const local = inst.lockAccess === 'host'
  const m = c.mounts.find((x) => x.destination === inst.stateDir)
  return stateMount({
    container: c.name,
    stateDir: inst.stateDir,
    configured: inst.dataDir,
    configuredReal: local ? realOrSelf(inst.dataDir) : inst.dataDir,
    configuredExists: local ? fs.existsSync(inst.dataDir) : null,
    mount: m ? {source: m.source, sourceReal: local ? realOrSelf(m.source) : m.source, rw: m.rw} : null,
  })
}

function judgeInstance(fleet: Fleet, g: Gathered, disc: Discovery, probe: ProbeResult | undefined, opts: ObserveOptions): InstanceStatus {
  const {inst, c, running, parsed, signature, unlisted, errors} = g
  const now = opts.nowMs ?? Date.now()
  const paused = c !== null && isPaused(c.state)
  if (paused)
    errors.push(`container ${c.name} is paused: its processes are frozen and cannot be probed, so its locks are unknown; nothing is done until it is unpaused`)
  // Writers only: a container that mounts the dir read-only cannot create or hold a lock there.
  const dirs = [...g.dirs.map((d) => d.hostDir), inst.dataDir]
  const mountedByDir = new Map(dirs.map((d) => [d, mountedBy(d, disc.running)]))
  const readOnly = [...new Set(inst.sessions.flatMap((s) => mountedBy(s.hostDir, disc.running, 'read-only')))].filter((n) => n !== c?.name)
  const mountsConfiguredDir = g.mount ? g.mount.ok || g.mount.problem === 'missing-dir' : true
  const container = c
    ? {name: c.name, running, startedAtMs: c.startedAtMs, ...(paused ? {paused} : {}), ...(mountsConfiguredDir ? {} : {mountsConfiguredDir})}
    : null
  const storage = storageOf(g.version.version)
  const ctx: ReportContext = {policy: fleet.locks, c, running, container, probe, now}
  const fileLocks = parsed.map(({file, payload}) => fileLockReport(ctx, file, payload, mountedByDir.get(path.dirname(file.path)) ?? [], storage))
  const locks = [...fileLocks, ...writerReports(ctx, g.writers?.holds ?? [], mountedByDir.get(inst.dataDir) ?? [])]
  const gatewayPid = locks.find((l) => l.kind === 'gateway' && l.evidence.process?.isMain)?.pid ?? null
  const leases = g.leases?.map((row) => judgeLease(row, {nowMs: now, gatewayPid, orphanAfterMs: fleet.locks.orphanAfterMs})) ?? null
  const counts = noVerdicts()
  for (const l of locks) counts[l.verdict]++
  const sharedWith = [...new Set([...mountedByDir.values()].flat())].filter((n) => n !== c?.name)
  const life = gatewayLife(
    {
      state: c?.state ?? 'missing',
      startedAtMs: c?.startedAtMs ?? null,
      finishedAtMs: c?.finishedAtMs ?? null,
      exitCode: c?.exitCode ?? null,
      restartCount: c?.restartCount ?? null,
      previousRestartCount: opts.previousRestartCounts?.get(inst.id) ?? null,
      readiness: g.readiness,
      refusal: g.lifeLog?.refusal ?? null,
      lastLine: g.lifeLog?.lastLineBefore ?? null,
      channelsDown: g.lifeLog?.channelsDown ?? [],
    },
    fleet.gateway,
    now,
  )
  if (g.mount && !g.mount.ok) errors.push(g.mount.why)
  const lastGood = () => opts.lastGoodTurnMs?.get(inst.id) ?? (c ? lastGoodTurn(inst, c.name) : null)
  const failingTurns = running && (signature?.count ?? 0) > 0 ? recentLockErrors(signature, now, fleet.gateway.lockErrorWindowMs, lastGood()) : null
  if (failingTurns) errors.push(failingTurns)
  // The disk: a full or read-only state filesystem, or storage errors in the log since the last good turn.
  const stateFs = stateFsStatus(g.stateFs)
  const diskFault = storageFault(
    stateFs,
    running ? (signature?.storage ?? null) : null,
    now,
    fleet.gateway.lockErrorWindowMs,
    (signature?.storage.count ?? 0) > 0 ? lastGood() : null,
  )
  if (diskFault) errors.push(`${diskFault.kind}: ${diskFault.why} (${diskFault.hint})`)
  return {
    id: inst.id,
    name: inst.name,
    group: inst.group ?? null,
    container: c?.name ?? inst.container,
    service: c?.compose.service ?? inst.service,
    state: c?.state ?? 'missing',
    health: c ? c.health : 'unknown',
    startedAt: c?.startedAt ?? null,
    uptimeMs: running && c?.startedAtMs ? Math.max(0, now - c.startedAtMs) : null,
    restartCount: c?.restartCount ?? null,
    image: c?.image ?? null,
    compose: c?.compose ?? null,
    foundBy: c?.foundBy ?? null,
    locks,
    counts,
    worst: worstVerdict(locks.map((l) => l.verdict)),
    sharedWith,
    logSignature: signature,
    unlisted,
    readOnlyMounts: readOnly,
    openclaw: {version: g.version.version, storage, source: g.version.source, error: g.version.error},
    leases,
    life,
    mount: g.mount,
    stateFs,
    storage: diskFault,
    errors,
    // Not ok when the gateway does not serve (not ready, starting, restarting, crash-looping, failing), when its container
    // keeps its state elsewhere than the configured dataDir, and when turns cannot succeed: a bad lock, a sessions dir shared with another writer (heal refuses it),
    // a lock held by a stopped (SIGSTOPped) process, which blocks every turn on its session until it resumes, or an
    // SQLite db held past orphanAfter by a process that is not the gateway (every turn waits on it, then fails).
    ok:
      running &&
      life.serves &&
      (g.mount?.ok ?? false) &&
      failingTurns === null &&
      diskFault === null &&
      unlisted.length === 0 &&
      sharedWith.length === 0 &&
      !locks.some(blocksTurns),
  }
}

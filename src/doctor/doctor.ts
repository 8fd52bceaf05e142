/**
 * `fleet doctor`: root causes found before the outage. Each check passes, warns or fails, with a fix hint.
 */
import {existsSync, readFileSync, statfsSync} from 'node:fs'
import path from 'node:path'
import type {Fleet, Instance} from '../config/model.js'
import {checkFleetPaths} from '../config/load.js'
import {byDockerHost, engineCall, type DockerHandle} from '../docker/client.js'
import {composeCommand} from '../docker/compose.js'
import {discover, type ContainerInfo} from '../docker/discover.js'
import {execIn, type ExecResult} from '../docker/exec.js'
import {probePids} from '../docker/probe.js'
import {readHostProcesses, type HostProcView} from '../docker/host-proc.js'
import {MIN_CONTEXT_TOKENS, smallContextModels} from '../openclaw/models.js'
import {hostStateLayout, parseStateLayout, stateLayoutArgv, type StateLayout} from '../openclaw/state-layout.js'
import {knownSignaturesPossible, lockBehaviour, parseOpenClawVersion, versionCan, type OpenClawVersion} from '../openclaw/version.js'
import {detectVersion} from '../openclaw/detect.js'
import {pingCommand} from '../ping/ping.js'
import {errorLine} from '../decide/ping-class.js'
import {mapLimit} from '../util/concurrency.js'
import {realOrSelf} from '../util/paths.js'
import {mountedBy, type RunningMounts} from '../docker/mounts.js'
import {observeLife} from '../observe/observe.js'
import type {Life} from '../openclaw/gateway-life.js'
import {errorMessage, UnreachableError} from '../errors.js'
import {PAUSED_ADVICE} from '../decide/restart.js'
import {check, type Check} from './check.js'
import {ioChecks, ioReadings, ioWhere, lowSpace, spaceText, THIS_HOST} from './io-checks.js'
import {IO_SAMPLES_DEFAULT} from './io-probe.js'
import {gatewayProcesses} from '../openclaw/gateway-processes.js'
import {cappedText, incarnationLockSignature, type LockTimeoutSignature} from '../docker/logs.js'
import {KNOWN_SIGNATURE_KINDS, KNOWN_SIGNATURES, type KnownSignatureKind} from '../locks/known-signatures.js'
import type {ProcessEvidence} from '../locks/types.js'
import {countEntries} from '../locks/scan.js'
import {isPaused} from '../docker/container-state.js'
import {STORAGE_HINTS} from '../locks/signatures.js'
import {readStateFs, stateFsVerdict, type StateFsReading} from '../observe/state-fs.js'

export type {Check, CheckStatus} from './check.js'

/** Bounds of the agent-start check: a real 2026.9.6 CLI start took 3-12 s on 2 busy cores; several run at once. */
export const AGENT_START_TIMEOUT_MS = 60_000
export const AGENT_START_CONCURRENCY = 4

export interface DoctorOptions {
  nowMs?: number
  /** How long `<ping.command> --help` may take in each container (default AGENT_START_TIMEOUT_MS). */
  agentStartTimeoutMs?: number
  /** Latency samples per filesystem (default IO_SAMPLES_DEFAULT; 0: only the filesystem type, pressure and space). */
  ioSamples?: number
}

export async function runDoctor(fleet: Fleet, instances: Instance[], opts: DoctorOptions = {}): Promise<Check[]> {
  const checks: Check[] = []
  const handles = byDockerHost(instances)
  const probed = new Map<string, Map<string, string>>()
  const ioSamples = opts.ioSamples ?? IO_SAMPLES_DEFAULT
  try {
    const cmd = await composeCommand(fleet.compose.command)
    checks.push(check('compose', null, 'pass', `compose runs as: ${cmd.join(' ')}`))
  } catch (error) {
    checks.push(check('compose', null, 'fail', errorMessage(error), 'install the docker compose plugin or docker-compose, or set compose.command'))
  }
  for (const issue of checkFleetPaths(fleet))
    checks.push(check('config-paths', null, 'fail', `${issue.path.join('.')}: ${issue.message}`, 'fix the path in the fleet config'))
  for (const {handle, instances: group} of handles.values()) {
    let version: string
    try {
      version = (await engineCall(handle, 'version', () => handle.docker.version())).Version
      checks.push(check('docker', null, 'pass', `Docker ${version} at ${handle.label}`))
    } catch (error) {
      // engineCall's error already says where and why; another error is said once with where.
      const said = error instanceof UnreachableError ? error : {message: `Docker at ${handle.label} is unreachable: ${errorMessage(error)}`, hint: undefined}
      checks.push(check('docker', null, 'fail', said.message, said.hint ?? 'start the engine or fix docker.host / DOCKER_HOST'))
      continue
    }
    const disc = await discover(handle, group, fleet.groups)
    checks.push(...sharedDirChecks(group, disc.running))
    // One pass over this host's /proc for every running container it may show (as observe does).
    const shown =
      fleet.locks.probe === 'exec'
        ? []
        : group
            .filter((i) => i.lockAccess === 'host')
            .map((i) => disc.byInstance.get(i.id))
            .filter((c): c is ContainerInfo => c?.state === 'running')
    const hostView = shown.length > 0 ? readHostProcesses(shown.map((c) => ({id: c.id, pid: c.pid}))) : null
    const running = group
      .map((inst) => ({inst, c: disc.byInstance.get(inst.id)}))
      .filter((x): x is {inst: Instance; c: ContainerInfo} => x.c?.state === 'running')
    // CLI starts are CPU-bound (seconds each): bounded apart from the cheap checks, and run beside them.
    const [perInstance, starts] = await Promise.all([
      mapLimit(group, 8, (inst) => instanceChecks(fleet, handle, inst, disc.byInstance.get(inst.id) ?? null, hostView, disc.running, opts.nowMs)),
      mapLimit(running, AGENT_START_CONCURRENCY, ({inst, c}) => agentStart(fleet, handle, inst, c, opts.agentStartTimeoutMs ?? AGENT_START_TIMEOUT_MS)),
    ])
    checks.push(...perInstance.flat(), ...starts)
    // After the CLI starts, alone: probes beside CPU-bound work or each other would measure that work.
    const readings = await ioReadings(
      handle,
      group.map((inst) => ({inst, c: disc.byInstance.get(inst.id) ?? null})),
      ioSamples,
      probed,
    )
    for (const where of new Set(readings.map((r) => ioWhere(r.inst, handle))))
      checks.push(
        ...ioChecks(
          where,
          where !== THIS_HOST,
          readings.filter((r) => ioWhere(r.inst, handle) === where),
          ioSamples,
        ),
      )
  }
  return checks
}

async function instanceChecks(
  fleet: Fleet,
  handle: DockerHandle,
  inst: Instance,
  c: ContainerInfo | null,
  hostView: HostProcView | null,
  running: RunningMounts[],
  nowMs?: number,
): Promise<Check[]> {
  const out: Check[] = []
  if (inst.lockAccess === 'host' && !existsSync(inst.dataDir))
    out.push(check('data-dir', inst, 'fail', `dataDir does not exist: ${inst.dataDir}`, 'fix dataDir in the fleet config'))
  if (!c) {
    out.push(
      check(
        'container',
        inst,
        'fail',
        `no container named ${inst.container} (nor one labelled with service ${inst.service})`,
        'start the compose group, or fix container/service in the config',
      ),
    )
  } else {
    out.push(mountCheck(inst, c))
    out.push(lifeCheck(inst, await observeLife(fleet, handle, c, nowMs)))
    if (c.state === 'running') out.push(...(await insideChecks(fleet, handle, inst, c, hostView, running, nowMs)))
    else if (!isPaused(c.state)) out.push(check('container', inst, 'warn', `${c.name} is ${c.state}`, 'fleet heal starts it'))
  }
  // openclaw.json and the sessions dirs are read from this disk only when the host is this machine.
  if (inst.lockAccess === 'host') {
    out.push(...modelChecks(inst))
    out.push(...(await diskChecks(inst)))
  }
  return out
}

/** The gateway's life-cycle state, as status judges it: a start refusal or a crash loop is a root cause. */
export function lifeCheck(inst: Instance, life: Life): Check {
  if (life.serves) return check('gateway-life', inst, 'pass', `ready (${life.why})`)
  const hint = life.refusal?.hint ?? (life.state === 'starting' ? 'wait: a start in progress is not wedged' : life.state === 'paused' ? PAUSED_ADVICE : null)
  const status = life.state === 'starting' ? 'warn' : 'fail'
  return check('gateway-life', inst, status, `${life.state}: ${life.why}`, hint)
}

/** The container must bind-mount the configured dataDir at the state dir. */
export function mountCheck(inst: Instance, c: ContainerInfo): Check {
  const m = c.mounts.find((x) => x.destination === inst.stateDir)
  if (!m)
    return check(
      'mount',
      inst,
      'fail',
      `${c.name} mounts nothing at ${inst.stateDir}: its state is inside the container and is lost with it; fleet sees no locks`,
      `bind-mount ${inst.dataDir} at ${inst.stateDir}`,
    )
  if (realOrSelf(m.source) !== realOrSelf(inst.dataDir)) {
    return check(
      'mount',
      inst,
      'fail',
      `${c.name} mounts ${m.source} at ${inst.stateDir}, but the config says dataDir ${inst.dataDir}: fleet would judge the wrong locks`,
      'fix dataDir in the fleet config or the volume in the compose file',
    )
  }
  if (!m.rw) return check('mount', inst, 'warn', `${c.name} mounts ${m.source} read-only`, null)
  return check('mount', inst, 'pass', `${c.name} mounts ${m.source} at ${inst.stateDir}`)
}

/** Containers that see a dir through read-only mounts only: named, never counted as writers. */
const readOnlyNote = (dir: string, running: RunningMounts[]) => {
  const ro = mountedBy(dir, running, 'read-only')
  return ro.length > 0 ? ` (also seen read-only by ${ro.join(', ')}: not a writer)` : ''
}

/** No sessions dir may be written by two running containers (read-only mounts do not count). */
export function sharedDirChecks(instances: Instance[], running: RunningMounts[]): Check[] {
  return instances.flatMap((inst) =>
    inst.sessions.map((s) => {
      const seen = mountedBy(s.hostDir, running)
      return seen.length > 1
        ? check(
            'shared-sessions-dir',
            inst,
            'fail',
            `sessions dir ${s.hostDir} is mounted by ${seen.length} running containers writably: ${seen.join(', ')}; each judges the other's lock pids in its own namespace (stolen or stuck locks)`,
            'give every instance its own data dir',
          )
        : check(
            'shared-sessions-dir',
            inst,
            'pass',
            `sessions dir ${s.hostDir} is mounted by ${seen.length === 1 ? seen[0] : 'no running container'} only${readOnlyNote(s.hostDir, running)}`,
          )
    }),
  )
}

async function insideChecks(
  fleet: Fleet,
  handle: DockerHandle,
  inst: Instance,
  c: ContainerInfo,
  hostView: HostProcView | null,
  running: RunningMounts[],
  nowMs?: number,
): Promise<Check[]> {
  const out: Check[] = []
  // The version as status reads it (package.json, no CLI start); `openclaw --version` only when that fails.
  const read = await detectVersion(handle, c, {local: inst.lockAccess === 'host'})
  const v = read.version ? null : await execIn(handle, c.name, ['openclaw', '--version'], {timeoutMs: fleet.locks.probeTimeoutMs}).catch(execError)
  const parsed = read.version ? parseOpenClawVersion(read.version) : v?.exitCode === 0 ? parseOpenClawVersion(v.stdout) : null
  out.push(
    versionCheck(
      inst,
      parsed,
      `${read.error ?? 'no package.json'}; openclaw --version failed in ${c.name}: ${(v?.stderr || v?.stdout || '').trim().slice(0, 200)}`,
    ),
  )
  if (parsed && lockBehaviour(parsed).lockStorage === 'sqlite') {
    out.push(pingRouteCheck(inst, pingCommand(fleet.ping.command, parsed.raw)), sharedStateDirCheck(inst, running))
    const layout =
      inst.lockAccess === 'host'
        ? hostStateLayout(inst.dataDir)
        : parseStateLayout(await execIn(handle, c.name, stateLayoutArgv(inst.stateDir), {timeoutMs: fleet.locks.probeTimeoutMs}).catch(execError))
    if (layout instanceof Error)
      out.push(check('sqlite', inst, 'warn', `cannot list the SQLite files of ${inst.stateDir} in ${c.name}: ${layout.message}`, null))
    else out.push(walCheck(inst, layout), migrationCheck(inst, parsed, layout))
  }
  out.push(processEvidenceCheck(fleet, inst, c, hostView))
  const askedAt = nowMs ?? Date.now()
  const probe = await probePids(handle, c.name, [], fleet.locks.probeTimeoutMs)
  const answeredAt = nowMs ?? Date.now()
  const seen = hostView?.containers.get(c.id)
  const table = seen?.ok ? seen.table : probe.ok ? (probe.table ?? null) : null
  out.push(duplicateGatewayCheck(inst, c.name, table, seen?.ok ? null : (probe.error ?? null)))
  out.push(await knownSignatureCheck(handle, inst, c, table ? gatewayProcesses(table).map((p) => p.pid) : null, parsed?.raw ?? null))
  if (probe.ok && probe.nowMs !== undefined) {
    const skew = clockSkewMs(probe.nowMs, askedAt, answeredAt)
    out.push(
      skew > fleet.locks.clockSkewMs
        ? check(
            'clock-skew',
            inst,
            'warn',
            `container clock differs from this host by ${skew} ms (tolerance locks.clockSkew ${fleet.locks.clockSkewMs} ms)`,
            'sync clocks (NTP) or raise locks.clockSkew',
          )
        : check('clock-skew', inst, 'pass', `clock skew ${skew} ms`),
    )
  }
  return out
}

/**
 * Pure: how far the container's clock (read during the probe) is from this host's: 0 when it falls between the
 * host times just before and just after the probe, else the distance to the nearer one. (The host time is never
 * taken after other work: a reading compared with a clock read later is skewed by the work in between; a 1.4 GB
 * log read once made a 16 s "clock skew".)
 */
export function clockSkewMs(containerNowMs: number, askedAtMs: number, answeredAtMs: number): number {
  if (containerNowMs < askedAtMs) return askedAtMs - containerNowMs
  if (containerNowMs > answeredAtMs) return containerNowMs - answeredAtMs
  return 0
}

/** Two gateway processes in one container write one state dir (named by pid and command line). */
export function duplicateGatewayCheck(inst: Instance, container: string, table: readonly ProcessEvidence[] | null, error: string | null): Check {
  if (!table)
    return check(
      'duplicate-gateways',
      inst,
      'warn',
      `cannot read the process table of ${container}${error ? `: ${error}` : ''}: duplicate gateways not checked`,
    )
  const gws = gatewayProcesses(table)
  const list = gws.map((p) => `pid ${p.pid} (${(p.cmdline ?? []).join(' ').slice(0, 80)})`).join(', ')
  if (gws.length > 1)
    return check(
      'duplicate-gateways',
      inst,
      'fail',
      `${gws.length} gateway processes in ${container}: ${list}; both write the same state dir (lock files and SQLite stores), and each judges the other's locks as its own`,
      'stop the extra gateway (a second `openclaw gateway` started by hand or by a supervisor inside the container)',
    )
  return check('duplicate-gateways', inst, 'pass', gws.length === 1 ? `one gateway process in ${container}: ${list}` : `no gateway process in ${container}`)
}

/** The known upstream signatures in the container's log since its start, with their upstream reports and fixes. */
export function knownSignatureLogCheck(inst: Instance, container: string, sig: LockTimeoutSignature, gatewayPids: readonly number[] | null): Check {
  const found = KNOWN_SIGNATURE_KINDS.filter((k) => sig.diagnoses[k].count > 0)
  const capped = sig.capped ? ` (${cappedText(sig.capped)})` : ''
  if (found.length === 0)
    return check('known-signatures', inst, 'pass', `no ${KNOWN_SIGNATURE_KINDS.join(' or ')} in the log of ${container} since its start${capped}`)
  const pids = (k: KnownSignatureKind) =>
    sig.diagnoses[k].lockPids.length > 0
      ? ` (lock pid ${sig.diagnoses[k].lockPids.join(', ')}${gatewayPids === null ? ", not checked: the gateway's pid is unknown" : ": the gateway's own"})`
      : ''
  return check(
    'known-signatures',
    inst,
    'warn',
    `in the log of ${container} since its start${capped}: ${found.map((k) => `${sig.diagnoses[k].count}× ${k}${pids(k)}: ${KNOWN_SIGNATURES[k].meaning} (${KNOWN_SIGNATURES[k].upstream})`).join('; ')}; no lock to delete`,
    found.map((k) => `${k}: ${KNOWN_SIGNATURES[k].fix}`).join('; '),
  )
}

async function knownSignatureCheck(
  handle: DockerHandle,
  inst: Instance,
  c: ContainerInfo,
  gatewayPids: number[] | null,
  version: string | null,
): Promise<Check> {
  // Fixed upstream and gone in 2026.9: a log of such a version is not read for them.
  if (!knownSignaturesPossible(version))
    return check(
      'known-signatures',
      inst,
      'pass',
      `OpenClaw ${version} cannot produce ${KNOWN_SIGNATURE_KINDS.join(' or ')} (fixed upstream in 2026.9: #62981, PR #74543, #110226)`,
    )
  try {
    return knownSignatureLogCheck(inst, c.name, await incarnationLockSignature(handle, c, {gatewayPids}), gatewayPids)
  } catch (error) {
    return check('known-signatures', inst, 'warn', `cannot read the log of ${c.name}: ${errorMessage(error)}`)
  }
}

/** An exec that could not even start, as a failed result (the checks judge results only). */
const execError = (error: Error): Pick<ExecResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut' | 'durationMs'> => ({
  exitCode: -1,
  stdout: '',
  stderr: error.message,
  timedOut: false,
  durationMs: 0,
})

/** The OpenClaw version and what it means for locks; `failed` says why there is no version. */
export function versionCheck(inst: Instance, v: OpenClawVersion | null, failed: string): Check {
  if (!v) return check('openclaw-version', inst, 'warn', failed, 'is this an OpenClaw gateway image?')
  const b = lockBehaviour(v)
  return check('openclaw-version', inst, b.level, b.summary)
}

/** 2026.8+ refuses `openclaw agent --local` while a gateway owns the state dir: a ping through it can never pass. */
export function pingRouteCheck(inst: Instance, command: readonly string[]): Check {
  return command.includes('--local')
    ? check(
        'ping-route',
        inst,
        'fail',
        `ping.command ${command.join(' ')} runs the embedded agent (--local), which 2026.8+ refuses while a gateway owns the state dir ("A Gateway is running for this state directory"): every ping fails`,
        'drop --local from ping.command: on 2026.8+ a smoke turn goes through the gateway',
      )
    : check('ping-route', inst, 'pass', `ping.command ${command.join(' ')} goes through the gateway`)
}

/**
 * Two running containers on one 2026.8+ state dir. Their state-lifecycle, gateway-lifecycle and state-handles
 * coordinators are SQLite files in each container's own /tmp (`resolveStateLifecycleRuntimeDirectory()` is `/tmp`;
 * `/tmp/openclaw-state-locks-<uid>/<family>.<hash>.lock.sqlite`), so they cannot exclude each other.
 */
export function sharedStateDirCheck(inst: Instance, running: RunningMounts[]): Check {
  const seen = mountedBy(inst.dataDir, running)
  if (seen.length <= 1)
    return check(
      'shared-state-dir',
      inst,
      'pass',
      `state dir ${inst.dataDir} is mounted by ${seen[0] ?? 'no running container'} only${readOnlyNote(inst.dataDir, running)}`,
    )
  return check(
    'shared-state-dir',
    inst,
    'fail',
    `state dir ${inst.dataDir} is mounted by ${seen.length} running containers writably: ${seen.join(', ')}. On 2026.8+ the state-lifecycle and gateway-lifecycle coordinator locks live in each container's own /tmp (/tmp/openclaw-state-locks-<uid>/…lock.sqlite), so they do not exclude each other; the gateway lock files in ${inst.stateDir}/tmp/openclaw-<uid>/ and the gateway-owner lease in the state db are shared, and each container judges their pids in its own namespace (seen on 2026.9.6: the second gateway crash-loops with "Another Gateway owner lease is still active"; any exec'd CLI in it still writes the same SQLite store)`,
    'give every instance its own data dir',
  )
}

/**
 * A WAL this big means checkpoints cannot reset it: 2026.9.6 opens its dbs with `journal_size_limit` 64 MiB
 * (DEFAULT_SQLITE_WAL_JOURNAL_SIZE_LIMIT_BYTES) and `wal_autocheckpoint` 1000 pages (about 4 MiB), so a WAL that
 * checkpoints normally stays below 64 MiB. Above it a long read or a writer stuck in its transaction pins the WAL.
 */
export const WAL_WARN_BYTES = 64 * 1024 ** 2

const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(1)} MiB`

/** The WAL of the state db and of each agent db against WAL_WARN_BYTES. */
export function walCheck(inst: Instance, layout: StateLayout, limitBytes = WAL_WARN_BYTES): Check {
  const wals = [
    {name: 'state/openclaw.sqlite-wal', bytes: layout.stateDb.walBytes},
    ...layout.agents.map((a) => ({name: `agents/${a.id}/agent/openclaw-agent.sqlite-wal`, bytes: a.db.walBytes})),
  ].filter((w): w is {name: string; bytes: number} => w.bytes !== null)
  const big = wals.filter((w) => w.bytes > limitBytes)
  const list = (ws: typeof wals) => ws.map((w) => `${w.name} ${mib(w.bytes)}`).join(', ')
  if (big.length > 0)
    return check(
      'sqlite-wal',
      inst,
      'warn',
      `${list(big)}: above ${mib(limitBytes)}, so checkpoints are not resetting the WAL (a long read or a writer stuck in its transaction pins it); every read scans it and the disk fills`,
      'find the process holding the db open in a transaction (fleet status; /proc/locks on the engine host): the WAL is reset at the next checkpoint once it is gone',
    )
  return check('sqlite-wal', inst, 'pass', wals.length > 0 ? `WAL sizes below ${mib(limitBytes)}: ${list(wals)}` : 'no SQLite WAL files yet')
}

/**
 * Agents with JSONL transcripts but no SQLite db: an upgrade to 2026.8+ did not migrate them (upstream #133992,
 * #134206: 2026.8.1 crash-looped when only the default agent was migrated; later versions do not show their sessions).
 */
export function migrationCheck(inst: Instance, v: OpenClawVersion, layout: StateLayout): Check {
  const left = layout.agents.filter((a) => a.transcripts > 0 && a.db.dbBytes === null)
  if (left.length === 0) {
    const migrated = layout.agents.filter((a) => a.db.dbBytes !== null).length
    return check(
      'sqlite-migration',
      inst,
      'pass',
      `no agent with JSONL transcripts lacks its SQLite db (${migrated} of ${layout.agents.length} agents have one)`,
    )
  }
  const crashLoops = versionCan(v, 'crash-loop-on-unmigrated')
  return check(
    'sqlite-migration',
    inst,
    crashLoops ? 'fail' : 'warn',
    `${left.map((a) => `agent ${a.id} (${a.transcripts} transcripts)`).join(', ')}: JSONL transcripts in agents/<id>/sessions but no agents/<id>/agent/openclaw-agent.sqlite: the upgrade did not migrate ${left.length === 1 ? 'it' : 'them'} (upstream #133992, #134206${crashLoops ? `; ${v.raw} crash-loops on this` : ''})`,
    'inside the container: `openclaw doctor --session-sqlite dry-run --session-sqlite-all-agents`, then `openclaw doctor --fix` to migrate (it refuses while the gateway runs: stop it first)',
  )
}

/** Whether the ping command can start at all: `<ping.command> --help` must exit 0 in time. */
export function agentStartCheck(
  inst: Instance,
  container: string,
  argv: readonly string[],
  r: Pick<ExecResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut' | 'durationMs'>,
  timeoutMs: number,
): Check {
  const cmd = argv.join(' ')
  if (r.timedOut)
    return check(
      'agent-start',
      inst,
      'fail',
      `\`${cmd}\` did not finish within ${timeoutMs / 1000} s in ${container}: the CLI cannot start, so every ping times out`,
      'run it in the container by hand; look for plugin staging or a blocked state dir',
    )
  if (r.exitCode === 0) return check('agent-start', inst, 'pass', `\`${cmd}\` exits 0 in ${container} (${(r.durationMs / 1000).toFixed(1)} s)`)
  return check(
    'agent-start',
    inst,
    'fail',
    `\`${cmd}\` exits ${r.exitCode} in ${container}: ${errorLine(`${r.stderr}\n${r.stdout}`) ?? 'no output'}; every ping fails the same way`,
    'check ping.command and the image (offline plugin staging fails with "Unable to resolve a safe npm executable")',
  )
}

async function agentStart(fleet: Fleet, handle: DockerHandle, inst: Instance, c: ContainerInfo, timeoutMs: number): Promise<Check> {
  const version = (await detectVersion(handle, c, {local: inst.lockAccess === 'host'})).version
  const argv = [...pingCommand(fleet.ping.command, version), '--help']
  const r = await execIn(handle, c.name, argv, {timeoutMs}).catch(execError)
  return agentStartCheck(inst, c.name, argv, r, timeoutMs)
}

/** Where status, heal and watch will take this container's process evidence from (locks.probe). */
function processEvidenceCheck(fleet: Fleet, inst: Instance, c: ContainerInfo, hostView: HostProcView | null): Check {
  if (fleet.locks.probe === 'exec') return check('process-evidence', inst, 'pass', 'one docker exec per container holding a lock (locks.probe: exec)')
  if (inst.lockAccess !== 'host') return check('process-evidence', inst, 'pass', 'one docker exec per container holding a lock (engine not on this machine)')
  const seen = hostView?.containers.get(c.id)
  return seen?.ok
    ? check('process-evidence', inst, 'pass', `this host's /proc shows ${c.name} (${seen.table.length} processes): no exec needed`)
    : check(
        'process-evidence',
        inst,
        'pass',
        `one docker exec per container holding a lock: ${seen?.error ?? 'not checked'}`,
        'run fleet on the engine host, in its PID namespace, for faster scans',
      )
}

/** The small-context fallback models of an instance's openclaw.json (host state dirs): every fallback to one fails. */
export function modelChecks(inst: Instance): Check[] {
  const file = path.join(inst.dataDir, 'openclaw.json')
  if (!existsSync(file)) return []
  let config: unknown
  try {
    config = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    return [check('models', inst, 'warn', `cannot parse ${file}: ${errorMessage(error)}`, null)]
  }
  const small = smallContextModels(config)
  if (small.length === 0) return [check('models', inst, 'pass', `no model below ${MIN_CONTEXT_TOKENS} context tokens in ${file}`)]
  return small.map((m) =>
    check(
      'models',
      inst,
      'fail',
      `${m.role} model ${m.model} of agent ${m.agent} has a ${m.contextWindow}-token context window, below the minimum ${MIN_CONTEXT_TOKENS}: every fallback to it fails ("Model context window too small")`,
      `remove ${m.model} from the fallbacks in ${file} or raise its contextWindow`,
    ),
  )
}

/**
 * The filesystem of the state dir itself (2026.8+ keeps everything there, in SQLite, and has no sessions dir): which
 * filesystem, its free space, and whether the gateway can write. Full or read-only fails: every turn fails with a
 * storage error (`database or disk is full`) and a restart does not cure it; low space warns.
 */
export function stateDiskCheck(inst: Instance, r: StateFsReading): Check {
  const v = stateFsVerdict(r)
  const low = r.freeBytes !== null && r.totalBytes !== null && lowSpace(r.freeBytes, r.totalBytes)
  if (v.state === 'full') return check('state-disk', inst, 'fail', v.why, STORAGE_HINTS['storage-full'])
  if (v.state === 'readonly') return check('state-disk', inst, 'fail', v.why, STORAGE_HINTS['storage-readonly'])
  if (v.state === 'unknown') return check('state-disk', inst, 'warn', v.why, 'make the state dir readable for fleet')
  return check(
    'state-disk',
    inst,
    low ? 'warn' : 'pass',
    v.why,
    low ? 'free disk space: a full state filesystem fails every turn (database or disk is full)' : null,
  )
}

/**
 * Free space where each sessions dir lives, and how many entries it holds. The count comes from one streamed pass
 * over the dir's entries (their types, no stat): a dir of 100,000 transcripts costs that pass (about 0.1 s), not
 * 100,000 stats one after the other (7 s on an idle machine, most of a 22 s doctor run on a busy one).
 */
async function diskChecks(inst: Instance): Promise<Check[]> {
  const out: Check[] = existsSync(inst.dataDir) ? [stateDiskCheck(inst, readStateFs(inst.dataDir))] : []
  for (const s of inst.sessions) {
    if (!existsSync(s.hostDir)) continue
    const n = await countEntries(s.hostDir).catch((error: Error) => error)
    const fsInfo = statfsSync(s.hostDir)
    const free = fsInfo.bavail * fsInfo.bsize
    const total = fsInfo.blocks * fsInfo.bsize
    const low = lowSpace(free, total)
    out.push(
      check(
        'disk',
        inst,
        low || n instanceof Error ? 'warn' : 'pass',
        `${s.hostDir}: ${n instanceof Error ? `cannot be listed (${n.message})` : `${n.files} files`}; ${spaceText(free, total)}`,
        low ? 'free disk space: a full disk freezes lock holders (hung locks)' : null,
      ),
    )
  }
  return out
}

/**
 * `fleet doctor`: root causes found before the outage. Each check passes, warns or fails, with a fix hint.
 */
import {existsSync, readFileSync, statfsSync} from 'node:fs'
import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'
import type {Fleet, Instance} from '../config/model.js'
import {checkFleetPaths} from '../config/load.js'
import {byDockerHost, engineCall, type DockerHandle} from '../docker/client.js'
import {composeCommand} from '../docker/compose.js'
import {discover, type ContainerInfo} from '../docker/discover.js'
import {execIn} from '../docker/exec.js'
import {probePids} from '../docker/probe.js'
import {readHostProcesses, type HostProcView} from '../docker/host-proc.js'
import {MIN_CONTEXT_TOKENS, smallContextModels} from '../openclaw/models.js'
import {lockBehaviour, parseOpenClawVersion} from '../openclaw/version.js'
import {mapLimit} from '../util/concurrency.js'
import {realOrSelf} from '../util/paths.js'
import {mountedBy, type RunningMounts} from '../docker/mounts.js'
import {errorMessage} from '../errors.js'

export type CheckStatus = 'pass' | 'warn' | 'fail'

export interface Check {
  check: string
  instance: string | null
  status: CheckStatus
  message: string
  hint: string | null
}

const check = (name: string, instance: Instance | null, status: CheckStatus, message: string, hint: string | null = null): Check => ({
  check: name,
  instance: instance?.name ?? null,
  status,
  message,
  hint,
})

export async function runDoctor(fleet: Fleet, instances: Instance[], opts: {nowMs?: number} = {}): Promise<Check[]> {
  const checks: Check[] = []
  const handles = byDockerHost(instances)
  try {
    const cmd = await composeCommand(fleet.compose.command)
    checks.push(check('compose', null, 'pass', `compose runs as: ${cmd.join(' ')}`))
  } catch (error) {
    checks.push(check('compose', null, 'fail', errorMessage(error), 'install the docker compose plugin or docker-compose, or set compose.command'))
  }
  for (const issue of checkFleetPaths(fleet)) checks.push(check('config-paths', null, 'fail', `${issue.path.join('.')}: ${issue.message}`, 'fix the path in the fleet config'))
  for (const {handle, instances: group} of handles.values()) {
    let version: string
    try {
      version = (await engineCall(handle, 'version', () => handle.docker.version())).Version
      checks.push(check('docker', null, 'pass', `Docker ${version} at ${handle.label}`))
    } catch (error) {
      checks.push(check('docker', null, 'fail', `Docker at ${handle.label} is unreachable: ${errorMessage(error)}`, 'start the engine or fix docker.host / DOCKER_HOST'))
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
    const perInstance = await mapLimit(group, 8, (inst) => instanceChecks(fleet, handle, inst, disc.byInstance.get(inst.id) ?? null, hostView, opts.nowMs))
    checks.push(...perInstance.flat())
  }
  return checks
}

async function instanceChecks(fleet: Fleet, handle: DockerHandle, inst: Instance, c: ContainerInfo | null, hostView: HostProcView | null, nowMs?: number): Promise<Check[]> {
  const out: Check[] = []
  if (inst.lockAccess === 'host' && !existsSync(inst.dataDir)) out.push(check('data-dir', inst, 'fail', `dataDir does not exist: ${inst.dataDir}`, 'fix dataDir in the fleet config'))
  if (!c) {
    out.push(
      check('container', inst, 'fail', `no container named ${inst.container} (nor one labelled with service ${inst.service})`, 'start the compose group, or fix container/service in the config'),
    )
  } else {
    out.push(mountCheck(inst, c))
    if (c.state === 'running') out.push(...(await insideChecks(fleet, handle, inst, c, hostView, nowMs)))
    else out.push(check('container', inst, 'warn', `${c.name} is ${c.state}`, 'fleet heal restarts it'))
  }
  // openclaw.json and the sessions dirs are read from this disk only when the host is this machine.
  if (inst.lockAccess === 'host') {
    out.push(...modelChecks(inst))
    out.push(...(await diskChecks(inst)))
  }
  return out
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

/** No sessions dir may be seen by two running containers. */
export function sharedDirChecks(instances: Instance[], running: RunningMounts[]): Check[] {
  return instances.flatMap((inst) =>
    inst.sessions.map((s) => {
      const seen = mountedBy(s.hostDir, running)
      return seen.length > 1
        ? check(
            'shared-sessions-dir',
            inst,
            'fail',
            `sessions dir ${s.hostDir} is mounted by ${seen.length} running containers: ${seen.join(', ')}; each judges the other's lock pids in its own namespace (stolen or stuck locks)`,
            'give every instance its own data dir',
          )
        : check('shared-sessions-dir', inst, 'pass', `sessions dir ${s.hostDir} is mounted by ${seen.length === 1 ? seen[0] : 'no running container'} only`)
    }),
  )
}

async function insideChecks(fleet: Fleet, handle: DockerHandle, inst: Instance, c: ContainerInfo, hostView: HostProcView | null, nowMs?: number): Promise<Check[]> {
  const out: Check[] = []
  const v = await execIn(handle, c.name, ['openclaw', '--version'], {timeoutMs: fleet.locks.probeTimeoutMs}).catch((error: Error) => ({
    exitCode: -1,
    stdout: '',
    stderr: error.message,
    timedOut: false,
  }))
  const parsed = v.exitCode === 0 ? parseOpenClawVersion(v.stdout) : null
  if (!parsed) out.push(check('openclaw-version', inst, 'warn', `openclaw --version failed in ${c.name}: ${(v.stderr || v.stdout).trim().slice(0, 200)}`, 'is this an OpenClaw gateway image?'))
  else {
    const b = lockBehaviour(parsed)
    out.push(check('openclaw-version', inst, b.level, b.summary, b.lockStorage === 'sqlite' ? 'run `openclaw doctor --fix` inside the container to clean legacy JSONL locks' : null))
  }
  out.push(processEvidenceCheck(fleet, inst, c, hostView))
  const probe = await probePids(handle, c.name, [], fleet.locks.probeTimeoutMs)
  if (probe.ok && probe.nowMs !== undefined) {
    const skew = Math.abs(probe.nowMs - (nowMs ?? Date.now()))
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

/** Where status, heal and watch will take this container's process evidence from (locks.probe). */
function processEvidenceCheck(fleet: Fleet, inst: Instance, c: ContainerInfo, hostView: HostProcView | null): Check {
  if (fleet.locks.probe === 'exec') return check('process-evidence', inst, 'pass', 'one docker exec per container holding a lock (locks.probe: exec)')
  if (inst.lockAccess !== 'host') return check('process-evidence', inst, 'pass', 'one docker exec per container holding a lock (engine not on this machine)')
  const seen = hostView?.containers.get(c.id)
  return seen?.ok
    ? check('process-evidence', inst, 'pass', `this host's /proc shows ${c.name} (${seen.table.length} processes): no exec needed`)
    : check('process-evidence', inst, 'pass', `one docker exec per container holding a lock: ${seen?.error ?? 'not checked'}`, 'run fleet on the engine host, in its PID namespace, for faster scans')
}

function modelChecks(inst: Instance): Check[] {
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

async function diskChecks(inst: Instance): Promise<Check[]> {
  const out: Check[] = []
  for (const s of inst.sessions) {
    if (!existsSync(s.hostDir)) continue
    let bytes = 0
    let files = 0
    for (const name of await readdir(s.hostDir)) {
      const st = await stat(path.join(s.hostDir, name)).catch(() => null)
      if (st?.isFile()) {
        bytes += st.size
        files++
      }
    }
    const fsInfo = statfsSync(s.hostDir)
    const free = fsInfo.bavail * fsInfo.bsize
    const total = fsInfo.blocks * fsInfo.bsize
    const low = free < 1024 ** 3 || free / total < 0.05
    out.push(
      check(
        'disk',
        inst,
        low ? 'warn' : 'pass',
        `${s.hostDir}: ${files} files, ${(bytes / 1024 ** 2).toFixed(1)} MiB; ${(free / 1024 ** 3).toFixed(1)} GiB free of ${(total / 1024 ** 3).toFixed(1)} GiB`,
        low ? 'free disk space: a full disk freezes lock holders (hung locks)' : null,
      ),
    )
  }
  return out
}

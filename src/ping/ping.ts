/**
 * The SPEED_OK smoke test: one configured agent turn inside each container through docker exec,
 * with a timeout that ends the turn's processes inside the container.
 */
import {knownSignaturesPossible} from '../openclaw/version.js'
import {pingSession, type Fleet, type Instance, type PingSettings} from '../config/model.js'
import {dockerFor} from '../docker/client.js'
import {discover, inspectContainer, type ContainerInfo} from '../docker/discover.js'
import {ExecFailedError, execIn} from '../docker/exec.js'
import {errorMessage, UnreachableError} from '../errors.js'
import {detectVersion} from '../openclaw/detect.js'
import {GATEWAY_FALLBACK_TIMEOUT} from '../locks/signatures.js'
import {probePids} from '../docker/probe.js'
import type {DockerHandle} from '../docker/client.js'
import {gatewayProcesses} from '../openclaw/gateway-processes.js'
import {recordGoodTurn} from '../runs/good-turns.js'
import {classifyAttempt, clipOutput, percentile, type PingFailure, type PingPath, type PingVerdict} from '../decide/ping-class.js'
import {formatDuration} from '../config/duration.js'
import {mapLimit} from '../util/concurrency.js'
import type {ProgressSink} from '../progress-events.js'

export interface PingAttempt extends PingVerdict {
  latencyMs: number
  exitCode: number | null
  stderr: string
  killed?: number[]
}

export interface PingResult {
  id: number
  name: string
  container: string
  ok: boolean
  failure: PingFailure | null
  warnings: string[]
  reply: string | null
  detail: string | null
  lockPid: number | null
  lockPath: string | null
  latencyMs: number | null
  p50Ms: number | null
  p95Ms: number | null
  attempts: PingAttempt[]
  /** The OpenClaw version the ping command was chosen for (null: unknown). */
  openclaw?: string | null
  /** The path the (shown) turn took: through the gateway, embedded after the gateway failed it, or --local by setting. */
  path: PingPath | null
}

/**
 * What a ping answered, in words (no instance name; not escaped: the reply, detail and lock path come from the
 * container, so a terminal line goes through printable()): `SPEED_OK in 812ms via the gateway`, or
 * `FAIL lock-timeout pid=26 /s/a.jsonl.lock in 10.0s`.
 */
export function pingOutcomeText(r: PingResult): string {
  const lat = r.latencyMs === null ? '' : ` in ${formatDuration(r.latencyMs)}`
  const reps =
    r.attempts.length > 1 && r.p50Ms !== null ? ` (p50 ${formatDuration(r.p50Ms)}, p95 ${formatDuration(r.p95Ms ?? 0)}, ${r.attempts.length} turns)` : ''
  const warn = r.warnings.length > 0 ? ` [warning: ${r.warnings.join(', ')}]` : ''
  const via = r.path ? ` via ${r.path === 'local' ? 'the embedded runner (--local)' : r.path === 'embedded' ? 'the embedded fallback' : 'the gateway'}` : ''
  if (r.ok) return `${r.reply}${lat}${via}${reps}${warn}`
  const lock = r.failure === 'lock-timeout' ? ` pid=${r.lockPid ?? 'unknown'} ${r.lockPath}` : ''
  return `FAIL ${r.failure}${lock}${lat}${r.path === 'embedded' || r.path === 'local' ? via : ''}${r.detail && r.failure !== 'lock-timeout' ? `: ${r.detail}` : ''}${warn}`
}

/** An instance's ping in one line, raw (a terminal line goes through printable()): `oc7: SPEED_OK in 812ms via the gateway`. */
export const pingLineText = (r: PingResult): string => `${r.name}: ${pingOutcomeText(r)}`

/**
 * `fleet ping`: every instance pinged, `concurrency` at once, each a step of the progress (its line once it answered,
 * failed when it did not); the results in id order. A ping that threw (not one that answered FAIL) is a failed step
 * and has no result, as before the progress was events.
 */
export async function pingFleet(
  fleet: Fleet,
  instances: readonly Instance[],
  settings: PingSettings,
  opts: {repeat: number; concurrency: number; progress: ProgressSink},
): Promise<PingResult[]> {
  const id = (inst: Instance) => `ping/${inst.id}`
  for (const inst of instances) opts.progress({type: 'queued', id: id(inst), title: inst.name})
  const results = await mapLimit([...instances], opts.concurrency, async (inst) => {
    opts.progress({type: 'started', id: id(inst), title: inst.name})
    try {
      const r = await pingInstance(fleet, inst, settings, opts.repeat)
      opts.progress({type: 'finished', id: id(inst), outcome: r.ok ? 'ok' : 'failed', title: pingLineText(r)})
      return [r]
    } catch (error) {
      opts.progress({type: 'finished', id: id(inst), outcome: 'failed', title: errorMessage(error)})
      return []
    }
  })
  return results.flat().sort((a, b) => a.id - b.id)
}

/** A ping as a watch `scan` event carries it: its class (`ok` or the failure class), how long it took, the reply or the failure line. */
export interface ScanPing {
  ok: boolean
  class: PingFailure | 'ok'
  durationMs: number | null
  reply?: string | null
  failure?: string
}

export function scanPing(r: PingResult): ScanPing {
  const base = {ok: r.ok, class: r.ok ? ('ok' as const) : (r.failure ?? 'no-reply'), durationMs: r.latencyMs}
  return r.ok ? {...base, reply: r.reply} : {...base, failure: pingOutcomeText(r)}
}

/**
 * The ping command: through the gateway (`openclaw agent` without `--local`) on every version, so a smoke test proves
 * what users get (an embedded `--local` turn runs beside the gateway and answers while the gateway is frozen). 2026.8+
 * refuses `--local` anyway while a gateway owns the state dir. `ping.command` keeps `--local` available as a setting.
 */
export function pingCommand(command: PingSettings['command'], _version: string | null = null): string[] {
  if (command !== 'auto') return command
  return ['openclaw', 'agent']
}

/** Which path a ping command asks for: `--local` runs the embedded runner by setting; anything else the gateway. */
export const pingVia = (argv: readonly string[]): 'gateway' | 'local' => (argv.includes('--local') ? 'local' : 'gateway')

export function pingArgv(p: PingSettings, version: string | null = null): string[] {
  const argv = [
    ...pingCommand(p.command, version),
    '--agent',
    p.agent,
    '--message',
    p.message,
    '--thinking',
    p.thinking,
    '--json',
    '--timeout',
    String(Math.max(1, Math.ceil(p.timeoutMs / 1000))),
  ]
  const session = pingSession(p)
  if (session) argv.push('--session-id', session)
  return argv
}

/**
 * Pings one instance in its container: `container`, the name an observation found (by name or by compose
 * labels), else discovered here the same way, so a ping never misses a container that status finds.
 */
export async function pingInstance(fleet: Fleet, inst: Instance, settings: PingSettings = fleet.ping, repeat = 1, container?: string): Promise<PingResult> {
  const handle = dockerFor(inst.docker)
  const attempts: PingAttempt[] = []
  let info: ContainerInfo | null
  try {
    info = container ? await inspectContainer(handle, container) : ((await discover(handle, [inst], fleet.groups)).byInstance.get(inst.id) ?? null)
  } catch (error) {
    if (error instanceof UnreachableError) return summarise(inst, inst.container, [failed('host-unreachable', error.message, 0)])
    throw error
  }
  const name = info?.name ?? container ?? inst.container
  const version = info ? (await detectVersion(handle, info, {local: inst.lockAccess === 'host'})).version : null
  for (let n = 0; n < repeat; n++) {
    if (!info || info.state !== 'running') {
      attempts.push(notRunning(info ? `container is ${info.state}` : `no container named ${inst.container} nor labelled with service ${inst.service}`))
      break
    }
    const started = Date.now()
    try {
      // The exec's own deadline is a little beyond the agent's --timeout so the agent can report first.
      const argv = pingArgv(settings, version)
      const r = await execIn(handle, name, argv, {timeoutMs: settings.timeoutMs + 2_000})
      const v = classifyAttempt(
        r,
        settings.expect,
        await gatewayPidsIfFallback(handle, name, r, fleet.locks.probeTimeoutMs),
        pingVia(argv),
        knownSignaturesPossible(version),
      )
      attempts.push({...v, latencyMs: r.durationMs, exitCode: r.exitCode, stderr: clipOutput(r.stderr), killed: r.killed})
    } catch (error) {
      if (error instanceof ExecFailedError && error.statusCode === 409) attempts.push(notRunning(error.message))
      else if (error instanceof ExecFailedError) attempts.push(failed('exec-failed', error.message, Date.now() - started))
      else if (error instanceof UnreachableError) attempts.push(failed('host-unreachable', error.message, Date.now() - started))
      else throw error
      break
    }
  }
  const result = {...summarise(inst, name, attempts), openclaw: version}
  // A good turn ends the lock errors before it (status: "lock errors since the last good turn").
  if (result.ok) recordGoodTurn(inst, name, Date.now())
  return result
}

/**
 * The gateway's pids, looked up (one probe exec) only when a failed turn fell back to embedded after a gateway
 * timeout: they tell fallback-reuses-locked-session (the lock is the gateway's own) from a lock someone else holds.
 * null when not needed or the probe failed (the classifier then says the pid was not checked).
 */
async function gatewayPidsIfFallback(
  handle: DockerHandle,
  container: string,
  r: {exitCode: number | null; stdout: string; stderr: string},
  timeoutMs: number,
): Promise<number[] | null> {
  if (r.exitCode === 0 || !GATEWAY_FALLBACK_TIMEOUT.test(`${r.stderr}\n${r.stdout}`)) return null
  const probe = await probePids(handle, container, [], timeoutMs)
  return probe.ok && probe.table ? gatewayProcesses(probe.table).map((p) => p.pid) : null
}

function notRunning(detail: string): PingAttempt {
  return failed('container-not-running', detail, 0)
}

function failed(failure: PingFailure, detail: string, latencyMs: number): PingAttempt {
  return {ok: false, failure, reply: null, fallback: false, lockPid: null, lockPath: null, lockTimeoutMs: null, detail, latencyMs, exitCode: null, stderr: ''}
}

export function summarise(inst: Instance, container: string, attempts: PingAttempt[]): PingResult {
  const firstBad = attempts.find((a) => !a.ok)
  const latencies = attempts.filter((a) => a.ok).map((a) => a.latencyMs)
  const shown = firstBad ?? attempts[attempts.length - 1]
  return {
    id: inst.id,
    name: inst.name,
    container,
    ok: attempts.length > 0 && !firstBad,
    failure: firstBad?.failure ?? null,
    warnings: attempts.some((a) => a.fallback) ? ['fallback'] : [],
    reply: shown?.reply ?? null,
    detail: shown?.detail ?? null,
    lockPid: firstBad?.lockPid ?? null,
    lockPath: firstBad?.lockPath ?? null,
    latencyMs: shown?.latencyMs ?? null,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    attempts,
    path: shown?.path ?? null,
  }
}

/**
 * `fleet doctor`'s I/O checks, per host and per filesystem: `state-fs` (the filesystem of the state dirs, warn on
 * network/remote ones), `io-latency` (create + write + fsync + unlink p50/p95/p99 against the version's lock wait),
 * `io-pressure` (the host's /proc/pressure/io) and, for remote engines, `disk` (free space seen in the container).
 * Instances whose state dirs are on one filesystem (same st_dev) are measured once: the first probes, the others
 * only read (the script is told the devices already probed).
 */
import {existsSync} from 'node:fs'
import type {Instance} from '../config/model.js'
import type {DockerHandle} from '../docker/client.js'
import type {ContainerInfo} from '../docker/discover.js'
import {execIn} from '../docker/exec.js'
import {detectVersion} from '../openclaw/detect.js'
import {lockBehaviour, parseOpenClawVersion} from '../openclaw/version.js'
import {check, type Check, type CheckStatus} from './check.js'
import {
  IO_PROBE_BUDGET_MS,
  IO_PROBE_TIMEOUT_MS,
  ioProbeArgv,
  isRemoteFs,
  parseIoProbe,
  parsePressure,
  runIoProbeHere,
  type IoProbe,
  type Pressure,
} from './io-probe.js'
import {mountOf, parseMountinfo} from '../observe/state-fs.js'
import {percentile} from '../decide/ping-class.js'

/**
 * Thresholds of the latency probe's p99, as fractions of how long a turn waits for a held lock (the session write
 * lock's acquire timeout: 10 s to 2026.4.x, 60 s 2026.5-2026.7; SQLite's busy timeout: 5 s from 2026.8). One probe
 * round is about what the lock protocol itself costs (an O_EXCL create, a small write, an unlink), and a turn holds
 * its lock across many such writes (transcript appends, the sessions.json index under its own lock, SQLite commits
 * with fsync), while every other turn on the session waits for the whole hold. At a p99 of 10 % of the wait, ten
 * slow writes in one hold (a turn does more) use up a waiter's timeout: lock errors under load. At 50 %, two are
 * enough: even a lightly contended turn times out, so it fails.
 */
export const LATENCY_WARN_FRACTION = 0.1
export const LATENCY_FAIL_FRACTION = 0.5
/** The lock wait assumed when an instance's version is unknown: the shortest of any version (2026.8+ busy timeout). */
export const UNKNOWN_VERSION_WAIT_MS = 5_000

/** Pure: the level of a p99 against a lock wait. */
export function latencyLevel(p99Ms: number, waitMs: number): CheckStatus {
  if (p99Ms > waitMs * LATENCY_FAIL_FRACTION) return 'fail'
  if (p99Ms > waitMs * LATENCY_WARN_FRACTION) return 'warn'
  return 'pass'
}

/**
 * I/O pressure (PSI) thresholds on avg10, the share of the last 10 s in which tasks stalled on I/O: `some` (at least
 * one task) above 20 % or `full` (every non-idle task at once) above 5 % warns; `full` above 30 % fails. A stall is
 * bursty: avg10 at 30 % full means seconds-long stretches in which no task, lock holder included, made progress,
 * which is the 5 s busy timeout and the 10 s acquire timeout's scale ("I/O pressure stretches lock acquisition beyond
 * 10 s").
 */
export const PRESSURE_SOME_WARN = 20
export const PRESSURE_FULL_WARN = 5
export const PRESSURE_FULL_FAIL = 30

/** Pure: the level of /proc/pressure/io. */
export function pressureLevel(p: Pressure): CheckStatus {
  const some = p.some?.avg10 ?? 0
  const full = p.full?.avg10 ?? 0
  if (full > PRESSURE_FULL_FAIL) return 'fail'
  if (full > PRESSURE_FULL_WARN || some > PRESSURE_SOME_WARN) return 'warn'
  return 'pass'
}

/** Free space too low for a lock holder to keep writing: below 1 GiB or below 5 % (the `disk` rule). */
export function lowSpace(freeBytes: number, totalBytes: number): boolean {
  return freeBytes < 1024 ** 3 || (totalBytes > 0 && freeBytes / totalBytes < 0.05)
}

export const spaceText = (free: number, total: number) => `${(free / 1024 ** 3).toFixed(1)} GiB free of ${(total / 1024 ** 3).toFixed(1)} GiB`

/** One instance's reading: its probe (or why there is none), and the lock wait of its version. */
export interface IoReading {
  inst: Instance
  probe: IoProbe | Error
  waitMs: number
  /** The version the wait is from; null when unknown (UNKNOWN_VERSION_WAIT_MS is used). */
  version: string | null
}

const ms = (x: number | null) => (x === null ? '?' : `${x < 10 ? x.toFixed(2) : x.toFixed(0)} ms`)

/** Pure: the checks of one host's readings. `where` names the host (`this host`, or the engine's label). */
export function ioChecks(where: string, remote: boolean, readings: readonly IoReading[], samplesAsked: number): Check[] {
  const out: Check[] = []
  const ok = readings.filter((r): r is IoReading & {probe: IoProbe} => !(r.probe instanceof Error))
  for (const r of readings)
    if (r.probe instanceof Error)
      out.push(
        check(
          'io-probe',
          r.inst,
          /did not finish/.test(r.probe.message) ? 'fail' : 'warn',
          `${r.inst.name} on ${where}: ${r.probe.message}`,
          'check the filesystem of the state dir (a stalled mount hangs lock holders)',
        ),
      )
  const byDev = new Map<string, (IoReading & {probe: IoProbe})[]>()
  for (const r of ok) {
    const key = r.probe.dev ?? `unknown:${r.inst.name}`
    byDev.set(key, [...(byDev.get(key) ?? []), r])
  }
  for (const [dev, group] of byDev) {
    const first = group[0]
    const names = group.map((r) => r.inst.name).join(', ')
    const measured = group.find((r) => !r.probe.skipped) ?? first
    const p = measured.probe
    if (p.error && p.dev === null) {
      out.push(check('state-fs', first.inst, 'warn', `${names} on ${where}: cannot read the state dir: ${p.error}`))
      continue
    }
    const mount = p.real && p.mountinfo ? mountOf(parseMountinfo(p.mountinfo), p.real) : null
    const fsText = mount ? `${mount.fsType} (${mount.source} at ${mount.mountPoint}, dev ${dev})` : `an unknown filesystem (dev ${dev}: no mountinfo entry)`
    out.push(
      mount && isRemoteFs(mount.fsType)
        ? check(
            'state-fs',
            first.inst,
            'warn',
            `state dir of ${names} on ${where} is on ${fsText}, a network or remote filesystem: OpenClaw's session write lock is an O_EXCL lock file, which is unreliable there, and its latency stretches every lock hold`,
            'keep state dirs on a local filesystem (ext4, xfs, btrfs, zfs) of the Docker host',
          )
        : check('state-fs', first.inst, mount ? 'pass' : 'warn', `state dir of ${names} on ${where} is on ${fsText}`),
    )
    out.push(latencyCheck(where, group, measured, samplesAsked))
    if (remote && p.freeBytes !== null && p.totalBytes !== null) {
      const low = lowSpace(p.freeBytes, p.totalBytes)
      out.push(
        check(
          'disk',
          first.inst,
          low ? 'warn' : 'pass',
          `state dir of ${names} on ${where}: ${spaceText(p.freeBytes, p.totalBytes)}`,
          low ? 'free disk space: a full disk freezes lock holders (hung locks)' : null,
        ),
      )
    }
  }
  const pressureText = ok.find((r) => r.probe.pressure !== null)?.probe.pressure ?? null
  const pressure = parsePressure(pressureText)
  if (ok.length > 0) {
    if (!pressure) out.push(check('io-pressure', null, 'pass', `${where}: no /proc/pressure/io (kernel without PSI, or hidden): I/O pressure not measured`))
    else {
      const level = pressureLevel(pressure)
      const line = (name: string, l: Pressure['some']) => (l ? `${name} avg10 ${l.avg10}% avg60 ${l.avg60}% avg300 ${l.avg300}%` : `${name} -`)
      out.push(
        check(
          'io-pressure',
          null,
          level,
          `${where}: I/O pressure ${line('some', pressure.some)}, ${line('full', pressure.full)} (warn above some ${PRESSURE_SOME_WARN}% or full ${PRESSURE_FULL_WARN}%, fail above full ${PRESSURE_FULL_FAIL}%)`,
          level === 'pass' ? null : 'find what saturates the disk (iotop, pidstat -d): stalls stretch lock holds past the acquire or busy timeout',
        ),
      )
    }
  }
  return out
}

function latencyCheck(where: string, group: (IoReading & {probe: IoProbe})[], measured: IoReading & {probe: IoProbe}, samplesAsked: number): Check {
  const p = measured.probe
  const names = group.map((r) => r.inst.name).join(', ')
  if (samplesAsked === 0) return check('io-latency', measured.inst, 'pass', `${names} on ${where}: latency probe skipped (--io-samples 0)`)
  if (p.skipped)
    return check(
      'io-latency',
      measured.inst,
      'pass',
      `${names} on ${where}: same filesystem as ${p.measuredWith ?? 'an instance'} probed before, not measured twice`,
    )
  // The strictest wait of the instances on this filesystem.
  const strictest = group.reduce((a, b) => (b.waitMs < a.waitMs ? b : a))
  const waitText = `${strictest.waitMs / 1000} s ${strictest.version ? `lock wait of ${strictest.version} (${strictest.inst.name})` : `lock wait assumed for ${strictest.inst.name}, whose version is unknown`}`
  if (p.samplesMs.length === 0)
    return check(
      'io-latency',
      measured.inst,
      'warn',
      `${names} on ${where}: no latency sample${p.error ? `: ${p.error}` : ''}`,
      'the probe writes .fleet-io-probe-* beside the sessions dir as the user the probe runs as: make the state dir writable for it, or pass --io-samples 0',
    )
  const [p50, p95, p99] = [50, 95, 99].map((q) => percentile(p.samplesMs, q)) as [number, number, number]
  const level = p.budgetExceeded ? (latencyLevel(p99, strictest.waitMs) === 'fail' ? 'fail' : 'warn') : latencyLevel(p99, strictest.waitMs)
  const cut = p.budgetExceeded ? `; only ${p.samplesMs.length} of ${samplesAsked} samples within the ${IO_PROBE_BUDGET_MS / 1000} s budget` : ''
  const stopped = p.error ? `; stopped: ${p.error}` : ''
  return check(
    'io-latency',
    measured.inst,
    level,
    `${names} on ${where}: create+write+fsync+unlink p50 ${ms(p50)}, p95 ${ms(p95)}, p99 ${ms(p99)} over ${p.samplesMs.length} samples, against the ${waitText} (warn above ${LATENCY_WARN_FRACTION * 100}%, fail above ${LATENCY_FAIL_FRACTION * 100}%)${cut}${stopped}`,
    level === 'pass'
      ? null
      : 'move the state dir to a faster local disk, or find what delays its writes (io-pressure, a remote mount): slow writes stretch every lock hold',
  )
}

export const THIS_HOST = 'this host'

/** Where an instance's state dir is read: this machine's disk, or the container on its engine. */
export const ioWhere = (inst: Pick<Instance, 'lockAccess'>, handle: Pick<DockerHandle, 'label'>) => (inst.lockAccess === 'host' ? THIS_HOST : handle.label)

/** Reads and probes the state dirs of one host's instances, one at a time (probes beside each other would skew). */
export async function ioReadings(
  handle: DockerHandle,
  instances: readonly {inst: Instance; c: ContainerInfo | null}[],
  samples: number,
  /** Per host (`this host` or the engine's label): the devices measured so far and by which instance. */
  probed: Map<string, Map<string, string>>,
): Promise<IoReading[]> {
  const out: IoReading[] = []
  for (const {inst, c} of instances) {
    const local = inst.lockAccess === 'host'
    if (local && !existsSync(inst.dataDir)) continue
    if (!local && c?.state !== 'running') {
      const why = c ? `${c.name} is ${c.state}` : 'no container'
      out.push({
        inst,
        probe: new Error(`I/O checks skipped: ${why}, and on a remote engine they run in the container`),
        waitMs: UNKNOWN_VERSION_WAIT_MS,
        version: null,
      })
      continue
    }
    const read = c ? await detectVersion(handle, c, {local}) : null
    const parsed = read?.version ? parseOpenClawVersion(read.version) : null
    const where = ioWhere(inst, handle)
    const seen = probed.get(where) ?? new Map<string, string>()
    probed.set(where, seen)
    const skip = [...seen.keys()]
    const r = local
      ? await runIoProbeHere(inst.dataDir, samples, skip)
      : await execIn(handle, c!.name, ioProbeArgv(inst.stateDir, samples, skip), {timeoutMs: IO_PROBE_TIMEOUT_MS}).catch((error: Error) => ({
          exitCode: -1,
          stdout: '',
          stderr: error.message,
          timedOut: false,
        }))
    const parsedProbe = parseIoProbe(r)
    const probe = parsedProbe instanceof Error || parsedProbe.dev === null ? parsedProbe : {...parsedProbe, measuredWith: seen.get(parsedProbe.dev)}
    if (!(probe instanceof Error) && probe.dev !== null && !probe.skipped) seen.set(probe.dev, inst.name)
    out.push({inst, probe, waitMs: parsed ? lockBehaviour(parsed).acquireTimeoutMs : UNKNOWN_VERSION_WAIT_MS, version: parsed?.raw ?? null})
  }
  return out
}

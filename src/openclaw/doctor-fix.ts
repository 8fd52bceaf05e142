/**
 * The `doctor-fix` cure of a start refusal (decide/start-cure.ts), done the way OpenClaw documents it for containers
 * (2026.9.6 package, docs/install/docker.md: "run the same image once with `openclaw doctor --fix` as the container
 * command, using the same state/config mounts the Gateway uses … After doctor finishes, restart the Gateway container";
 * docs/cli/doctor/checks.md: "Set OPENCLAW_SERVICE_REPAIR_POLICY=external when another supervisor owns the gateway
 * lifecycle. Have that owner stop the Gateway, run Doctor as the state-owning account, then restart through the
 * owner"):
 *
 * 1. stop the gateway's container with the stop budget (`fleet.restart.stopTimeoutMs`: OpenClaw drains on SIGTERM;
 *    a crash-looping container is mostly not running anyway, and `docker stop` also ends its restart policy's loop);
 *    doctor refuses while a gateway runs ("Doctor could not enter maintenance … gateway-lifecycle", seen live);
 * 2. create a one-off container from the same image (by id: the very image the gateway ran, even if its tag moved)
 *    with the same binds and mounts (plus its anonymous volumes), user, env, working dir, host name, init and
 *    security options, `OPENCLAW_SERVICE_REPAIR_POLICY=external` added, no restart policy, no ports, no compose
 *    labels (compose must not take it for a service container), AutoRemove off (its output is read after it ends);
 *    its command `openclaw doctor --fix --non-interactive` (2026.9.6 docs/cli/doctor/running.md: "applies the
 *    supported migrations that block Gateway startup without prompting"), through the image's own entrypoint;
 * 3. wait for it, bounded (`timeoutMs`; on timeout it gets SIGTERM, then SIGKILL 10 s later), keep its exit code and
 *    the tail of its output, remove it (never its volumes);
 * 4. start the gateway's container again (and optionally wait until it is ready), unless doctor ran and failed: then
 *    the refusal is not cured, and starting it again would only crash-loop (feeding OpenClaw's crash-loop breaker), so
 *    it is left stopped and the result says so (`onFailure: 'start'` starts it anyway). When doctor could not run at
 *    all (the one-off could not be created or started), nothing was changed, and the gateway is started again.
 *
 * Never throws: every failure ends in the result, with `error` set.
 */
import type Docker from 'dockerode'
import {setTimeout as sleep} from 'node:timers/promises'
import {engineCall, type DockerHandle} from '../docker/client.js'
import {isPaused} from '../docker/container-state.js'
import {demuxLogBuffer} from '../docker/logs.js'
import {stopWithBudget} from '../docker/restart-gateway.js'
import {waitHealthy, type WaitResult} from './wait-ready.js'
import type {StartRefusal} from './start-refusals.js'

export const SERVICE_REPAIR_POLICY_ENV = 'OPENCLAW_SERVICE_REPAIR_POLICY'
/** `--non-interactive`: no prompt can block a one-off without a terminal (real 2026.9.6 also runs without it: it prompts for nothing on an idle state dir). */
export const DOCTOR_FIX_COMMAND: readonly string[] = ['openclaw', 'doctor', '--fix', '--non-interactive']
/** Label on the one-off container: the gateway container it repairs (so a left-over one can be found). */
export const DOCTOR_FIX_LABEL = 'openclaw-fleet.doctor-fix'
export const DEFAULT_DOCTOR_FIX_TIMEOUT_MS = 600_000
/** How long the one-off gets between SIGTERM and SIGKILL when it outlives its timeout. */
const ONE_OFF_STOP_S = 10
const TAIL_LINES = 80
const TAIL_BYTES = 8 * 1024
const ANSI = /\x1b\[[0-9;?]*[A-Za-z]/g

/** The parts of a container's inspect the one-off copies. */
type Inspected = Pick<Docker.ContainerInspectInfo, 'Image' | 'Name' | 'Mounts'> & {
  Config: Pick<Docker.ContainerInspectInfo['Config'], 'Env' | 'User' | 'WorkingDir' | 'Hostname'>
  HostConfig: Docker.ContainerInspectInfo['HostConfig'] & {Mounts?: unknown[]; Init?: boolean | null; Tmpfs?: Record<string, string>}
}

const bindTarget = (bind: string): string | null => bind.split(':')[1] ?? null

/**
 * Pure: the create options of the one-off doctor container for a gateway container's inspect. `command` replaces the
 * image's CMD (the image's ENTRYPOINT stays, as in `docker run <image> openclaw doctor --fix`).
 */
export function oneOffSpec(c: Inspected, opts: {name: string; command?: readonly string[]}): Docker.ContainerCreateOptions {
  const h = c.HostConfig ?? {}
  const env = (c.Config.Env ?? []).filter((e) => !e.startsWith(`${SERVICE_REPAIR_POLICY_ENV}=`))
  env.push(`${SERVICE_REPAIR_POLICY_ENV}=external`)
  const binds = [...(h.Binds ?? [])]
  const mounts = [...((h.Mounts ?? []) as Array<{Target?: string}>)] as Docker.MountSettings[]
  // Anonymous volumes (an image VOLUME, a compose volume without a name) are in neither: mount them by their name.
  const covered = new Set<string>([...binds.map(bindTarget), ...mounts.map((m) => m.Target), ...Object.keys(h.Tmpfs ?? {})].filter((t): t is string => !!t))
  for (const m of c.Mounts ?? []) {
    if (m.Type !== 'volume' || !m.Name || covered.has(m.Destination)) continue
    mounts.push({Type: 'volume', Source: m.Name, Target: m.Destination, ReadOnly: m.RW === false})
  }
  const network = h.NetworkMode && !h.NetworkMode.startsWith('container:') ? h.NetworkMode : 'none'
  const hostConfig: Docker.HostConfig = {
    Binds: binds,
    Mounts: mounts,
    NetworkMode: network,
    AutoRemove: false,
    RestartPolicy: {Name: 'no'},
  }
  // What the gateway's process ran with, where it matters for a doctor run: init, security profile, capabilities.
  const copy = [
    'Init',
    'Tmpfs',
    'SecurityOpt',
    'CapAdd',
    'CapDrop',
    'ReadonlyRootfs',
    'ExtraHosts',
    'Ulimits',
    'ShmSize',
    'Devices',
    'GroupAdd',
    'UsernsMode',
  ] as const
  for (const k of copy) {
    const v = (h as Record<string, unknown>)[k]
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) (hostConfig as Record<string, unknown>)[k] = v
  }
  return {
    name: opts.name,
    Image: c.Image,
    Cmd: [...(opts.command ?? DOCTOR_FIX_COMMAND)],
    Env: env,
    User: c.Config.User || undefined,
    WorkingDir: c.Config.WorkingDir || undefined,
    // The same host name: OpenClaw reclaims a start-up migration lease only when its host equals this hostname
    // (upstream #155644); the gateway is stopped, so no process of that host can still own it.
    Hostname: c.Config.Hostname || undefined,
    Labels: {[DOCTOR_FIX_LABEL]: c.Name.replace(/^\//, '')},
    Tty: false,
    AttachStdin: false,
    OpenStdin: false,
    HostConfig: hostConfig,
  }
}

/** Lines of nothing but box drawing and blanks: real 2026.9.6 doctor frames every note with them (half its output). */
const FILLER = /^[\s\u2500-\u257f]*$/

/** Pure: the last lines of an output, ANSI colours and frame-only lines removed, at most `lines` lines and `bytes` bytes. */
export function outputTail(text: string, lines = TAIL_LINES, bytes = TAIL_BYTES): string {
  const plain = text.replace(ANSI, '').replace(/\r/g, '')
  const kept = plain
    .split('\n')
    .filter((l) => !FILLER.test(l))
    .slice(-lines)
    .join('\n')
  return kept.length > bytes ? kept.slice(kept.length - bytes) : kept
}

export interface DoctorFixOptions {
  /** The stop budget of the gateway (fleet.restart.stopTimeoutMs). */
  stopTimeoutMs: number
  /** Bound of the one-off doctor run (default 10 min). */
  timeoutMs?: number
  /** After the start, wait this long for the gateway to be ready (0 or unset: do not wait). */
  waitReadyMs?: number
  /** The gateway's port inside the container, for the readiness probe (fleet.gateway.port). */
  port?: number
  /** The refusal being cured (for the messages). */
  refusal?: Pick<StartRefusal, 'kind' | 'line'> | null
  /** When doctor ran and failed: leave the gateway stopped (default: a start would only loop) or start it anyway. */
  onFailure?: 'leave-stopped' | 'start'
  command?: readonly string[]
  /** Ends the doctor wait early (the one-off is stopped, the gateway started again). */
  signal?: AbortSignal
}

export interface DoctorFixResult {
  container: string
  /** doctor exited 0, and the gateway's container was started again (and was ready, when waited for). */
  ok: boolean
  /** fixed: doctor exited 0; failed: it ran and exited non-zero or timed out; not-run: it never ran (nothing changed). */
  outcome: 'fixed' | 'failed' | 'not-run'
  /** One line for a person. */
  summary: string
  /** The gateway container's state before: running/restarting counts as up. */
  before: {state: string | null; up: boolean}
  stop: {done: boolean; durationMs: number; detail: string} | null
  oneOff: {
    name: string
    id: string | null
    image: string
    command: string[]
    /** The policy var as given in the one-off's env. */
    policy: string
    user: string | null
    workingDir: string | null
    /** The one-off's mounts as the engine reported them (inspect), to compare with the gateway's. */
    mounts: Array<{type: string; source: string; destination: string; rw: boolean}>
    exitCode: number | null
    timedOut: boolean
    durationMs: number
    /** The tail of its output (stdout and stderr, ANSI removed). */
    output: string
    removed: boolean
  } | null
  /** Whether the gateway's container was started again, and if not, why it was left stopped. */
  start: {started: boolean; detail: string}
  ready: WaitResult | null
  error: string | null
}

const msg = (e: unknown) => (e as Error)?.message ?? String(e)
const status = (e: unknown) => (e as {statusCode?: number})?.statusCode

async function inspectRaw(handle: DockerHandle, id: string): Promise<Docker.ContainerInspectInfo | null> {
  try {
    return await engineCall(handle, `inspect ${id}`, () => handle.docker.getContainer(id).inspect())
  } catch (error) {
    if (status(error) === 404) return null
    throw error
  }
}

/**
 * Run `openclaw doctor --fix` for one gateway container, as described in the module comment. `container`: its name
 * or id (InstanceStatus.container / ContainerInfo.name). Never throws.
 */
export async function runDoctorFix(handle: DockerHandle, container: string, opts: DoctorFixOptions): Promise<DoctorFixResult> {
  const res: DoctorFixResult = {
    container,
    ok: false,
    outcome: 'not-run',
    summary: '',
    before: {state: null, up: false},
    stop: null,
    oneOff: null,
    start: {started: false, detail: 'not stopped'},
    ready: null,
    error: null,
  }
  const what = opts.refusal ? `${opts.refusal.kind}` : 'the start refusal'
  const gw = handle.docker.getContainer(container)
  let stopped = false
  let doctorRan = false
  try {
    const c = await inspectRaw(handle, container)
    if (!c) return done(res, 'no such container: doctor --fix not run')
    res.before = {state: c.State.Status, up: c.State.Status === 'running' || c.State.Status === 'restarting'}
    if (isPaused(c.State.Status)) return done(res, 'the container is paused: doctor --fix not run (unpause it first)')
    if (opts.signal?.aborted) return done(res, 'interrupted before the gateway was stopped: doctor --fix not run')

    // 1. Stop (the drain budget; a restarting container is stopped out of its restart loop).
    if (res.before.up) {
      const t0 = Date.now()
      const t = await stopWithBudget(handle, container, opts.stopTimeoutMs)
      stopped = true
      const after = await inspectRaw(handle, container)
      res.stop = {
        done: !!after && !['running', 'restarting', 'paused'].includes(after.State.Status),
        durationMs: Date.now() - t0,
        detail: `docker stop -t ${t}: ${after?.State.Status ?? 'gone'}`,
      }
      if (!res.stop.done) return done(res, `the gateway did not stop (${after?.State.Status ?? 'gone'}): doctor --fix not run`)
    }

    // 2. The one-off.
    const name = `${c.Name.replace(/^\//, '')}-doctor-fix-${Date.now().toString(36)}`
    const spec = oneOffSpec(c as Inspected, {name, command: opts.command})
    const oneOff: NonNullable<DoctorFixResult['oneOff']> = {
      name,
      id: null,
      image: c.Image,
      command: spec.Cmd as string[],
      policy: (spec.Env ?? []).find((e) => e.startsWith(`${SERVICE_REPAIR_POLICY_ENV}=`)) ?? '',
      user: spec.User ?? null,
      workingDir: spec.WorkingDir ?? null,
      mounts: [],
      exitCode: null,
      timedOut: false,
      durationMs: 0,
      output: '',
      removed: false,
    }
    res.oneOff = oneOff
    let created: Docker.Container
    try {
      created = await engineCall(handle, `create ${name}`, () => handle.docker.createContainer(spec))
      oneOff.id = created.id
      const ins = await inspectRaw(handle, created.id)
      oneOff.mounts = (ins?.Mounts ?? []).map((m) => ({type: m.Type, source: m.Source, destination: m.Destination, rw: m.RW}))
      await engineCall(handle, `start ${name}`, () => created.start())
    } catch (error) {
      res.error = `the one-off doctor container could not run: ${msg(error)}`
      if (oneOff.id) await removeOneOff(handle, oneOff)
      return await startAgain(res, handle, gw, opts, stopped, 'doctor --fix could not run, nothing was changed')
    }
    doctorRan = true

    // 3. Wait, bounded (polled: a long-lived wait request would be cut by the client's own timeout).
    const t0 = Date.now()
    const timeoutMs = opts.timeoutMs ?? DEFAULT_DOCTOR_FIX_TIMEOUT_MS
    let state = await inspectRaw(handle, created.id)
    while (state && state.State.Status !== 'exited' && state.State.Status !== 'dead') {
      if (Date.now() - t0 > timeoutMs || opts.signal?.aborted) {
        oneOff.timedOut = !opts.signal?.aborted
        await engineCall(handle, `stop ${name}`, () => created.stop({t: ONE_OFF_STOP_S}), ONE_OFF_STOP_S * 1000 + handle.timeoutMs).catch(() => undefined)
        state = await inspectRaw(handle, created.id)
        break
      }
      await sleep(500)
      state = await inspectRaw(handle, created.id)
    }
    oneOff.durationMs = Date.now() - t0
    oneOff.exitCode = state && (state.State.Status === 'exited' || state.State.Status === 'dead') ? state.State.ExitCode : null
    const logs = (await engineCall(handle, `logs ${name}`, () => created.logs({stdout: true, stderr: true, follow: false, tail: 500})).catch((e) =>
      Buffer.from(`(output unreadable: ${msg(e)})`),
    )) as unknown as Buffer
    oneOff.output = outputTail(Buffer.isBuffer(logs) ? demuxLogBuffer(logs) : String(logs))
    await removeOneOff(handle, oneOff)

    // 4. Start again, unless it would only loop.
    const fixed = oneOff.exitCode === 0 && !oneOff.timedOut
    res.outcome = fixed ? 'fixed' : 'failed'
    const how = oneOff.timedOut
      ? `timed out after ${Math.round(timeoutMs / 1000)}s`
      : opts.signal?.aborted
        ? 'was interrupted'
        : `exited ${oneOff.exitCode ?? '?'}`
    if (fixed) return await startAgain(res, handle, gw, opts, stopped, `doctor --fix exited 0 (${Math.round(oneOff.durationMs / 1000)}s)`)
    if (opts.onFailure === 'start' || opts.signal?.aborted) return await startAgain(res, handle, gw, opts, stopped, `doctor --fix ${how}`)
    if (stopped) {
      res.start = {
        started: false,
        detail: `left stopped: doctor --fix ${how}, so ${what} is not cured and starting the gateway again would only crash-loop (and feed OpenClaw's crash-loop breaker); read doctor's output, fix it, then start ${c.Name.replace(/^\//, '')}`,
      }
    } else res.start = {started: false, detail: `doctor --fix ${how}; the gateway was not running before, so it is left as it was`}
    return done(res, `doctor --fix ${how}: ${what} not cured; ${res.start.detail}`)
  } catch (error) {
    res.error = msg(error)
    // Never leave a gateway stopped by us with nothing done to it.
    if (stopped && !doctorRan) return await startAgain(res, handle, gw, opts, stopped, `error: ${msg(error)}`)
    if (stopped && !res.start.started) res.start = {started: false, detail: `left stopped after an error: ${msg(error)}`}
    return done(res, `doctor --fix: ${msg(error)}`)
  }
}

function done(res: DoctorFixResult, summary: string): DoctorFixResult {
  res.summary = summary
  res.ok = res.outcome === 'fixed' && res.start.started && (res.ready === null || res.ready.ok)
  return res
}

async function removeOneOff(handle: DockerHandle, oneOff: NonNullable<DoctorFixResult['oneOff']>): Promise<void> {
  if (!oneOff.id) return
  const id = oneOff.id
  try {
    // v: false: the volumes it mounted are the gateway's.
    await engineCall(handle, `remove ${oneOff.name}`, () => handle.docker.getContainer(id).remove({force: true, v: false}))
    oneOff.removed = true
  } catch (error) {
    oneOff.removed = status(error) === 404
  }
}

/** Start the gateway's container again (when it was stopped here), optionally wait for ready, and finish the result. */
async function startAgain(
  res: DoctorFixResult,
  handle: DockerHandle,
  gw: Docker.Container,
  opts: DoctorFixOptions,
  stopped: boolean,
  why: string,
): Promise<DoctorFixResult> {
  if (!stopped && !res.before.up) {
    res.start = {started: false, detail: 'the gateway was not running before: left as it was'}
    return done(res, `${why}; ${res.start.detail}`)
  }
  const t0 = Date.now()
  try {
    await engineCall(handle, `start ${res.container}`, () => gw.start())
  } catch (error) {
    if (status(error) !== 304) {
      res.start = {started: false, detail: `docker start failed: ${msg(error)}`}
      res.error ??= res.start.detail
      return done(res, `${why}; ${res.start.detail}`)
    }
  }
  res.start = {started: true, detail: `docker start ${res.container}`}
  if (opts.waitReadyMs && opts.waitReadyMs > 0) {
    res.ready = await waitHealthy(handle, res.container, opts.waitReadyMs, {startedAfterMs: t0 - 2000, port: opts.port, signal: opts.signal}).catch(
      (error) => ({
        ok: false,
        info: null,
        waitedMs: Date.now() - t0,
        detail: `readiness unknown: ${msg(error)}`,
      }),
    )
    return done(res, `${why}; started again: ${res.ready.ok ? 'ready' : 'not ready'} (${res.ready.detail})`)
  }
  return done(res, `${why}; started again`)
}

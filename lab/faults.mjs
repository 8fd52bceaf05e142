// Fault injection for the lab, by real processes wherever a process can make the fault.
// Every fault takes (instance, {root, ...options}) and resolves to a plain object saying what
// it did: {fault, instance, container, ...}; lock faults add {sessionId, lockPath (in the
// container), hostLockPath, pid, lock (parsed payload)}.
import {randomUUID} from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import {instanceOf, inspectStates, loadLab, ownForContainer, recreateInstance, REPO_DIR, saveLab, seedInstance} from './compose.mjs'
import {controlPath, transcriptText} from './image/app/dist/state.js'
import {docker, mapLimit, sleep, start, waitFor} from './run.mjs'

const HOUR = 3_600_000
export const FIXTURE_LOCKS = ['empty', 'truncated', 'invalid-createdAt', 'missing-pid']

// ---- helpers (exported for tests) ----------------------------------------------------------
function context(instance, {root} = {}) {
  const lab = loadLab(root)
  return {lab, inst: instanceOf(lab, instance)}
}

/** argv of `openclaw agent` for a turn on the agent's main session (or sessionId). */
export function agentArgs({local = true, agent = 'main', message = 'Reply exactly SPEED_OK', sessionId, timeout} = {}) {
  return ['openclaw', 'agent', ...(local ? ['--local'] : []), '--agent', agent, '--message', message, '--thinking', 'low', '--json', ...(sessionId ? ['--session-id', sessionId] : []), ...(timeout !== undefined ? ['--timeout', `${timeout}`] : [])]
}

const envArgs = (env) => Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])

/**
 * One `docker exec <container> openclaw agent ...` turn from the host.
 * Resolves {code, stdout, stderr, ms, json} (json: parsed stdout or null); never rejects on exit code.
 */
export async function agentTurn(container, {env = {}, timeoutMs = 120_000, ...turn} = {}) {
  const r = await docker(['exec', ...envArgs(env), container, ...agentArgs(turn)], {reject: false, timeoutMs})
  let json = null
  try {
    json = JSON.parse(r.stdout)
  } catch {}
  return {...r, json}
}

/** GET (POST with post: true) a path of the gateway from inside the container (busybox wget); parsed JSON. */
export async function gatewayGet(container, urlPath, {post = false, timeoutMs = 30_000} = {}) {
  const {stdout} = await docker(['exec', container, 'wget', '-qO-', ...(post ? ['--post-data='] : []), `http://127.0.0.1:18789${urlPath}`], {timeoutMs})
  return JSON.parse(stdout)
}

/** The gateway process: {pid, ppid, starttime, title, ready, startedAt, ...} (GET /lab/info). */
export const gatewayInfo = (container) => gatewayGet(container, '/lab/info')

/** A process seen inside the container: {pid, exists, state?, ppid?, starttime?, cmdline?}. */
export async function procInContainer(container, pid) {
  const r = await docker(['exec', container, 'sh', '-c', 'cat "/proc/$1/stat" && tr "\\0" " " < "/proc/$1/cmdline"', 'sh', `${pid}`], {reject: false})
  if (r.code !== 0) return {pid, exists: false}
  const [stat, ...cmdline] = r.stdout.split('\n')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {pid, exists: true, state: f[0], ppid: Number(f[1]), starttime: Number(f[19]), cmdline: cmdline.join('\n').trim()}
}

/** The main session of an instance's agent: {sessionId, hostLockPath, lockPath}. */
export function mainSession(inst, agent = 'main') {
  const index = JSON.parse(fs.readFileSync(path.join(inst.sessionsDir, 'sessions.json'), 'utf8'))
  const {sessionId} = index[`agent:${agent}:main`]
  return {sessionId, hostLockPath: path.join(inst.sessionsDir, `${sessionId}.jsonl.lock`), lockPath: `${inst.containerSessionsDir}/${sessionId}.jsonl.lock`}
}

/** Parsed lock file, or null when absent / unparsable. */
export function readLock(hostLockPath) {
  try {
    return JSON.parse(fs.readFileSync(hostLockPath, 'utf8'))
  } catch {
    return null
  }
}

/** Write (value) or remove (null) a lab control file of an instance: slow-ms, reply, model-error, ... */
export async function setControl(instance, name, value, opts = {}) {
  const {inst} = context(instance, opts)
  const file = controlPath(inst.stateDir, name)
  if (value === null || value === undefined) fs.rmSync(file, {force: true})
  else {
    fs.mkdirSync(path.dirname(file), {recursive: true})
    fs.writeFileSync(file, `${value}\n`)
    await ownForContainer([path.dirname(file)])
  }
  return {instance: inst.id, container: inst.container, controlFile: file, value: value ?? null}
}

const lockFields = (inst, session, lock) => ({sessionId: session.sessionId, lockPath: session.lockPath, hostLockPath: session.hostLockPath, pid: lock.pid, lock})

/** Wait for the main session's lock to be (re)written by a process started at or after `since`. */
function waitForLock(session, since, what) {
  return waitFor(() => {
    const lock = readLock(session.hostLockPath)
    return lock && Date.parse(lock.createdAt) >= since - 1000 && lock
  }, {timeoutMs: 30_000, intervalMs: 50, what})
}

/**
 * An exec'd `openclaw agent --local` turn (two processes, as the real one: `openclaw agent` with PPID 0 and
 * its child `openclaw-agent`, which takes the lock) that holds the main session's lock for holdMs, whatever
 * its --timeout says (a stuck turn).
 */
export async function startHolder(inst, holdMs, {timeout} = {}) {
  const session = mainSession(inst)
  const since = Date.now()
  const holder = start('docker', ['exec', ...envArgs({OPENCLAW_LAB_HOLD_MS: holdMs}), inst.container, ...agentArgs({message: 'lab: holding the session lock', timeout})])
  const lock = await Promise.race([
    waitForLock(session, since, `the exec'd holder's lock in ${inst.container}`),
    holder.exited.then((r) => Promise.reject(new Error(`holder exited early (${r.code}): ${r.stderr}`))),
  ])
  return {holder, session, lock}
}

/** The gateway main process takes the main session's lock (POST /lab/turn) and holds it. */
async function gatewayHold(inst, holdMs) {
  const session = mainSession(inst)
  const res = await gatewayGet(inst.container, `/lab/turn?holdMs=${holdMs}`, {post: true})
  if (!res.ok) throw new Error(`the gateway of ${inst.container} could not take the lock: ${res.error}`)
  return {session, lock: readLock(session.hostLockPath), res}
}

const containerState = async (name) => (await inspectStates([name]))[0] ?? {name, status: 'missing'}

// ---- faults -------------------------------------------------------------------------------
/** (a) An exec'd turn holding the lock is SIGKILLed inside the container: the lock stays, its pid dead. */
export async function deadPid(instance, {root, holdMs = HOUR} = {}) {
  const {inst} = context(instance, {root})
  const {holder, session, lock} = await startHolder(inst, holdMs)
  await docker(['exec', inst.container, 'kill', '-KILL', `${lock.pid}`])
  const client = await holder.exited
  const proc = await procInContainer(inst.container, lock.pid)
  if (proc.exists) throw new Error(`pid ${lock.pid} still exists in ${inst.container} after SIGKILL`)
  return {fault: 'dead-pid', instance: inst.id, container: inst.container, ...lockFields(inst, session, lock), pidAlive: false, clientExitCode: client.code}
}

/** A live exec'd turn holding the main session's lock for holdMs, its client attached (kill `holder.child` to orphan it). */
export async function attachedTurn(instance, {root, holdMs = 30_000, timeout} = {}) {
  const {inst} = context(instance, {root})
  return {instance: inst.id, container: inst.container, ...(await startHolder(inst, holdMs, {timeout}))}
}

/**
 * (b) `docker exec ... openclaw agent --timeout 1` whose host client is SIGKILLed: the turn inside lives on with
 * the lock, stuck past its own deadline (fleet ends it once it is past --timeout + locks.deadlineMargin).
 */
export async function orphan(instance, {root, holdMs = HOUR, timeout = 1} = {}) {
  const {inst} = context(instance, {root})
  const {holder, session, lock} = await startHolder(inst, holdMs, {timeout})
  holder.child.kill('SIGKILL')
  await holder.exited
  await sleep(300)
  const proc = await procInContainer(inst.container, lock.pid)
  if (!proc.exists || proc.cmdline !== 'openclaw-agent') throw new Error(`the orphan pid ${lock.pid} did not survive its client in ${inst.container}: ${JSON.stringify(proc)}`)
  return {fault: 'orphan', instance: inst.id, container: inst.container, ...lockFields(inst, session, lock), clientPid: holder.pid, process: proc, timeoutSec: timeout}
}

/** (c) The gateway main process takes the lock and is SIGSTOPped. */
export async function frozen(instance, {root, holdMs = HOUR} = {}) {
  const {inst} = context(instance, {root})
  const {session, lock, res} = await gatewayHold(inst, holdMs)
  await docker(['exec', inst.container, 'kill', '-STOP', `${res.pid}`])
  const proc = await procInContainer(inst.container, res.pid)
  if (proc.state !== 'T') throw new Error(`gateway pid ${res.pid} in ${inst.container} is not stopped: ${JSON.stringify(proc)}`)
  return {fault: 'frozen', instance: inst.id, container: inst.container, ...lockFields(inst, session, lock), gatewayPid: res.pid, process: proc}
}

/** The gateway's pid number "typically" seen with init: true (docker-init is 1, runc-init threads took 2-6). */
export const TYPICAL_GATEWAY_PID = 7

/**
 * SIGKILL the container and start it again until the new gateway has pid `wantPid` (any pid
 * when wantPid is undefined). The number depends on how many threads runc-init made in the new
 * PID namespace: 7 most of the time here, sometimes 6 or 8. Resolves {info, attempts}.
 */
export async function killAndStart(container, {wantPid, attempts = 12} = {}) {
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await docker(['kill', '-s', 'KILL', container], {reject: false})
    await waitFor(async () => (await containerState(container)).status !== 'running', {what: `${container} to stop`})
    await docker(['start', container])
    const info = await waitFor(() => gatewayInfo(container), {what: `the new gateway of ${container}`})
    if (wantPid === undefined || info.pid === wantPid) return {info, attempts: attempt}
  }
  throw new Error(`the gateway of ${container} never came back as pid ${wantPid} in ${attempts} restarts`)
}

/**
 * (d) The gateway takes the lock, the container is SIGKILLed and started again with the
 * start-up sweep skipped (control skip-startup-sweep, removed once the new gateway is ready):
 * the new gateway has the lock's pid number (restarted until it does). legacy: the lock is
 * written in the 2026.2 shape (no starttime), so 2026.4.29 cannot tell the new process from
 * the old one and every turn times out; without legacy a turn reclaims it (recycled-pid).
 */
export async function previousIncarnation(instance, {root, legacy = false, holdMs = HOUR, heldForMs = 3_000} = {}) {
  const {inst} = context(instance, {root})
  if ((await gatewayInfo(inst.container)).pid !== TYPICAL_GATEWAY_PID) await killAndStart(inst.container, {wantPid: TYPICAL_GATEWAY_PID})
  await setControl(inst.id, 'skip-startup-sweep', 'fault d', {root})
  if (legacy) await setControl(inst.id, 'lock-format', '2026.2', {root})
  const {session, lock, res} = await gatewayHold(inst, holdMs)
  if (legacy) await setControl(inst.id, 'lock-format', null, {root})
  await sleep(heldForMs) // a turn in progress for a while when the container dies, as in real fleets
  const {attempts} = await killAndStart(inst.container, {wantPid: lock.pid})
  const info = await waitFor(async () => {
    const i = await gatewayInfo(inst.container)
    return i.ready && i
  }, {what: `the new gateway of ${inst.container} to be ready`})
  await setControl(inst.id, 'skip-startup-sweep', null, {root})
  const {stdout: startedAt} = await docker(['inspect', '--format', '{{.State.StartedAt}}', inst.container])
  return {fault: 'previous-incarnation', instance: inst.id, container: inst.container, ...lockFields(inst, session, lock), legacy, oldGatewayPid: res.pid, oldGatewayStarttime: res.starttime, gatewayPid: info.pid, gatewayStarttime: info.starttime, samePid: info.pid === lock.pid, restarts: attempts, containerStartedAt: startedAt.trim()}
}

/**
 * (e) Instance N also mounts instance M's sessions dir at its own agents/main/sessions (compose file regenerated,
 * container recreated). readOnly: the mount is read-only (a reader, not a second writer).
 */
export async function sharedSessions(instance, {root, other, readOnly = false} = {}) {
  const {lab, inst} = context(instance, {root})
  other ??= lab.ids.includes(inst.id - 1) ? inst.id - 1 : inst.id + 1
  const peer = instanceOf(lab, other)
  if (peer.id === inst.id) throw new Error('shared-sessions needs two different instances')
  lab.extraMounts[inst.id] = [{source: peer.sessionsDir, target: readOnly ? `${inst.containerSessionsDir}-of-${peer.id}` : inst.containerSessionsDir, readOnly}]
  saveLab(lab)
  const ms = await recreateInstance(lab, inst.id)
  return {fault: 'shared-sessions', readOnly, instance: inst.id, container: inst.container, other: peer.id, otherContainer: peer.container, sharedDir: peer.sessionsDir, mountTarget: inst.containerSessionsDir, composeFile: path.join(lab.projectDir, inst.group.composeFile), ms}
}

/** A gateway mid-turn (the gateway holds the main session's lock) whose container is `docker pause`d. */
export async function paused(instance, {root, holdMs = HOUR} = {}) {
  const {inst} = context(instance, {root})
  const {session, lock, res} = await gatewayHold(inst, holdMs)
  await docker(['pause', inst.container])
  const state = await containerState(inst.container)
  if (state.status !== 'paused') throw new Error(`${inst.container} is ${state.status}, not paused`)
  return {fault: 'paused', instance: inst.id, container: inst.container, ...lockFields(inst, session, lock), gatewayPid: res.pid}
}

/** Wrong mount (for fleet doctor): the container mounts another host dir at the state dir than the config's dataDir. */
export async function wrongMount(instance, {root} = {}) {
  const {lab, inst} = context(instance, {root})
  const source = path.join(lab.root, 'data', `oc${inst.id}`, 'elsewhere')
  fs.mkdirSync(path.join(source, 'agents', 'main', 'sessions'), {recursive: true})
  await ownForContainer([source])
  lab.stateSources = {...lab.stateSources, [inst.id]: source}
  saveLab(lab)
  const ms = await recreateInstance(lab, inst.id)
  return {fault: 'wrong-mount', instance: inst.id, container: inst.container, mounted: source, configured: inst.stateDir, ms}
}

/** A fallback model below OpenClaw's 16000-token minimum in the instance's openclaw.json (for fleet doctor). */
export async function smallContextModel(instance, {root, tokens = 8192} = {}) {
  const {inst} = context(instance, {root})
  const file = path.join(inst.stateDir, 'openclaw.json')
  const config = {
    agents: {defaults: {model: {primary: 'google/gemini-flash-latest', fallbacks: ['google/gemma-4-31b-it']}}},
    models: {providers: {google: {models: [{id: 'gemini-flash-latest', contextWindow: 1_000_000}, {id: 'gemma-4-31b-it', contextWindow: tokens}]}}},
  }
  fs.writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`)
  await ownForContainer([file])
  return {fault: 'small-context-model', instance: inst.id, container: inst.container, file, model: 'google/gemma-4-31b-it', tokens}
}

/** (f) Slow gateway: every turn holds the lock `ms` before replying (control file slow-ms). */
export async function slow(instance, {root, ms = 15_000} = {}) {
  return {fault: 'slow', ...(await setControl(instance, 'slow-ms', ms, {root})), ms}
}

/**
 * Start refusal: the gateway refuses every start (`Gateway failed to start: <text>`, exit 1), as real 2026.9 gateways
 * do for a migration, a schema or a lease, and the container's restart policy (unless-stopped) starts it again and
 * again: a crash loop with a line that names its cause. It is killed once from inside so the refusal takes effect.
 */
export async function startRefusal(instance, {root, text = 'OpenClaw startup migrations did not complete cleanly; run openclaw doctor --fix'} = {}) {
  const {inst} = context(instance, {root})
  const control = await setControl(instance, 'start-refusal', text, {root})
  // From inside (docker kill would count as a manual stop, which unless-stopped does not restart).
  await docker(['exec', inst.container, 'kill', '-KILL', '-1'], {reject: false})
  return {fault: 'start-refusal', ...control, text}
}

/** Slow start: the gateway takes `ms` after each start before it is ready (control file startup-ms); restarted once now. */
export async function slowStart(instance, {root, ms = 60_000} = {}) {
  const {inst} = context(instance, {root})
  const control = await setControl(instance, 'startup-ms', ms, {root})
  await docker(['restart', '--time', '5', inst.container])
  return {fault: 'slow-start', ...control, ms}
}

/** Wrong reply: every turn answers `text` (control file reply). */
export async function wrongReply(instance, {root, text = 'WRONG_REPLY'} = {}) {
  return {fault: 'wrong-reply', ...(await setControl(instance, 'reply', text, {root})), text}
}

/** Model error: every turn fails with FailoverError: No API key found for provider "openai". */
export async function modelError(instance, {root} = {}) {
  return {fault: 'model-error', ...(await setControl(instance, 'model-error', 'openai', {root}))}
}

/**
 * Crash loop: the gateway exits 1 `afterMs` after each start (control file crash-after-ms, read at start), so the
 * container's restart policy restarts it again and again (Docker's back-off doubles from 100 ms). `startupMs`
 * (control startup-ms) delays readiness too, so a start that outlives afterMs is `running (starting)`, never ready.
 * The container is restarted once so that the controls take effect. Undo: setControl(..., null) and a restart.
 */
export async function crashLoop(instance, {root, afterMs = 0, startupMs} = {}) {
  const {inst} = context(instance, {root})
  await setControl(instance, 'crash-after-ms', afterMs, {root})
  if (startupMs !== undefined) await setControl(instance, 'startup-ms', startupMs, {root})
  await docker(['restart', '--time', '1', inst.container])
  return {fault: 'crash-loop', instance: inst.id, container: inst.container, afterMs, startupMs: startupMs ?? null}
}

/** (g) An exec'd holder holds the lock, the container is SIGKILLed and stays stopped. */
export async function stoppedWithLock(instance, {root, holdMs = HOUR} = {}) {
  const {inst} = context(instance, {root})
  const {holder, session, lock} = await startHolder(inst, holdMs)
  await docker(['kill', '-s', 'KILL', inst.container])
  await holder.exited
  await sleep(1500) // would the restart policy bring it back? (not on 20.10: docker kill counts as a manual stop)
  let state = await containerState(inst.container)
  const restartedByPolicy = state.status !== 'exited'
  if (restartedByPolicy) {
    await docker(['stop', '--time', '0', inst.container])
    state = await containerState(inst.container)
  }
  if (!fs.existsSync(session.hostLockPath)) throw new Error(`the lock of ${inst.container} vanished: ${session.hostLockPath}`)
  return {fault: 'stopped-with-lock', instance: inst.id, container: inst.container, ...lockFields(inst, session, lock), containerStatus: state.status, restartedByPolicy}
}

/** (h) The malformed, empty and truncated fixture locks, copied under distinct session names. */
export async function malformedLocks(instance, {root} = {}) {
  const {inst} = context(instance, {root})
  const files = FIXTURE_LOCKS.map((name) => {
    const fixture = path.join(REPO_DIR, 'test', 'fixtures', 'locks', `${name}.jsonl.lock`)
    const file = `malformed-${name}.jsonl.lock`
    const hostPath = path.join(inst.sessionsDir, file)
    fs.copyFileSync(fixture, hostPath)
    return {fixture, sessionId: `malformed-${name}`, hostPath, lockPath: `${inst.containerSessionsDir}/${file}`, bytes: fs.statSync(hostPath).size}
  })
  await ownForContainer(files.map((f) => f.hostPath))
  return {fault: 'malformed-locks', instance: inst.id, container: inst.container, files}
}

/** (i) count small, plausible transcripts added to the sessions dir. */
export async function manyTranscripts(instance, {root, count = 10_000} = {}) {
  const {inst} = context(instance, {root})
  const t0 = Date.now()
  const base = Date.now() - 30 * 86_400_000
  const ids = Array.from({length: count}, () => randomUUID())
  await mapLimit(ids, 64, (id, i) => fsp.writeFile(path.join(inst.sessionsDir, `${id}.jsonl`), transcriptText(id, [[`question ${i}: status of job ${i % 97}?`, `Job ${i % 97} finished without errors.`]], base + i * 60_000)))
  await ownForContainer([inst.sessionsDir])
  return {fault: 'many-transcripts', instance: inst.id, container: inst.container, dir: inst.sessionsDir, count, sample: `${ids[0]}.jsonl`, ms: Date.now() - t0}
}

/** Undo every fault of an instance: fresh container from its clean compose service, fresh data dir. */
export async function clearFaults(instance, {root} = {}) {
  const {lab, inst} = context(instance, {root})
  const t0 = Date.now()
  delete lab.extraMounts[inst.id]
  if (lab.stateSources) delete lab.stateSources[inst.id]
  saveLab(lab)
  await docker(['unpause', inst.container], {reject: false})
  await docker(['rm', '-f', inst.container], {reject: false})
  await seedInstance(lab, inst.id)
  await recreateInstance(lab, inst.id)
  return {instance: inst.id, container: inst.container, ms: Date.now() - t0}
}

/** Faults by CLI name, with the letter of the lab's fault list. */
export const FAULTS = {
  'dead-pid': {letter: 'a', inject: deadPid},
  orphan: {letter: 'b', inject: orphan},
  frozen: {letter: 'c', inject: frozen},
  'previous-incarnation': {letter: 'd', inject: previousIncarnation},
  'shared-sessions': {letter: 'e', inject: sharedSessions},
  slow: {letter: 'f', inject: slow},
  'stopped-with-lock': {letter: 'g', inject: stoppedWithLock},
  'malformed-locks': {letter: 'h', inject: malformedLocks},
  'many-transcripts': {letter: 'i', inject: manyTranscripts},
  'wrong-reply': {letter: null, inject: wrongReply},
  paused: {letter: null, inject: paused},
  'wrong-mount': {letter: null, inject: wrongMount},
  'small-context-model': {letter: null, inject: smallContextModel},
  'model-error': {letter: null, inject: modelError},
  'crash-loop': {letter: null, inject: crashLoop},
  'start-refusal': {letter: null, inject: startRefusal},
  'slow-start': {letter: null, inject: slowStart},
}

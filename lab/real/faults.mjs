// Fault injection on REAL OpenClaw gateways (lab instances whose version is not 'sim'), with OpenClaw's own code
// wherever it can make the fault, and, for each fault, OpenClaw's own judgement of it (run in the container with
// OpenClaw's code) to put beside fleet's verdict. The in-container half is lab/real/fault-agent.mjs.
// Every fault takes (instance, {root, ...options}) and resolves to a plain object: {fault, instance, container,
// version, ...}. FAULTS[name].judge(instance, {root}) resolves to OpenClaw's judgement.
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {instanceOf, inspectStates, loadLab, recreateInstance, saveLab, versionOf, waitHealthy} from '../compose.mjs'
import {docker, run, sleep, start, waitFor} from '../run.mjs'
import {CONTAINER_STATE_DIR, MODEL_PORT} from './build.mjs'
import {agentTurn, processTree, procInfo, turnArgs, usesGatewayTurns} from './gateway.mjs'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const AGENT_DIR = '/tmp/ocreal-faults'
const AGENT = `${AGENT_DIR}/fault-agent.mjs`
const HOUR = 3_600_000
/** In-container paths of the 2026.8+ databases. */
export const DATABASES = {agent: 'agents/main/agent/openclaw-agent.sqlite', state: 'state/openclaw.sqlite'}
export const GATEWAY_LOCK_DIR = 'tmp/openclaw-1000'

// ---- context and in-container commands -----------------------------------------------------
function context(instance, {root} = {}) {
  const lab = loadLab(root)
  const inst = instanceOf(lab, instance)
  const version = versionOf(lab, inst.id)
  if (version === 'sim') throw new Error(`instance ${inst.id} runs the simulator: use lab/faults.mjs (real faults need --openclaw <version>)`)
  return {lab, inst, version, base: {instance: inst.id, container: inst.container, version}}
}

const installed = new Set()
/** Copy fault-agent.mjs into the container's /tmp (once per container start). */
async function installAgent(container) {
  const {stdout: startedAt} = await docker(['inspect', '-f', '{{.State.StartedAt}}', container])
  const key = `${container}@${startedAt.trim()}`
  if (installed.has(key)) return
  await run('docker', ['exec', '-i', container, 'sh', '-c', `mkdir -p ${AGENT_DIR} && cat > ${AGENT}`], {input: fs.readFileSync(path.join(HERE, 'fault-agent.mjs'))})
  installed.add(key)
}

const lastJson = (stdout) => JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).at(-1) ?? 'null')

/** Run one fault-agent command in the container and parse its JSON line; throws on {error}. */
export async function inContainer(container, command, spec = {}) {
  await installAgent(container)
  const r = await docker(['exec', container, 'node', AGENT, command, JSON.stringify(spec)], {reject: false, timeoutMs: 60_000})
  const out = lastJson(r.stdout)
  if (!out || out.error) throw new Error(`fault-agent ${command} in ${container} failed: ${out?.error ?? (r.stderr.trim() || `exit ${r.code}`)}`)
  return out
}

/**
 * A holder started by `docker exec` in the shape of an exec'd OpenClaw turn: the parent's argv is
 * `node --import fault-agent.mjs /app/openclaw.mjs agent --agent main --message ... --json --timeout N` (PPID 0),
 * its child is titled `openclaw-agent` and runs `command` (hold-lock, sqlite-hold). Resolves once the child holds:
 * {client, holder: {pid, starttime, ...}, parentPid}. Kill `client.child` to orphan it.
 */
export async function startExecHolder(container, command, spec, {timeout = 600, message = `lab: ${command}`} = {}) {
  await installAgent(container)
  const argv = ['node', '--import', AGENT, '/app/openclaw.mjs', ...turnArgs('2026.9.6', {message, timeoutS: timeout}).slice(1)]
  const client = start('docker', ['exec', '-e', `OCREAL_FAULT_CHILD=${JSON.stringify([command, JSON.stringify(spec)])}`, container, ...argv])
  const holder = await Promise.race([
    waitFor(() => client.output.stdout.includes('"ready":true') && lastJson(client.output.stdout), {timeoutMs: 60_000, intervalMs: 50, what: `${command} in ${container}`}),
    client.exited.then((r) => Promise.reject(new Error(`${command} in ${container} exited early (${r.code}): ${r.stdout}${r.stderr}`))),
  ])
  const {ppid} = await procInfo(container, holder.pid)
  return {client, holder, parentPid: ppid}
}

/** SIGKILL a pid (or several) inside the container. */
export const killInContainer = (container, pids, signal = 'KILL') => docker(['exec', container, 'kill', `-${signal}`, ...[pids].flat().map(String)], {reject: false})

/**
 * The exec'd holder's user-side knobs: SIGSTOP it (stopped) and/or SIGKILL its docker exec client (orphaned:
 * the processes inside live on). Returns {stopped, clientKilled, clientExitCode}.
 */
async function applyHolderMode(container, {client, holder}, {stop = false, killClient = false}) {
  if (stop) await killInContainer(container, holder.pid, 'STOP')
  let clientExitCode = null
  if (killClient) {
    client.child.kill('SIGKILL')
    clientExitCode = (await client.exited).code
  }
  return {stopped: stop, clientKilled: killClient, clientExitCode}
}

// ---- real turns, logs, host view ---------------------------------------------------------------
const strip = (s) => s.replace(/\x1b\[[0-9;]*m/g, '')

/**
 * One real smoke turn (`openclaw agent [--local] --agent main --message "Reply exactly SPEED_OK" --thinking low --json`,
 * --local up to 2026.7, through the gateway from 2026.8). Resolves {code, ms, ok, text, error} where error is the
 * user-visible failure: the JSON error message, else the stderr line naming the error.
 */
export async function realTurn(instance, {root, timeoutMs = 600_000, ...turn} = {}) {
  const {inst, version} = context(instance, {root})
  const r = await agentTurn(inst.container, version, {timeoutMs, ...turn})
  const lines = strip(r.stderr).split('\n').map((l) => l.trim()).filter(Boolean)
  const error = r.json?.error?.message ?? lines.find((l) => /Reason:|locked|Error:/.test(l)) ?? (r.code !== 0 ? lines.at(-1) : undefined)
  return {code: r.code, ms: r.ms, ok: r.code === 0 && r.text === 'SPEED_OK', text: r.text, error: error ?? null, stderrTail: lines.slice(-6)}
}

/** Lines of `docker logs` (stdout+stderr) and of /tmp/openclaw/openclaw-<date>.log matching re, since sinceMs. */
export async function realLogs(instance, {root, re = /error|locked|busy|lock/i, since} = {}) {
  const {inst} = context(instance, {root})
  const d = await docker(['logs', ...(since ? ['--since', new Date(since).toISOString()] : []), inst.container], {reject: false})
  const f = await docker(['exec', inst.container, 'sh', '-c', 'cat /tmp/openclaw/openclaw-*.log 2>/dev/null'], {reject: false})
  const fileLines = f.stdout.split('\n').filter((l) => {
    if (!re.test(l)) return false
    const t = Date.parse(l.match(/"time":"([^"]+)"/)?.[1] ?? l.slice(0, 24))
    return !since || !Number.isFinite(t) || t >= since
  })
  return {dockerLogs: strip(`${d.stdout}\n${d.stderr}`).split('\n').filter((l) => re.test(l)), fileLog: fileLines.map(fileLogLine)}
}

/** One line of OpenClaw's JSON file log as `<time> <LEVEL> <subsystem> <message> <fields>` (plain lines as they are). */
function fileLogLine(line) {
  try {
    const o = JSON.parse(line)
    const parts = ['0', '1', '2', '3'].map((k) => o[k]).filter((v) => v !== undefined).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
    return `${o.time ?? o._meta?.date} ${o._meta?.logLevelName ?? ''} ${parts.join(' ')}`.slice(0, 700)
  } catch {
    return line.slice(0, 700)
  }
}

/** host pid -> container pid (the last NSpid), or null. */
function nsPid(hostPid) {
  try {
    const m = fs.readFileSync(`/proc/${hostPid}/status`, 'utf8').match(/^NSpid:\s+(.+)$/m)
    return m ? Number(m[1].trim().split(/\s+/).at(-1)) : null
  } catch {
    return null
  }
}

/**
 * What /proc/locks (host) says about a SQLite db of an instance: the lines on the inodes of the db file and its
 * `-shm`, raw and parsed ({file, type: 'READ'|'WRITE', hostPid, containerPid, start, end}). `writer` is the lock on
 * byte 120 of the -shm (the WAL writer lock) if any. Needs the host's /proc (root, same machine as the engine).
 */
export function hostSqliteLocks(instance, {root, db = 'agent'} = {}) {
  const {inst} = context(instance, {root})
  const dbPath = path.join(inst.stateDir, DATABASES[db] ?? db)
  const files = Object.fromEntries(['', '-shm'].flatMap((suffix) => {
    try {
      return [[String(fs.statSync(`${dbPath}${suffix}`).ino), `${path.basename(dbPath)}${suffix}`]]
    } catch {
      return []
    }
  }))
  const lines = fs.readFileSync('/proc/locks', 'utf8').split('\n').filter((l) => files[l.trim().split(/\s+/)[5]?.split(':')[2]])
  const locks = lines.map((raw) => {
    const f = raw.trim().split(/\s+/)
    return {raw, file: files[f[5].split(':')[2]], kind: f[1], type: f[3], hostPid: Number(f[4]), containerPid: nsPid(Number(f[4])), start: Number(f[6]), end: f[7] === 'EOF' ? 'EOF' : Number(f[7])}
  })
  return {dbPath, inodes: files, lines, locks, writer: locks.find((l) => l.file.endsWith('-shm') && l.type === 'WRITE' && l.start === 120) ?? null}
}

const containerStatus = async (name) => (await inspectStates([name]))[0]?.status ?? 'missing'

/** The model stub's request counter (GET /healthz on 127.0.0.1:18555 inside the container). */
async function modelChats(container) {
  const r = await docker(['exec', container, 'wget', '-qO-', `http://127.0.0.1:${MODEL_PORT}/healthz`], {reject: false})
  return JSON.parse(r.stdout || '{}').chat ?? 0
}
const setModelDelay = (container, ms) => docker(['exec', container, 'sh', '-c', ms ? `mkdir -p /tmp/ocreal-model && echo ${ms} > /tmp/ocreal-model/delay-ms` : 'rm -f /tmp/ocreal-model/delay-ms'])

/**
 * A real turn stuck waiting on the model: the stub's delay is set to holdMs, the turn starts, and once the stub has
 * its request the delay file is removed again (later turns answer at once). Resolves {client, sinceMs}.
 */
async function stuckRealTurn(inst, version, {holdMs = HOUR, timeout, local} = {}) {
  const before = await modelChats(inst.container)
  await setModelDelay(inst.container, holdMs)
  const sinceMs = Date.now()
  const client = start('docker', ['exec', inst.container, ...turnArgs(version, {timeoutS: timeout, ...(local === undefined ? {} : {local})})])
  try {
    await waitFor(async () => (await modelChats(inst.container)) > before, {timeoutMs: 300_000, intervalMs: 500, what: `the stuck turn's model request in ${inst.container}`})
  } finally {
    await setModelDelay(inst.container, 0)
  }
  return {client, sinceMs}
}

/** The gateway main process: docker-init's child (pid 6-8). */
export async function gatewayPid(container) {
  const tree = await processTree(container)
  const gw = tree.find((p) => p.ppid === 1 && /openclaw|start\.sh/.test(p.args))
  if (!gw) throw new Error(`no gateway process under docker-init in ${container}: ${JSON.stringify(tree)}`)
  return gw.pid
}

// ---- OpenClaw's own judgements -----------------------------------------------------------------
/** Up to 2026.7: cleanStaleLockFiles({sessionsDir, removeStale: false}) in the container → {locks: [{lockPath, pid, pidAlive, stale, staleReasons, ...}]}. */
export async function judgeSessionLocks(instance, {root, agent = 'main'} = {}) {
  const {inst, base} = context(instance, {root})
  return {...base, ...(await inContainer(inst.container, 'judge-locks', {sessionsDir: `${CONTAINER_STATE_DIR}/agents/${agent}/sessions`}))}
}

/** 2026.8+: a second connection's BEGIN IMMEDIATE with busy timeout 0 → {busy, code, errcode, errstr, message, ms}. */
export async function probeSqlite(instance, {root, db = 'agent'} = {}) {
  const {inst, base} = context(instance, {root})
  return {...base, ...(await inContainer(inst.container, 'sqlite-probe', {db: `${CONTAINER_STATE_DIR}/${DATABASES[db]}`}))}
}

/** 2026.8+: readActiveGatewayLockIdentity() and resolveGatewayOwnerStatus() for both gateway lock files. */
export async function judgeGatewayLock(instance, {root} = {}) {
  const {inst, base} = context(instance, {root})
  return {...base, ...(await inContainer(inst.container, 'gateway-owner'))}
}

// ---- lock faults, up to 2026.7 -----------------------------------------------------------------
/** The agent's main session file (in the container) from sessions.json; a first real turn creates it when missing. */
export async function mainSessionFile(inst, version, {root}) {
  const index = path.join(inst.stateDir, 'agents', 'main', 'sessions', 'sessions.json')
  if (!fs.existsSync(index)) {
    const first = await realTurn(inst.id, {root})
    if (!first.ok) throw new Error(`the first real turn of ${inst.container} failed: ${first.error}`)
  }
  const entry = JSON.parse(fs.readFileSync(index, 'utf8'))['agent:main:main']
  if (!entry?.sessionId) throw new Error(`no agent:main:main session in ${index}`)
  const file = entry.sessionFile ?? `${CONTAINER_STATE_DIR}/agents/main/sessions/${entry.sessionId}.jsonl`
  return {sessionId: entry.sessionId, sessionFile: file, lockPath: `${file}.lock`, hostLockPath: path.join(inst.stateDir, path.relative(CONTAINER_STATE_DIR, `${file}.lock`))}
}

function needsLockFiles(version, fault) {
  if (usesGatewayTurns(version)) throw new Error(`${fault}: OpenClaw ${version} has no session lock files (2026.8+); use sqlite-writer / state-writer / gateway-lock-reuse`)
}

const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return null
  }
}

/** An exec'd holder takes the main session's lock with OpenClaw's acquireSessionWriteLock. */
async function execLockHolder(instance, fault, {root, timeout}) {
  const {inst, version, base} = context(instance, {root})
  needsLockFiles(version, fault)
  const session = await mainSessionFile(inst, version, {root})
  const held = await startExecHolder(inst.container, 'hold-lock', {sessionFile: session.sessionFile}, {timeout})
  return {inst, base, session, held, lock: readJson(session.hostLockPath)}
}

/** (1) dead-pid: an exec'd holder of the main session's lock (OpenClaw's acquireSessionWriteLock) SIGKILLed inside. */
export async function realDeadPid(instance, {root} = {}) {
  const {inst, base, session, held, lock} = await execLockHolder(instance, 'dead-pid', {root})
  await killInContainer(inst.container, [held.holder.pid, held.parentPid])
  const client = await held.client.exited
  return {fault: 'dead-pid', ...base, ...session, pid: held.holder.pid, lock, via: held.holder.via, clientExitCode: client.code, pidAlive: false}
}

/** (2) live-holder: the same exec'd holder left alive (client attached unless killClient; SIGSTOPped with stop). */
export async function realLiveHolder(instance, {root, timeout = 600, stop = false, killClient = false} = {}) {
  const {inst, base, session, held, lock} = await execLockHolder(instance, 'live-holder', {root, timeout})
  const mode = await applyHolderMode(inst.container, held, {stop, killClient})
  return {fault: 'live-holder', ...base, ...session, pid: held.holder.pid, parentPid: held.parentPid, lock, via: held.holder.via, timeoutSec: timeout, ...mode, client: killClient ? undefined : held.client}
}

/**
 * (3) previous-incarnation: the gateway itself holds the main session's lock (a real gateway turn stuck on the
 * delayed model stub), the container is SIGKILLed and started again until the new gateway has the same pid.
 * legacy: the lock's starttime is dropped while the container is down (the 2026.2 shape: OpenClaw cannot tell the
 * new process from the old). Without legacy, the start-up sweep removes it (recycled-pid) about 5 s after start.
 */
export async function realPreviousIncarnation(instance, {root, legacy = false, attempts = 8} = {}) {
  const {inst, version, base} = context(instance, {root})
  needsLockFiles(version, 'previous-incarnation')
  const session = await mainSessionFile(inst, version, {root})
  for (let attempt = 1; attempt <= attempts; attempt++) {
    const oldPid = await gatewayPid(inst.container)
    const {client} = await stuckRealTurn(inst, version, {local: false})
    const lock = await waitFor(() => readJson(session.hostLockPath), {timeoutMs: 30_000, what: `the gateway's lock on ${session.hostLockPath}`})
    await docker(['kill', '-s', 'KILL', inst.container])
    await client.exited
    const written = fs.readFileSync(session.hostLockPath, 'utf8')
    if (legacy) {
      const {starttime, ...rest} = JSON.parse(written)
      fs.writeFileSync(session.hostLockPath, JSON.stringify(rest, null, 2))
    }
    await docker(['start', inst.container])
    const newPid = await waitFor(() => gatewayPid(inst.container), {timeoutMs: 60_000, what: `the new gateway of ${inst.container}`})
    if (newPid === lock.pid || attempt === attempts) {
      const {stdout: startedAt} = await docker(['inspect', '-f', '{{.State.StartedAt}}', inst.container])
      return {fault: 'previous-incarnation', ...base, ...session, pid: lock.pid, lock: readJson(session.hostLockPath) ?? JSON.parse(written), written, legacy, oldGatewayPid: oldPid, gatewayPid: newPid, samePid: newPid === lock.pid, attempts: attempt, containerStartedAt: startedAt.trim()}
    }
  }
}

// ---- 2026.8+ faults ----------------------------------------------------------------------------
/**
 * (4)/(5) An exec'd two-process "turn" (parent `openclaw agent ... --timeout N`, child `openclaw-agent`) that opens
 * the db with OpenClaw's openNodeSqliteDatabase and sits inside BEGIN IMMEDIATE without writing. stop: SIGSTOP the
 * child; killClient: SIGKILL the docker exec client (the processes inside live on). A first real turn creates the
 * agent db when it is missing.
 */
async function sqliteWriter(fault, db, instance, {root, timeout = 600, stop = false, killClient = false} = {}) {
  const {inst, version, base} = context(instance, {root})
  if (!usesGatewayTurns(version)) throw new Error(`${fault}: OpenClaw ${version} keeps sessions in JSONL (before 2026.8); use dead-pid / live-holder / previous-incarnation`)
  if (!fs.existsSync(path.join(inst.stateDir, DATABASES[db]))) {
    const first = await realTurn(inst.id, {root})
    if (!first.ok) throw new Error(`the first real turn of ${inst.container} failed: ${first.error}`)
  }
  const held = await startExecHolder(inst.container, 'sqlite-hold', {db: `${CONTAINER_STATE_DIR}/${DATABASES[db]}`}, {timeout})
  const mode = await applyHolderMode(inst.container, held, {stop, killClient})
  const host = await waitFor(() => {
    const h = hostSqliteLocks(inst.id, {root, db})
    return h.writer && h
  }, {timeoutMs: 10_000, what: `the writer lock on ${DATABASES[db]}-shm in /proc/locks`}).catch(() => hostSqliteLocks(inst.id, {root, db}))
  const processes = (await processTree(inst.container)).filter((p) => p.pid === held.holder.pid || p.pid === held.parentPid)
  return {fault, ...base, db: `${CONTAINER_STATE_DIR}/${DATABASES[db]}`, hostDb: path.join(inst.stateDir, DATABASES[db]), pid: held.holder.pid, parentPid: held.parentPid, processes, opener: held.holder.opener, timeoutSec: timeout, ...mode, hostLocks: host, client: killClient ? undefined : held.client}
}

export const sqliteWriterFault = (instance, opts) => sqliteWriter('sqlite-writer', 'agent', instance, opts)
export const stateWriterFault = (instance, opts) => sqliteWriter('state-writer', 'state', instance, opts)

/**
 * (6) gateway-lock-reuse (upstream #135133): the gateway's lock files left by a previous incarnation whose pid the
 * new gateway gets again. The container is SIGKILLed (the lock files stay), gateway.state.lock and
 * gateway.<hash>.lock (files: 'both' | 'state' | 'config') are rewritten from the old gateway's own payload without
 * its startTime (keepStartTime: leave it), and the container is started again; when the new gateway's pid is not the
 * lock's, it is killed at once and started again (the pid is 6, 7 or 8 here), up to `attempts` times. With its own
 * pid in the lock and no startTime, the new gateway judges the lock "alive" (its own argv is a gateway's) and
 * refuses to start: `GatewayLockError: gateway already running (pid N)`. Resolves with the refusal line and timings.
 */
export async function gatewayLockReuse(instance, {root, keepStartTime = false, files = 'both', attempts = 20, waitMs = 60_000, reuse = 'rewrite'} = {}) {
  const {inst, version, base} = context(instance, {root})
  if (!usesGatewayTurns(version)) throw new Error(`gateway-lock-reuse: OpenClaw ${version} keeps its gateway lock in the container's /tmp (before 2026.8)`)
  const lockDir = path.join(inst.stateDir, GATEWAY_LOCK_DIR)
  const names = fs.readdirSync(lockDir).filter((f) => /^gateway\..*\.lock$/.test(f) && (files === 'both' || (files === 'state') === (f === 'gateway.state.lock')))
  const originals = Object.fromEntries(names.map((n) => [n, fs.readFileSync(path.join(lockDir, n), 'utf8')]))
  const payload = Object.fromEntries(names.map((n) => {
    const json = JSON.parse(originals[n])
    if (!keepStartTime) delete json.startTime
    return [n, json]
  }))
  let pid = Object.values(payload)[0]?.pid
  const pids = []
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await docker(['kill', '-s', 'KILL', inst.container], {reject: false})
    await waitFor(async () => (await containerStatus(inst.container)) !== 'running', {what: `${inst.container} to stop`})
    for (const n of names) {
      const raw = originals[n]
      fs.writeFileSync(path.join(lockDir, n), `${JSON.stringify(payload[n], null, 2)}\n${raw.slice(raw.lastIndexOf('}') + 2)}`)
    }
    const since = Date.now()
    await docker(['start', inst.container])
    const newPid = await waitFor(() => gatewayPid(inst.container), {timeoutMs: 30_000, intervalMs: 100, what: `the new gateway of ${inst.container}`})
    pids.push(newPid)
    // The new gateway got another low pid than the old one: the lock files now name it, as after a restart that
    // reuses the pid (the gateway takes its lock seconds after it appears, so this lands before it looks).
    if (newPid !== pid && reuse === 'rewrite') {
      for (const n of names) {
        payload[n] = {...payload[n], pid: newPid}
        const raw = originals[n]
        fs.writeFileSync(path.join(lockDir, n), `${JSON.stringify(payload[n], null, 2)}\n${raw.slice(raw.lastIndexOf('}') + 2)}`)
      }
      pid = newPid
    }
    if (newPid !== pid && attempt < attempts) continue
    // OpenClaw's judgement while the new gateway (the lock's pid) waits on the lock (its 5 s lock timeout)
    const judgement = newPid === pid ? await inContainer(inst.container, 'gateway-owner').catch((error) => ({error: error.message})) : null
    const {stdout: startedAt} = await docker(['inspect', '-f', '{{.State.StartedAt}}', inst.container])
    const outcome = await waitFor(async () => {
      const r = await docker(['logs', '--since', startedAt.trim(), inst.container], {reject: false})
      const lines = strip(`${r.stdout}\n${r.stderr}`).split('\n')
      const refused = lines.find((l) => /GatewayLockError|gateway already running/.test(l))
      if (refused) return {refused: refused.trim(), ms: Date.now() - since, logTail: lines.filter((l) => /gateway|lock/i.test(l)).slice(-8)}
      if (lines.some((l) => /\[gateway\]\S*\s+\S*ready\b/.test(l))) return {refused: null, ms: Date.now() - since, ready: true}
      return null
    }, {timeoutMs: waitMs, intervalMs: 250, what: `${inst.container} to refuse or be ready`}).catch(() => ({refused: null, ms: Date.now() - since, timedOut: true}))
    return {fault: 'gateway-lock-reuse', ...base, lockDir, files: names, payload, originals, keepStartTime, pid, gatewayPid: newPid, samePid: newPid === pid, attempts: attempt, pidsSeen: pids, judgementWhileStarting: judgement, ...outcome}
  }
}

// ---- process and container faults, every version ------------------------------------------------
/**
 * orphan: a real `openclaw agent` turn stuck on the delayed model stub whose docker exec client is SIGKILLed. The
 * turn's processes live on inside (and, up to 2026.7 with --local, keep the session lock).
 */
export async function realOrphan(instance, {root, holdMs = HOUR, timeout} = {}) {
  const {inst, version, base} = context(instance, {root})
  const {client} = await stuckRealTurn(inst, version, {holdMs, timeout})
  client.child.kill('SIGKILL')
  await client.exited
  await sleep(300)
  const tree = (await processTree(inst.container)).filter((p) => /openclaw/.test(p.args) && p.pid !== 1 && p.ppid !== 1 && !/gateway|ps -o/.test(p.args))
  if (tree.length === 0) throw new Error(`the orphaned turn did not survive its client in ${inst.container}`)
  return {fault: 'orphan', ...base, clientPid: client.pid, processes: tree, timeoutSec: timeout ?? 600}
}

/** frozen: SIGSTOP the gateway main process (midTurn: while it runs a real turn stuck on the model stub). */
export async function realFrozen(instance, {root, midTurn = false} = {}) {
  const {inst, version, base} = context(instance, {root})
  const pid = await gatewayPid(inst.container)
  const stuck = midTurn ? await stuckRealTurn(inst, version, {local: false}) : null
  await killInContainer(inst.container, pid, 'STOP')
  const proc = await procInfo(inst.container, pid)
  if (proc.state !== 'T') throw new Error(`gateway pid ${pid} in ${inst.container} is not stopped: ${JSON.stringify(proc)}`)
  return {fault: 'frozen', ...base, gatewayPid: pid, midTurn, process: proc, client: stuck?.client}
}

/** paused: docker pause (midTurn as in frozen). */
export async function realPaused(instance, {root, midTurn = false} = {}) {
  const {inst, version, base} = context(instance, {root})
  const stuck = midTurn ? await stuckRealTurn(inst, version, {local: false}) : null
  await docker(['pause', inst.container])
  return {fault: 'paused', ...base, midTurn, status: await containerStatus(inst.container), client: stuck?.client}
}

/** stopped: docker stop (kill: SIGKILL instead, as an OOM or a host crash). */
export async function realStopped(instance, {root, kill = false} = {}) {
  const {inst, base} = context(instance, {root})
  await docker(kill ? ['kill', '-s', 'KILL', inst.container] : ['stop', '--time', '10', inst.container], {timeoutMs: 60_000})
  return {fault: 'stopped', ...base, kill, status: await containerStatus(inst.container)}
}

/** shared-state: instance N's container is recreated mounting instance M's state dir (two real gateways, one dir). */
export async function realSharedState(instance, {root, other} = {}) {
  const {lab, inst, base} = context(instance, {root})
  other ??= lab.ids.includes(inst.id - 1) ? inst.id - 1 : inst.id + 1
  const peer = instanceOf(lab, other)
  if (peer.id === inst.id || !lab.ids.includes(peer.id)) throw new Error('shared-state needs two different instances in the lab (--size 2 or more)')
  lab.stateSources = {...lab.stateSources, [inst.id]: peer.stateDir}
  saveLab(lab)
  const ms = await recreateInstance(lab, inst.id)
  return {fault: 'shared-state', ...base, other: peer.id, otherContainer: peer.container, sharedDir: peer.stateDir, ms}
}

/** End the holder of a fault (SIGKILL its pid and parent inside the container, SIGCONT first if stopped). */
export async function endHolder(fault) {
  const pids = [fault.pid, fault.parentPid].filter(Boolean)
  await killInContainer(fault.container, pids, 'CONT')
  await killInContainer(fault.container, pids, 'KILL')
  fault.client?.child.kill('SIGKILL')
  return {container: fault.container, killed: pids}
}

/** Remove a lock file the fault left (as a heal would) when it is still there. */
const removeLock = async (fault) => {
  fs.rmSync(fault.hostLockPath, {force: true})
  return {removed: fault.hostLockPath}
}

/** The blunt end of gateway-lock-reuse: remove the gateway lock files, restart the container, wait ready. */
async function clearGatewayLocks(fault) {
  for (const name of fault.files) fs.rmSync(path.join(fault.lockDir, name), {force: true})
  await docker(['restart', '--time', '5', fault.container], {timeoutMs: 120_000})
  return {removed: fault.files, restarted: true, readyMs: await waitHealthy([fault.container], {timeoutMs: 300_000})}
}

const killOrphans = (fault) => killInContainer(fault.container, fault.processes.map((p) => p.pid)).then(() => ({killed: fault.processes.map((p) => p.pid)}))
const unfreeze = (fault) => killInContainer(fault.container, fault.gatewayPid, 'CONT').then(() => ({continued: fault.gatewayPid}))
const unpause = (fault) => docker(['unpause', fault.container]).then(() => ({unpaused: true}))
const startAgain = async (fault) => {
  await docker(['start', fault.container])
  return {started: true, readyMs: await waitHealthy([fault.container], {timeoutMs: 300_000})}
}
const nothing = async () => ({})

/**
 * Real faults by CLI name: inject (instance, opts); judge (instance, {root}): OpenClaw's own judgement, run in the
 * container; end (fault): undo what keeps the fault alive, the way a heal would (kill the holder, remove the lock,
 * SIGCONT, unpause, start).
 */
export const FAULTS = {
  'dead-pid': {upTo: '2026.7', inject: realDeadPid, judge: judgeSessionLocks, end: nothing},
  'live-holder': {upTo: '2026.7', inject: realLiveHolder, judge: judgeSessionLocks, end: endHolder},
  'previous-incarnation': {upTo: '2026.7', inject: realPreviousIncarnation, judge: judgeSessionLocks, end: removeLock},
  'sqlite-writer': {from: '2026.8', inject: sqliteWriterFault, judge: (i, o) => probeSqlite(i, {...o, db: 'agent'}), end: endHolder},
  'state-writer': {from: '2026.8', inject: stateWriterFault, judge: (i, o) => probeSqlite(i, {...o, db: 'state'}), end: endHolder},
  'gateway-lock-reuse': {from: '2026.8', inject: gatewayLockReuse, judge: judgeGatewayLock, end: clearGatewayLocks},
  orphan: {inject: realOrphan, end: killOrphans},
  frozen: {inject: realFrozen, end: unfreeze},
  paused: {inject: realPaused, end: unpause},
  stopped: {inject: realStopped, end: startAgain},
  'shared-state': {inject: realSharedState, end: nothing},
}

/** Whether a real fault applies to a version (lock files up to 2026.7, SQLite and gateway lock files from 2026.8). */
export const faultApplies = (name, version) => Boolean(FAULTS[name]) && (FAULTS[name].upTo ? !usesGatewayTurns(version) : FAULTS[name].from ? usesGatewayTurns(version) : true)

/** Drop live handles (docker exec clients) from a fault result, for printing. */
export const printable = ({client, ...rest}) => rest

// One agent turn (embedded runner) and the `openclaw agent` command.
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import {randomUUID} from 'node:crypto'
import {acquireSessionWriteLock, DEFAULT_MAX_HOLD_MS} from './lock.js'
import {messageLine, readControls, resolveSession, resolveStateDir, sessionHeader, touchSession} from './state.js'

export const GATEWAY_PORT = 18789

export class FailoverError extends Error {
  name = 'FailoverError'
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

export function replyFor(message) {
  return /reply exactly\s+(\S+)/i.exec(message)?.[1] ?? `echo: ${message}`
}

/** maxHoldMs as the real runner derives it from the run timeout: max(5 min, timeout + 2 min). */
const maxHoldFor = (timeoutSec) => (timeoutSec === 0 ? 2_147_000_000 : Math.max(DEFAULT_MAX_HOLD_MS, timeoutSec * 1000 + 120_000))

/**
 * Run one turn in this process: resolve the session, take its write lock (real protocol),
 * wait holdMs (or the slow-ms control), append user + assistant lines, release.
 * onLocked(lock, session) is called once the lock is held.
 */
export async function runTurn({agent = 'main', message, sessionId, holdMs = 0, timeoutSec = 600, onLocked} = {}) {
  const started = Date.now()
  const stateDir = resolveStateDir()
  const controls = readControls(stateDir)
  const session = await resolveSession(stateDir, agent, sessionId)
  const lock = await acquireSessionWriteLock(session.sessionFile, {format: controls.lockFormat, maxHoldMs: maxHoldFor(timeoutSec)})
  let result
  try {
    onLocked?.(lock, session)
    const wait = holdMs || controls.slowMs
    if (wait > 0) await sleep(wait)
    if (controls.modelError) throw new FailoverError('No API key found for provider "openai"')
    const text = controls.reply ?? replyFor(message)
    const header = fs.existsSync(session.sessionFile) ? [] : [sessionHeader(session.sessionId)]
    fs.appendFileSync(session.sessionFile, [...header, messageLine('user', message), messageLine('assistant', text), ''].join('\n'))
    result = {payloads: [{text, mediaUrl: null}], meta: {durationMs: Date.now() - started, agentMeta: {sessionId: session.sessionId, provider: 'lab', model: 'lab-echo'}}}
  } finally {
    await lock.release()
  }
  await touchSession(session).catch(() => {})
  return result
}

/** POST a JSON body to the local gateway; resolves {status, body}. */
export function gatewayRequest(path, body, {timeoutMs} = {}) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body ?? {})
    const req = http.request({host: '127.0.0.1', port: GATEWAY_PORT, path, method: 'POST', headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(data)}}, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => (text += chunk))
      res.on('end', () => {
        try {
          resolve({status: res.statusCode, body: JSON.parse(text)})
        } catch {
          resolve({status: res.statusCode, body: {error: text}})
        }
      })
    })
    if (timeoutMs) req.setTimeout(timeoutMs, () => req.destroy(new Error(`gateway timeout after ${timeoutMs}ms`)))
    req.on('error', reject)
    req.end(data)
  })
}

export const errorLine = (error) => `${error.name && error.name !== 'Error' ? error.name : 'Error'}: ${error.message}`

/** Set in the child `openclaw-agent` process of a turn. */
const CHILD_ENV = 'OPENCLAW_LAB_AGENT_CHILD'

/**
 * As in the real package, a turn is two processes: the `openclaw agent …` command (exec'd by docker exec:
 * PPID 0, its argv visible) starts a child titled `openclaw-agent` that runs the turn and takes the lock.
 * The parent relays the child's output and exit code, and passes SIGINT/SIGTERM/SIGHUP on to it. Nothing
 * ends either when the docker exec client dies.
 */
function runAsChild() {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, process.argv.slice(1), {stdio: 'inherit', env: {...process.env, [CHILD_ENV]: '1'}})
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal))
    child.on('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1) : 1)
      resolve()
    })
  })
}

/**
 * `openclaw agent`: --local runs the embedded runner; otherwise the turn goes to the gateway
 * and, when that fails, falls back to embedded (printing the real warning line).
 */
export async function agentCommand(flags) {
  if (flags.message && !process.env[CHILD_ENV]) return runAsChild()
  process.title = 'openclaw-agent'
  if (!flags.message) throw Object.assign(new Error('required option -m, --message <text> not specified'), {exitCode: 1})
  if (!flags.agent && !flags['session-id'] && !flags.to) throw new Error('Pass --to <E.164>, --session-id, or --agent to choose a session')
  const timeoutSec = flags.timeout === undefined ? 600 : Number(flags.timeout)
  const turn = {agent: flags.agent || 'main', message: flags.message, sessionId: flags['session-id'], timeoutSec}
  const holdMs = Number(process.env.OPENCLAW_LAB_HOLD_MS) || 0
  let output
  if (flags.local) {
    output = await runTurn({...turn, holdMs})
  } else {
    try {
      const res = await gatewayRequest('/agent', turn, {timeoutMs: timeoutSec > 0 ? timeoutSec * 1000 + 30_000 : undefined})
      if (res.status !== 200) throw Object.assign(new Error(res.body.error ?? `HTTP ${res.status}`), {name: 'GatewayClientRequestError'})
      output = res.body
    } catch (error) {
      process.stderr.write(`Gateway agent failed; falling back to embedded: ${errorLine(error)}\n`)
      const result = await runTurn({...turn, holdMs})
      result.meta.transport = 'embedded'
      result.meta.fallbackFrom = 'gateway'
      output = result
    }
  }
  const payloads = output.result?.payloads ?? output.payloads
  process.stdout.write(flags.json ? JSON.stringify(output, null, 2) + '\n' : payloads.map((p) => p.text).join('\n') + '\n')
}

/** The gateway's side of a turn request (POST /agent). */
export async function gatewayTurn(body) {
  const result = await runTurn({...body, holdMs: 0})
  return {runId: randomUUID(), status: 'ok', summary: 'completed', result}
}

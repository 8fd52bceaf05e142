// State dir, sessions index, transcripts and the lab's fault controls.
// Also imported by the host-side lab code (seeding, fault injection) so both write the same shapes.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {randomBytes, randomUUID} from 'node:crypto'
import {withStoreLock} from './lock.js'

export const VERSION = '2026.4.29'
export const COMMIT = 'lab0429'

/** OPENCLAW_STATE_DIR, else $OPENCLAW_HOME/.openclaw, else $HOME/.openclaw. */
export function resolveStateDir(env = process.env) {
  if (env.OPENCLAW_STATE_DIR) return path.resolve(env.OPENCLAW_STATE_DIR)
  if (env.OPENCLAW_HOME) return path.join(path.resolve(env.OPENCLAW_HOME), '.openclaw')
  return path.join(env.HOME || os.homedir(), '.openclaw')
}

export const sessionsDir = (stateDir, agent = 'main') => path.join(stateDir, 'agents', agent, 'sessions')
export const mainSessionKey = (agent = 'main') => `agent:${agent}:main`

/**
 * Lab controls: files under <state>/.lab/, read at every turn.
 *   slow-ms            hold the lock this many ms before replying
 *   reply              reply this text instead of the expected one
 *   model-error        fail like a model without credentials
 *   skip-startup-sweep the gateway does not sweep stale locks at start-up
 *   lock-format        payload format written: 2026.4.29 (default), 2026.2 (no starttime), 2026.5 (newline)
 */
export const CONTROLS = ['slow-ms', 'reply', 'model-error', 'skip-startup-sweep', 'lock-format', 'startup-ms', 'crash-after-ms', 'start-refusal']
export const controlPath = (stateDir, name) => path.join(stateDir, '.lab', name)

const numberOrNull = (v) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v))

export function readControls(stateDir) {
  const read = (name) => {
    try {
      return fs.readFileSync(controlPath(stateDir, name), 'utf8').trim()
    } catch {
      return undefined
    }
  }
  return {
    slowMs: Number(read('slow-ms')) || 0,
    reply: read('reply'),
    modelError: read('model-error') !== undefined,
    skipStartupSweep: read('skip-startup-sweep') !== undefined,
    /** A start refusal: the gateway logs `Gateway failed to start: <text>` and exits 1 (a crash loop under a restart policy). */
    startRefusal: read('start-refusal'),
    lockFormat: read('lock-format') || process.env.OPENCLAW_LAB_LOCK_FORMAT || '2026.4.29',
    // Read by the gateway when it starts: how long it takes to be ready (else OPENCLAW_LAB_STARTUP_MS), and a crash
    // (exit 1) this many ms after each start: with the container's restart policy, a crash loop.
    startupMs: numberOrNull(read('startup-ms')),
    crashAfterMs: numberOrNull(read('crash-after-ms')),
  }
}

// ---- transcripts (pi session format: a header line, then one line per message) -------
const entryId = () => randomBytes(4).toString('hex')

export const sessionHeader = (sessionId, timestamp = new Date().toISOString()) =>
  JSON.stringify({type: 'session', version: 3, id: sessionId, timestamp, cwd: '/home/node/.openclaw/workspace'})

export function messageLine(role, text, {timestamp = new Date().toISOString(), parentId = null} = {}) {
  const message = {role, content: [{type: 'text', text}], timestamp: Date.parse(timestamp)}
  if (role === 'assistant') Object.assign(message, {provider: 'lab', model: 'lab-echo', stopReason: 'stop', usage: {input: text.length + 12, output: text.length}})
  return JSON.stringify({type: 'message', id: entryId(), parentId, timestamp, message})
}

/** A whole transcript (header + user/assistant pairs) as file content. */
export function transcriptText(sessionId, turns, start = Date.now()) {
  const lines = [sessionHeader(sessionId, new Date(start).toISOString())]
  turns.forEach(([user, assistant], i) => {
    const at = (ms) => new Date(start + i * 60_000 + ms).toISOString()
    lines.push(messageLine('user', user, {timestamp: at(1000)}), messageLine('assistant', assistant, {timestamp: at(2500)}))
  })
  return lines.join('\n') + '\n'
}

// ---- sessions index ---------------------------------------------------------------------
const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return {}
  }
}

async function writeJsonAtomic(file, data) {
  const tmp = `${file}.${process.pid}.${entryId()}.tmp`
  await fsp.writeFile(tmp, JSON.stringify(data, null, 2))
  await fsp.rename(tmp, file)
}

/**
 * Resolve the session of a turn: an explicit --session-id, else the agent's main session
 * from sessions.json (created under sessions.json.lock when missing).
 */
export async function resolveSession(stateDir, agent = 'main', sessionId) {
  const dir = sessionsDir(stateDir, agent)
  await fsp.mkdir(dir, {recursive: true})
  const store = path.join(dir, 'sessions.json')
  const key = mainSessionKey(agent)
  if (!sessionId) {
    sessionId = readJson(store)[key]?.sessionId
    sessionId ??= await withStoreLock(store, async () => {
      const index = readJson(store)
      index[key] ??= {sessionId: randomUUID(), updatedAt: Date.now(), chatType: 'direct'}
      await writeJsonAtomic(store, index)
      return index[key].sessionId
    })
  }
  return {key, sessionId, sessionFile: path.join(dir, `${sessionId}.jsonl`), store}
}

/** Update the index entry's updatedAt after a turn (under the store lock), like the real runner. */
export async function touchSession(session) {
  await withStoreLock(session.store, async () => {
    const index = readJson(session.store)
    if (index[session.key]?.sessionId !== session.sessionId) return
    index[session.key].updatedAt = Date.now()
    await writeJsonAtomic(session.store, index)
  })
}

/** Seed a fresh state dir: sessions.json with the main session and a short transcript. */
export function seedState(stateDir, {agent = 'main', sessionId = randomUUID(), now = Date.now()} = {}) {
  const dir = sessionsDir(stateDir, agent)
  fs.mkdirSync(dir, {recursive: true})
  fs.mkdirSync(path.join(stateDir, 'workspace'), {recursive: true})
  fs.mkdirSync(path.join(stateDir, '.lab'), {recursive: true})
  fs.writeFileSync(path.join(stateDir, 'openclaw.json'), JSON.stringify({agents: {defaults: {model: 'lab/lab-echo'}, list: [{id: agent}]}, gateway: {port: 18789, bind: 'lan'}}, null, 2))
  const index = {[mainSessionKey(agent)]: {sessionId, updatedAt: now, chatType: 'direct'}}
  fs.writeFileSync(path.join(dir, 'sessions.json'), JSON.stringify(index, null, 2))
  fs.writeFileSync(path.join(dir, `${sessionId}.jsonl`), transcriptText(sessionId, [['hello', 'Hello! How can I help?']], now - 3_600_000))
  return {sessionId, sessionsDir: dir}
}

// The session write lock of OpenClaw 2026.4.29, as the real one behaves:
// open(lockPath, 'wx'), pretty JSON payload without trailing newline, retries with
// delay min(1000, 50 x attempt) until 10 s, judges a contended lock in this process's
// own PID namespace and reclaims it when stale; released on exit and on
// SIGINT/SIGTERM/SIGQUIT/SIGABRT; a watchdog releases it after maxHoldMs.
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'

export const ACQUIRE_TIMEOUT_MS = 10_000
export const STALE_MS = 30 * 60_000
/** Missing pid / invalid createdAt alone: reclaimed once the file's mtime is older than this. */
export const MTIME_FALLBACK_MS = 5_000
export const DEFAULT_MAX_HOLD_MS = 5 * 60_000
const WATCHDOG_INTERVAL_MS = 60_000
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGQUIT', 'SIGABRT']

export class SessionWriteLockTimeoutError extends Error {
  constructor(timeoutMs, owner, lockPath) {
    super(`session file locked (timeout ${timeoutMs}ms): ${owner} ${lockPath}`)
    this.name = 'SessionWriteLockTimeoutError'
    Object.assign(this, {timeoutMs, owner, lockPath})
  }
}

/** /proc/<pid>/stat fields parsed after the last ')' (the comm may contain anything). */
export function procStat(pid) {
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ')
    return {state: f[0], ppid: Number(f[1]), starttime: Number(f[19])}
  } catch {
    return null
  }
}

export function isPidAlive(pid) {
  try {
    process.kill(pid, 0)
  } catch (error) {
    if (error.code !== 'EPERM') return false
  }
  return procStat(pid)?.state !== 'Z'
}

const validNumber = (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0

/**
 * Lock payload in the writer's format: '2026.4.29' (default), '2026.2' (no starttime),
 * '2026.5' (trailing newline).
 */
export function lockPayload(format = '2026.4.29') {
  const payload = {pid: process.pid, createdAt: new Date().toISOString()}
  const starttime = procStat(process.pid)?.starttime
  if (format !== '2026.2' && validNumber(starttime)) payload.starttime = starttime
  return JSON.stringify(payload, null, 2) + (format === '2026.5' ? '\n' : '')
}

function readPayload(lockPath) {
  try {
    const parsed = JSON.parse(fs.readFileSync(lockPath, 'utf8'))
    return {
      pid: validNumber(parsed.pid) && parsed.pid > 0 ? parsed.pid : null,
      createdAt: typeof parsed.createdAt === 'string' ? parsed.createdAt : null,
      starttime: validNumber(parsed.starttime) ? parsed.starttime : null,
    }
  } catch {
    return null
  }
}

/** Judge a lock file the way 2026.4.29 does, in this process's PID namespace. */
export function inspectLock(lockPath, {staleMs = STALE_MS, nowMs = Date.now()} = {}) {
  const payload = readPayload(lockPath)
  const pid = payload?.pid ?? null
  const pidAlive = pid !== null && isPidAlive(pid)
  const createdAtMs = payload?.createdAt ? Date.parse(payload.createdAt) : NaN
  const ageMs = Number.isFinite(createdAtMs) ? Math.max(0, nowMs - createdAtMs) : null
  const current = pidAlive && payload.starttime !== null ? procStat(pid)?.starttime : undefined
  const staleReasons = []
  if (pid === null) staleReasons.push('missing-pid')
  else if (!pidAlive) staleReasons.push('dead-pid')
  else if (current !== undefined && current !== payload.starttime) staleReasons.push('recycled-pid')
  if (ageMs === null) staleReasons.push('invalid-createdAt')
  else if (ageMs > staleMs) staleReasons.push('too-old')
  return {lockPath, pid, pidAlive, createdAt: payload?.createdAt ?? null, ageMs, stale: staleReasons.length > 0, staleReasons}
}

function shouldReclaim(info, nowMs) {
  if (!info.stale) return false
  if (!info.staleReasons.every((r) => r === 'missing-pid' || r === 'invalid-createdAt')) return true
  try {
    return nowMs - fs.statSync(info.lockPath).mtimeMs > MTIME_FALLBACK_MS
  } catch (error) {
    return error.code !== 'ENOENT'
  }
}

// ---- locks held by this process -------------------------------------------------------
const held = new Map() // lockPath -> {fd, acquiredAt, maxHoldMs}
let watchdog

export function releaseAllLocksSync() {
  for (const [lockPath, lock] of held) {
    try { fs.closeSync(lock.fd) } catch {}
    try { fs.rmSync(lockPath, {force: true}) } catch {}
    held.delete(lockPath)
  }
}

function onSignal(signal) {
  releaseAllLocksSync()
  if (process.listenerCount(signal) === 1) {
    process.removeAllListeners(signal)
    process.kill(process.pid, signal)
  }
}

let registered = false
function register() {
  if (registered) return
  registered = true
  process.on('exit', releaseAllLocksSync)
  for (const signal of SIGNALS) process.on(signal, () => onSignal(signal))
  watchdog = setInterval(() => {
    const now = Date.now()
    for (const [lockPath, lock] of held) {
      if (now - lock.acquiredAt <= lock.maxHoldMs) continue
      process.stderr.write(`[session-write-lock] releasing lock held for ${now - lock.acquiredAt}ms (max=${lock.maxHoldMs}ms): ${lockPath}\n`)
      releaseLock(lockPath)
    }
  }, WATCHDOG_INTERVAL_MS)
  watchdog.unref()
}

function releaseLock(lockPath) {
  const lock = held.get(lockPath)
  if (!lock) return
  held.delete(lockPath)
  try { fs.closeSync(lock.fd) } catch {}
  fs.rmSync(lockPath, {force: true})
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Take the write lock of a session transcript. Returns {lockPath, payload, release()}.
 * Throws SessionWriteLockTimeoutError after timeoutMs.
 */
export async function acquireSessionWriteLock(sessionFile, {timeoutMs = ACQUIRE_TIMEOUT_MS, staleMs = STALE_MS, maxHoldMs = DEFAULT_MAX_HOLD_MS, format} = {}) {
  register()
  const dir = path.dirname(path.resolve(sessionFile))
  await fsp.mkdir(dir, {recursive: true})
  const lockPath = path.join(await fsp.realpath(dir).catch(() => dir), path.basename(sessionFile)) + '.lock'
  const startedAt = Date.now()
  for (let attempt = 1; Date.now() - startedAt < timeoutMs; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o644)
      const payload = lockPayload(format)
      fs.writeSync(fd, payload)
      held.set(lockPath, {fd, acquiredAt: Date.now(), maxHoldMs})
      return {lockPath, payload: JSON.parse(payload), release: async () => releaseLock(lockPath)}
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
    }
    const now = Date.now()
    if (shouldReclaim(inspectLock(lockPath, {staleMs, nowMs: now}), now)) {
      fs.rmSync(lockPath, {force: true})
      continue
    }
    const remaining = timeoutMs - (Date.now() - startedAt)
    if (remaining <= 0) break
    await sleep(Math.min(1000, 50 * attempt, remaining))
  }
  const pid = readPayload(lockPath)?.pid
  throw new SessionWriteLockTimeoutError(timeoutMs, pid ? `pid=${pid}` : 'unknown', lockPath)
}

/** The start-up / doctor sweep (cleanStaleLockFiles): inspect every *.jsonl.lock, remove the stale ones. */
export async function cleanStaleLockFiles(sessionsDir, {removeStale = true, staleMs = STALE_MS, log} = {}) {
  let names = []
  try {
    names = (await fsp.readdir(sessionsDir)).filter((n) => n.endsWith('.jsonl.lock')).sort()
  } catch (error) {
    if (error.code === 'ENOENT') return {locks: [], cleaned: []}
    throw error
  }
  const locks = names.map((name) => ({...inspectLock(path.join(sessionsDir, name), {staleMs}), removed: false}))
  for (const lock of locks.filter((l) => l.stale && removeStale)) {
    await fsp.rm(lock.lockPath, {force: true})
    lock.removed = true
    log?.(`removed stale session lock: ${lock.lockPath} (${lock.staleReasons.join(', ')})`)
  }
  return {locks, cleaned: locks.filter((l) => l.removed)}
}

/** The sessions.json index lock: 10 s timeout, 30 s stale (by mtime). */
export async function withStoreLock(storePath, fn, {timeoutMs = 10_000, staleMs = 30_000} = {}) {
  const lockPath = `${storePath}.lock`
  const startedAt = Date.now()
  for (;;) {
    try {
      const fd = fs.openSync(lockPath, 'wx', 0o644)
      fs.writeSync(fd, JSON.stringify({pid: process.pid, createdAt: new Date().toISOString()}, null, 2))
      fs.closeSync(fd)
      break
    } catch (error) {
      if (error.code !== 'EEXIST') throw error
      try {
        if (Date.now() - fs.statSync(lockPath).mtimeMs > staleMs) fs.rmSync(lockPath, {force: true})
      } catch {}
      if (Date.now() - startedAt > timeoutMs) throw new Error(`timeout waiting for session store lock: ${storePath}`)
      await sleep(25)
    }
  }
  try {
    return await fn()
  } finally {
    fs.rmSync(lockPath, {force: true})
  }
}

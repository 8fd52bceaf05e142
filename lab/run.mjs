// Process helpers for the lab: argv arrays only (never a shell string), a timeout on every call.
import {execFile, spawn} from 'node:child_process'

export class RunError extends Error {}

/**
 * Run a command; resolves {code, stdout, stderr, ms}. Rejects with RunError (carrying the same
 * fields) on a non-zero exit unless reject is false. timeoutMs kills the process (SIGKILL). env is added to
 * process.env; a variable given as undefined is left out of the child's environment.
 */
export function run(cmd, args, {reject = true, timeoutMs = 120_000, cwd, env, input} = {}) {
  const started = Date.now()
  return new Promise((resolve, rejectPromise) => {
    const child = execFile(cmd, args, {cwd, env: env && {...process.env, ...env}, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024}, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : error.killed ? 137 : 1) : 0
      const result = {code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - started}
      if (code !== 0 && reject) {
        const detail = (result.stderr || result.stdout).trim().split('\n').slice(-15).join('\n')
        return rejectPromise(Object.assign(new RunError(`${cmd} ${args.join(' ')} failed (exit ${code}${error?.killed ? ', timed out' : ''}): ${detail}`), result))
      }
      resolve(result)
    })
    if (input !== undefined) child.stdin.end(input)
  })
}

export const docker = (args, opts) => run('docker', args, opts)

/** Start a long-running client process (e.g. `docker exec ...`) without waiting; collects output. */
export function start(cmd, args, {env} = {}) {
  const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe'], env: env && {...process.env, ...env}})
  const out = {stdout: '', stderr: ''}
  child.stdout.on('data', (d) => (out.stdout += d))
  child.stderr.on('data', (d) => (out.stderr += d))
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({code, signal, ...out})))
  return {child, pid: child.pid, output: out, exited}
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

/** Poll fn until it returns a truthy value; throws `timed out waiting for <what>` after timeoutMs. */
export async function waitFor(fn, {timeoutMs = 60_000, intervalMs = 200, what = 'condition'} = {}) {
  const deadline = Date.now() + timeoutMs
  let last
  for (;;) {
    try {
      const value = await fn()
      if (value) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`)
    await sleep(intervalMs)
  }
}

/** Run async fn over items with at most `limit` at a time; results in input order. */
export async function mapLimit(items, limit, fn) {
  const results = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await fn(items[i], i)
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
  return results
}

let composeCmd
/** `docker compose` (v2) when available, else `docker-compose` (v1). LAB_COMPOSE overrides ("docker compose" / "docker-compose"). */
export async function composeCommand() {
  if (composeCmd) return composeCmd
  const forced = process.env.LAB_COMPOSE
  if (forced) return (composeCmd = forced.split(' '))
  const v2 = await run('docker', ['compose', 'version'], {reject: false, timeoutMs: 20_000})
  composeCmd = v2.code === 0 ? ['docker', 'compose'] : ['docker-compose']
  return composeCmd
}

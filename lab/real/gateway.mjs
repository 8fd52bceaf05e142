// Helpers to run REAL OpenClaw gateways (images from lab/real/build.mjs) in offline containers and
// to drive them from the host: start, wait for ready, send a turn, look inside.
// Every container: `docker run -d --init --network none`, named ocreal-*, the state dir a host dir
// bind-mounted at /home/node/.openclaw (owned by 1000:1000).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {docker, sleep} from '../run.mjs'
import {CONTAINER_STATE_DIR, GATEWAY_PORT, IMAGE_REPO, MODEL_PORT} from './build.mjs'
import {openclawConfig} from './model.mjs'

export const SMOKE_MESSAGE = 'Reply exactly SPEED_OK'

/** True when this OpenClaw version keeps sessions in SQLite and refuses --local while a gateway runs (2026.8+). */
export function usesGatewayTurns(version) {
  const [y, m] = String(version).split('.').map(Number)
  return y > 2026 || (y === 2026 && m >= 8)
}

/**
 * Make a host state dir for one gateway (default: a fresh dir under the OS temp dir), write
 * openclaw.json (openclawConfig for this version) and chown it to 1000:1000 when run as root.
 * Returns the dir.
 */
export function prepareStateDir(version, {stateDir, config} = {}) {
  const dir = stateDir ?? fs.mkdtempSync(path.join(os.tmpdir(), `ocreal-${version}-`))
  fs.mkdirSync(dir, {recursive: true})
  fs.writeFileSync(path.join(dir, 'openclaw.json'), JSON.stringify(config ?? openclawConfig({port: MODEL_PORT, version}), null, 2) + '\n')
  if (process.getuid?.() === 0) for (const p of [dir, path.join(dir, 'openclaw.json')]) fs.chownSync(p, 1000, 1000)
  else fs.chmodSync(dir, 0o777)
  return dir
}

/**
 * `docker run -d --init --network none --name <name> -v <stateDir>:/home/node/.openclaw <image>`.
 * Returns {container, image, stateDir, runMs, startedAt}. An existing container of that name is
 * removed first (names are ocreal-*: ours).
 */
export async function startGateway(version, {name = `ocreal-${version}`, image = `${IMAGE_REPO}:${version}`, stateDir, env = {}, extraArgs = []} = {}) {
  if (!name.startsWith('ocreal-')) throw new Error(`container names must start with ocreal- (got ${name})`)
  const dir = stateDir ?? prepareStateDir(version)
  await removeContainer(name)
  const started = Date.now()
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
  await docker(['run', '-d', '--init', '--network', 'none', '--name', name, '--label', 'openclaw-real=1', '-v', `${dir}:${CONTAINER_STATE_DIR}`, ...envArgs, ...extraArgs, image], {timeoutMs: 120_000})
  const runMs = Date.now() - started
  const {stdout} = await docker(['inspect', '-f', '{{.State.StartedAt}}', name])
  return {container: name, image, stateDir: dir, runMs, startedAt: stdout.trim(), startedMs: started}
}

/** GET a gateway path from inside the container (busybox wget); resolves {status, body} (status 0: no answer). */
export async function gatewayGet(container, urlPath) {
  const r = await docker(['exec', container, 'sh', '-c', `timeout 5 wget -S -q -O - http://127.0.0.1:${GATEWAY_PORT}${urlPath} 2>&1`], {reject: false, timeoutMs: 20_000})
  const status = Number(r.stdout.match(/HTTP\/1\.\d (\d{3})/)?.[1] ?? 0)
  const body = r.stdout.replace(/^\s*HTTP\/[\s\S]*?\r?\n\r?\n/, '').split('\n').filter((l) => !/^\s{2}\S/.test(l) && !/^wget:/.test(l)).join('\n').trim()
  return {status, body}
}

/**
 * Wait until the gateway is ready: `[gateway] ready` in docker logs (or /readyz 200 from inside).
 * Returns {ms, via, logLine} where ms counts from sinceMs (default now).
 */
export async function waitReady(container, {timeoutMs = 300_000, sinceMs = Date.now(), intervalMs = 1000} = {}) {
  const deadline = sinceMs + timeoutMs
  for (;;) {
    const logs = await docker(['logs', container], {reject: false, timeoutMs: 30_000})
    const text = `${logs.stdout}\n${logs.stderr}`
    const line = text.split('\n').find((l) => /\[gateway\]\S*\s+\S*ready\b/.test(l.replace(/\x1b\[[0-9;]*m/g, '')))
    if (line) return {ms: Date.now() - sinceMs, via: 'log', logLine: line.replace(/\x1b\[[0-9;]*m/g, '').trim()}
    const state = await docker(['inspect', '-f', '{{.State.Status}}', container], {reject: false})
    if (state.stdout.trim() !== 'running') throw new Error(`${container} is ${state.stdout.trim()} before ready:\n${text.split('\n').slice(-30).join('\n')}`)
    const ready = await gatewayGet(container, '/readyz')
    if (ready.status === 200) return {ms: Date.now() - sinceMs, via: 'readyz', logLine: ready.body}
    if (Date.now() > deadline) throw new Error(`${container}: not ready after ${timeoutMs} ms:\n${text.split('\n').slice(-30).join('\n')}`)
    await sleep(intervalMs)
  }
}

/** The argv of one smoke turn: --local up to 2026.7, through the gateway from 2026.8. */
export function turnArgs(version, {message = SMOKE_MESSAGE, local = !usesGatewayTurns(version), sessionId, timeoutS} = {}) {
  return ['openclaw', 'agent', ...(local ? ['--local'] : []), '--agent', 'main', ...(sessionId ? ['--session-id', sessionId] : []), '--message', message, '--thinking', 'low', '--json', ...(timeoutS ? ['--timeout', String(timeoutS)] : [])]
}

/** Parse the turn's JSON (stdout may carry log lines before it). */
export function parseTurn(stdout) {
  const at = stdout.indexOf('{')
  if (at < 0) return undefined
  try {
    return JSON.parse(stdout.slice(at))
  } catch {
    return undefined
  }
}

/** The reply text of a parsed turn (`payloads[].text` with --local, `result.payloads[].text` through the gateway). */
export const replyText = (json) => (json?.payloads ?? json?.result?.payloads ?? []).map((p) => p.text).filter(Boolean).join('\n')

/**
 * `docker exec <container> openclaw agent ... --json`. Resolves {code, stdout, stderr, ms, json, text}.
 * timeoutMs kills the host-side client only (the process inside lives on: see the facts file).
 */
export async function agentTurn(container, version, {timeoutMs = 600_000, env = {}, ...opts} = {}) {
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
  const r = await docker(['exec', ...envArgs, container, ...turnArgs(version, opts)], {reject: false, timeoutMs})
  const json = parseTurn(r.stdout)
  return {...r, json, text: replyText(json)}
}

/** `ps -o pid,ppid,user,args` inside the container → [{pid, ppid, user, args}]. */
export async function processTree(container) {
  const r = await docker(['exec', container, 'ps', '-o', 'pid,ppid,user,args'], {reject: false, timeoutMs: 20_000})
  return r.stdout.split('\n').slice(1).filter(Boolean).map((line) => {
    const [pid, ppid, user, ...args] = line.trim().split(/\s+/)
    return {pid: Number(pid), ppid: Number(ppid), user, args: args.join(' ')}
  })
}

/** Field 22 (starttime) and the cmdline of a pid inside the container. */
export async function procInfo(container, pid) {
  const r = await docker(['exec', container, 'sh', '-c', `cat /proc/${pid}/stat; echo ---; tr '\\0' ' ' < /proc/${pid}/cmdline`], {reject: false, timeoutMs: 20_000})
  const [stat = '', cmdline = ''] = r.stdout.split('---\n').map((s) => s.trim())
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return {pid, starttime: Number(fields[19]), state: fields[0], ppid: Number(fields[1]), cmdline: cmdline.trim()}
}

/** Files under the host state dir whose name matches re (relative paths), with size; readable as root. */
export function findFiles(stateDir, re) {
  const out = []
  const walk = (rel) => {
    let entries = []
    try {
      entries = fs.readdirSync(path.join(stateDir, rel), {withFileTypes: true})
    } catch {
      return
    }
    for (const e of entries) {
      const sub = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) walk(sub)
      else if (re.test(e.name)) {
        try {
          out.push({path: sub, bytes: fs.statSync(path.join(stateDir, sub)).size})
        } catch {}
      }
    }
  }
  walk('')
  return out
}

/** Session write lock files (`*.jsonl.lock`) in the host state dir, with their exact bytes. */
export function sessionLocks(stateDir) {
  return findFiles(stateDir, /\.jsonl\.lock$/).map((f) => {
    let raw = ''
    try {
      raw = fs.readFileSync(path.join(stateDir, f.path), 'utf8')
    } catch {}
    let json
    try {
      json = JSON.parse(raw)
    } catch {}
    const st = (() => {
      try {
        return fs.statSync(path.join(stateDir, f.path))
      } catch {
        return undefined
      }
    })()
    return {...f, raw, json, trailingNewline: raw.endsWith('\n'), mode: st ? (st.mode & 0o777).toString(8) : undefined, uid: st?.uid}
  })
}

/** Remove a container of ours (ocreal-* only); ignores a missing one. */
export async function removeContainer(name) {
  if (!name.startsWith('ocreal-')) throw new Error(`refusing to remove ${name}: not an ocreal- container`)
  await docker(['rm', '-f', name], {reject: false, timeoutMs: 90_000})
}

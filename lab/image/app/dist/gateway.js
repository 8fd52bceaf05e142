// `openclaw gateway`: the gateway main process. HTTP on 127.0.0.1/0.0.0.0:18789:
//   GET  /healthz            200 {"ok":true,"status":"live"}
//   GET  /readyz             503 {"ready":false,"failing":["startup-sidecars"]} while starting, then 200
//   POST /agent              run a turn in the gateway process (the real one speaks WebSocket RPC)
//   POST /lab/turn?holdMs=N  lab only: the gateway itself takes the session lock and holds it N ms;
//                            answers as soon as the lock is held
//   GET  /lab/info           lab only: {pid, starttime, ...} of the gateway process
// The same routes are also served on the unix socket <state>/.lab/gateway.sock (lab only): the host reaches the
// gateway without a `docker exec` (the containers have no network), e.g. the storm benchmark's chat load.
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import {errorLine, gatewayTurn, runTurn} from './agent.js'
import {cleanStaleLockFiles, procStat, releaseAllLocksSync} from './lock.js'
import {COMMIT, readControls, resolveStateDir, VERSION} from './state.js'

const log = (line) => console.log(`[gateway] ${line}`)

async function startupSweep(stateDir) {
  const agentsDir = path.join(stateDir, 'agents')
  const agents = fs.existsSync(agentsDir) ? fs.readdirSync(agentsDir) : []
  for (const agent of agents) await cleanStaleLockFiles(path.join(agentsDir, agent, 'sessions'), {log})
}

const readBody = (req) =>
  new Promise((resolve) => {
    let text = ''
    req.on('data', (chunk) => (text += chunk))
    req.on('end', () => {
      try {
        resolve(text ? JSON.parse(text) : {})
      } catch {
        resolve({})
      }
    })
  })

/** Lab only: the routes on <state>/.lab/gateway.sock too (a previous incarnation's socket file is replaced). */
function listenOnLabSocket(server, stateDir) {
  const socketPath = path.join(stateDir, '.lab', 'gateway.sock')
  try {
    fs.mkdirSync(path.dirname(socketPath), {recursive: true})
    fs.rmSync(socketPath, {force: true})
  } catch (error) {
    return log(`lab socket unavailable: ${errorLine(error)}`)
  }
  const local = http.createServer((req, res) => server.emit('request', req, res))
  local.on('error', (error) => log(`lab socket unavailable: ${errorLine(error)}`))
  local.listen(socketPath)
}

export async function gatewayCommand(flags) {
  process.title = 'openclaw-gateway'
  const stateDir = resolveStateDir()
  const port = Number(flags.port ?? 18789)
  const host = flags.bind === 'loopback' ? '127.0.0.1' : '0.0.0.0'
  const startedAt = new Date().toISOString()
  let ready = false

  const send = (res, status, body) => {
    res.writeHead(status, {'content-type': 'application/json'})
    res.end(JSON.stringify(body))
  }
  const routes = {
    'GET /healthz': () => [200, {ok: true, status: 'live'}],
    'GET /readyz': () => (ready ? [200, {ready: true}] : [503, {ready: false, failing: ['startup-sidecars']}]),
    'GET /lab/info': () => [200, {pid: process.pid, ppid: process.ppid, starttime: procStat(process.pid)?.starttime, title: process.title, version: VERSION, ready, startedAt, stateDir}],
    'POST /agent': async (req) => {
      const body = await readBody(req)
      try {
        return [200, await gatewayTurn(body)]
      } catch (error) {
        console.log(`[agent] lane task error: lane=session:agent:${body.agent ?? 'main'}:main error="${errorLine(error)}"`)
        return [500, {ok: false, error: errorLine(error)}]
      }
    },
    'POST /lab/turn': (req, url) =>
      new Promise((resolve) => {
        const holdMs = Number(url.searchParams.get('holdMs')) || 0
        const turn = {agent: url.searchParams.get('agent') || 'main', sessionId: url.searchParams.get('sessionId') || undefined, message: 'lab: gateway turn', holdMs, timeoutSec: 0}
        runTurn({
          ...turn,
          onLocked: (lock, session) => {
            log(`lab turn holds ${lock.lockPath} for ${holdMs}ms`)
            resolve([200, {ok: true, pid: process.pid, starttime: lock.payload.starttime ?? null, createdAt: lock.payload.createdAt, lockPath: lock.lockPath, sessionId: session.sessionId, holdMs}])
          },
        }).catch((error) => {
          console.log(`[agent] lane task error: lane=session:agent:${turn.agent}:main error="${errorLine(error)}"`)
          resolve([409, {ok: false, error: errorLine(error)}])
        })
      }),
  }
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://gateway')
    const route = routes[`${req.method} ${url.pathname}`]
    if (!route) return send(res, 404, {ok: false, error: 'not found'})
    const [status, body] = await route(req, url)
    send(res, status, body)
  })

  log(`starting OpenClaw ${VERSION} (${COMMIT}) pid=${process.pid} state=${stateDir}`)
  server.listen(port, host, () => log(`listening on ws://${host}:${port} (bind=${flags.bind ?? 'loopback'})`))
  listenOnLabSocket(server, stateDir)
  for (const signal of ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      log(`signal ${signal} received; shutting down`)
      releaseAllLocksSync()
      process.exit(0)
    })
  }

  // Lab controls, read at each start: .lab/start-refusal (the gateway refuses to start: one line, then exit 1, as real
  // 2026.9 gateways refuse for a migration, a schema, a lease), .lab/crash-after-ms (it exits 1 soon after each start)
  // and .lab/startup-ms (this instance's time to ready). Under the container's restart policy both crash controls loop.
  const controls = readControls(stateDir)
  if (controls.startRefusal) {
    log(`Gateway failed to start: ${controls.startRefusal}`)
    process.exit(1)
  }
  if (controls.crashAfterMs !== null)
    setTimeout(() => {
      console.error(`[gateway] fatal: lab control crash-after-ms: exiting 1 ${controls.crashAfterMs}ms after the start`)
      process.exit(1)
    }, controls.crashAfterMs)
  // The real gateway needs 16-23 s (2026.4.29) to minutes (2026.9.6) before it is ready; the lab default is 1.5 s.
  await new Promise((resolve) => setTimeout(resolve, controls.startupMs ?? Number(process.env.OPENCLAW_LAB_STARTUP_MS ?? 1500)))
  if (readControls(stateDir).skipStartupSweep) log('startup session lock sweep skipped (lab control .lab/skip-startup-sweep)')
  else await startupSweep(stateDir).catch((error) => log(`session lock sweep failed: ${errorLine(error)}`))
  ready = true
  log('ready')
}

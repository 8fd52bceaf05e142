// Simulated OpenClaw 2026.4.29 CLI (lab only). Commands:
//   openclaw --version | -V
//   openclaw agent [--local] (--agent ID | --session-id ID) -m TEXT [--thinking L] [--json] [--timeout S]
//   openclaw gateway [--bind lan|loopback] [--port 18789]
//   openclaw health [--json]        openclaw channels status --probe
//   openclaw doctor [--non-interactive] [--fix]
import http from 'node:http'
import path from 'node:path'
import fs from 'node:fs'
import {agentCommand, errorLine, GATEWAY_PORT} from './agent.js'
import {gatewayCommand} from './gateway.js'
import {cleanStaleLockFiles} from './lock.js'
import {COMMIT, resolveStateDir, VERSION} from './state.js'

const SHORT = {m: 'message', t: 'to', V: 'version', h: 'help'}
const BOOLEAN = new Set(['local', 'json', 'version', 'help', 'probe', 'fix', 'non-interactive', 'deliver', 'verbose'])

export function parseArgs(argv) {
  const positional = []
  const flags = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const match = /^--?([^=]+)(?:=(.*))?$/.exec(arg)
    if (!match || arg === '-') {
      positional.push(arg)
      continue
    }
    const name = SHORT[match[1]] ?? match[1]
    flags[name] = match[2] ?? (BOOLEAN.has(name) ? true : argv[++i])
  }
  return {positional, flags}
}

const getJson = (pathname) =>
  new Promise((resolve, reject) => {
    http.get({host: '127.0.0.1', port: GATEWAY_PORT, path: pathname, timeout: 5000}, (res) => {
      let text = ''
      res.on('data', (c) => (text += c))
      res.on('end', () => resolve({status: res.statusCode, body: JSON.parse(text || '{}')}))
    }).on('error', reject).on('timeout', function () {
      this.destroy(new Error('gateway timeout after 5000ms'))
    })
  })

async function health(flags) {
  const res = await getJson('/healthz')
  const out = {ok: res.body.ok === true, ts: Date.now(), version: VERSION, defaultAgentId: 'main', agents: [{agentId: 'main', isDefault: true}]}
  console.log(flags.json ? JSON.stringify(out, null, 2) : `Gateway: ok (${VERSION})`)
}

const age = (ms) => (ms === null ? '?' : ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${Math.floor((ms % 60_000) / 1000)}s` : `${Math.floor(ms / 1000)}s`)

/** Lab only: does a gateway serve this state dir now (its lab socket answers)? A stale socket file refuses. */
const gatewayOwnsState = (stateDir) =>
  new Promise((resolve) => {
    const req = http.get({socketPath: path.join(stateDir, '.lab', 'gateway.sock'), path: '/lab/info', timeout: 2000}, (res) => {
      res.resume()
      resolve(true)
    })
    req.on('error', () => resolve(false)).on('timeout', () => req.destroy())
  })

/**
 * `openclaw doctor --fix` and a start refusal (the lab control .lab/start-refusal, the 2026.9 refusals that ask for
 * it). As real 2026.9.6 does: it refuses while a gateway owns the state (`Doctor could not enter maintenance …`, seen
 * live), repairs otherwise; OPENCLAW_SERVICE_REPAIR_POLICY=external (run it that way in containers) only keeps it
 * away from service control. Real 2026.9.6 in a one-off container without systemd ran the same with and without the
 * policy var (it manages no service in a container either way), so the simulator does not refuse without it: it
 * says which policy it ran under (a lab-only line).
 */
async function fixStartRefusal(stateDir) {
  const control = path.join(stateDir, '.lab', 'start-refusal')
  const policy = (process.env.OPENCLAW_SERVICE_REPAIR_POLICY ?? '').trim().toLowerCase() === 'external' ? 'external' : 'auto'
  console.log(`[lab] service repair policy: ${policy}`)
  if (policy === 'external') console.log('Gateway service is managed externally; skipped service install/start repair. Start or repair the gateway through your supervisor.')
  if (!fs.existsSync(control)) return console.log('Startup state: no repair needed.')
  if (await gatewayOwnsState(stateDir)) {
    console.error(
      'Doctor could not enter maintenance. Error: another OpenClaw process owns gateway-lifecycle. Stop the Gateway service and other OpenClaw processes using this state, then run openclaw doctor --fix from an independent shell.',
    )
    process.exitCode = 1
    return
  }
  const refusal = fs.readFileSync(control, 'utf8').trim()
  fs.rmSync(control, {force: true})
  console.log(`Doctor changes:\n- Repaired the start refusal: ${refusal}\n- [lab] removed the lab control ${control}`)
}

async function doctor(flags) {
  if (flags.fix) await fixStartRefusal(resolveStateDir())
  if (process.exitCode) return
  const agentsDir = path.join(resolveStateDir(), 'agents')
  const agents = fs.existsSync(agentsDir) ? fs.readdirSync(agentsDir) : []
  console.log('Session locks:')
  for (const agent of agents) {
    const {locks} = await cleanStaleLockFiles(path.join(agentsDir, agent, 'sessions'), {removeStale: Boolean(flags.fix)})
    for (const l of locks) {
      const state = l.pid === null ? 'unknown' : l.pidAlive ? 'alive' : 'dead'
      console.log(`- ${l.lockPath} pid=${l.pid ?? '?'} (${state}) age=${age(l.ageMs)} stale=${l.stale ? 'yes' : 'no'}${l.stale ? ` (${l.staleReasons.join(', ')})` : ''}${l.removed ? ' removed' : ''}`)
    }
    if (locks.length === 0) console.log(`- none (${agent})`)
  }
}

export async function main(argv) {
  const {positional, flags} = parseArgs(argv)
  const [command, sub] = positional
  if (flags.version && !command) return console.log(`OpenClaw ${VERSION} (${COMMIT})`)
  // Like the real CLI: `openclaw <command> --help` prints that command's usage and exits 0, before any action.
  if (flags.help && command) return console.log(`OpenClaw ${VERSION} (${COMMIT}) lab simulator\nUsage: openclaw ${command} [options]`)
  switch (command) {
    case 'agent':
      return agentCommand(flags)
    case 'gateway':
      return gatewayCommand(flags)
    case 'health':
      return health(flags)
    case 'doctor':
      return doctor(flags)
    case 'channels':
      if (sub === 'status') {
        await getJson('/healthz')
        return console.log('Gateway reachable.')
      }
      break
  }
  console.log(`OpenClaw ${VERSION} (${COMMIT}) lab simulator\nUsage: openclaw <agent|gateway|health|doctor|channels status> [options]`)
  if (!flags.help) process.exitCode = 1
}

main(process.argv.slice(2)).then(
  () => {
    // The gateway keeps running; every other command ends here (even with a pending watchdog).
    if (process.title !== 'openclaw-gateway') process.exit(process.exitCode ?? 0)
  },
  (error) => {
    process.stderr.write(`${errorLine(error)}\n`)
    process.exit(1)
  },
)

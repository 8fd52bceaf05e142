// fleet upgrade against the other ways to roll a new image (issue 27, benchmark), on REAL OpenClaw, one fresh one-gateway
// lab per arm (2026.9.5), under the same load: one user turn in flight (the model stub answers after --delay seconds),
// sent through the gateway as users send it, when the upgrade to 2026.9.6 starts. Arms:
//   fleet    `fleet upgrade --image <9.6> --yes` (drain, stop with the stop budget, backup, switch, recreate, gate)
//   compose  the operators' way: the compose file's image edited, `docker-compose … up -d` (Docker's 10 s stop)
//   healthz  what `openclaw fleet upgrade` does: the image switched, the service recreated, committed when /healthz
//            answers within 60 s, else the old file put back and the service recreated again
// Then, on the upgraded gateway, a broken image (its package at 2026.9.7, a command that exits at once): fleet and
// healthz roll back by themselves; the compose way leaves the gateway down until a person acts.
// Per arm: whether the turn in flight was killed, the downtime (the container's old incarnation seen not running, to
// the new gateway's ready line), and for the broken image the time until the gateway answers a turn again.
//
//   node bench/upgrade.mjs [--delay 45] [--arms fleet,compose,healthz]     merges {upgrade} into bench/results.json
//
// Instance ids 650-652 (one per arm); labs under $TMPDIR/fleet-bench-upgrade-*/lab, removed at the end, on failure and
// on SIGINT/SIGTERM.
import {execa} from 'execa'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parseArgs} from 'node:util'
import {containerName, up, waitHealthy as labWaitHealthy} from '../lab/compose.mjs'
import {buildRealImage} from '../lab/real/build.mjs'
import {BIN, log, machine, mergeResults, onSignals, removeBenchLab, ROOT_PREFIX, round} from './lib.mjs'

const {values} = parseArgs({options: {delay: {type: 'string', default: '45'}, arms: {type: 'string', default: 'fleet,compose,healthz'}}})
const DELAY_MS = Number(values.delay) * 1000
const ARMS = values.arms.split(',')
const FROM = '2026.9.5'
const TO = '2026.9.6'
const MIN = 60_000
const READY_RE = /\[gateway\]\S*\s+\S*ready\b/
const BROKEN = 'fleet-bench-upgrade:broken'
const roots = []
const unregister = onSignals(async () => {
  for (const r of roots) await removeBenchLab(r)
})

const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const dockerJson = async (args) => JSON.parse((await execa('docker', args, {timeout: MIN})).stdout)

/** The broken image: 9.6 with its package at 2026.9.7 (an upgrade to fleet's preflight) and a command that exits at once. */
async function makeBroken(from) {
  const name = `fleet-bench-broken-${process.pid}`
  await execa('docker', ['rm', '-f', name], {reject: false})
  await execa('docker', ['create', '--name', name, from], {timeout: MIN})
  try {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fleet-bench-broken-'))
    await execa('docker', ['cp', `${name}:/app/package.json`, dir], {timeout: MIN})
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({...pkg, version: '2026.9.7'}))
    await execa('docker', ['cp', path.join(dir, 'package.json'), `${name}:/app/package.json`], {timeout: MIN})
    await execa('docker', ['commit', '--change', 'CMD ["sh","-c","echo Gateway failed to start: broken build; exit 3"]', name, BROKEN], {timeout: 5 * MIN})
  } finally {
    await execa('docker', ['rm', '-f', name], {reject: false})
  }
}

/** Watches a container by name: when its old incarnation is first seen not running (ms). */
function watchDown(container) {
  let stop = false
  let downAt = null
  const first = execa('docker', ['inspect', '-f', '{{.Id}}', container], {reject: false})
  const done = (async () => {
    const id0 = (await first).stdout.trim()
    while (!stop && downAt === null) {
      const r = await execa('docker', ['inspect', '-f', '{{.Id}} {{.State.Running}}', container], {reject: false})
      const [id, running] = r.stdout.trim().split(' ')
      if (r.exitCode !== 0 || id !== id0 || running !== 'true') downAt = Date.now()
      else await sleep(300)
    }
  })()
  return {
    async end() {
      stop = true
      await done
      return downAt
    },
  }
}

async function readyAfter(container, sinceMs, capMs = 15 * MIN) {
  const deadline = Date.now() + capMs
  while (Date.now() < deadline) {
    const r = await execa('docker', ['logs', '--timestamps', '--since', new Date(sinceMs - 1000).toISOString(), container], {reject: false, timeout: MIN})
    const line = `${r.stdout}\n${r.stderr}`.split('\n').find((x) => READY_RE.test(x) && Date.parse(x.split(' ')[0]) >= sinceMs)
    if (line) return Date.parse(line.split(' ')[0])
    await sleep(2000)
  }
  return null
}

const turn = (container, session, reply) =>
  execa('docker', ['exec', container, 'openclaw', 'agent', '--agent', 'main', '--session-id', session, '--message', `Reply exactly ${reply}`, '--json', '--timeout', '900'], {
    reject: false,
    timeout: 20 * MIN,
  })
const answered = (r, reply) => r.exitCode === 0 && r.stdout.includes(reply)

/** A turn until one answers (each bounded), or the cap: when the gateway answered. */
async function answersAgain(container, capMs = 15 * MIN) {
  const deadline = Date.now() + capMs
  while (Date.now() < deadline) {
    const r = await turn(container, `bench-upgrade-probe-${Date.now()}`, 'BACK_OK')
    if (answered(r, 'BACK_OK')) return Date.now()
    await sleep(3000)
  }
  return null
}

async function gatewayWork(container) {
  const r = await execa('docker', ['exec', container, 'openclaw', 'gateway', 'call', 'gateway.restart.preflight', '--json'], {reject: false, timeout: 3 * MIN})
  try {
    return JSON.parse(r.stdout)?.counts?.totalActive ?? null
  } catch {
    return null
  }
}

function composeOf(root) {
  const lab = JSON.parse(fs.readFileSync(path.join(root, 'lab.json'), 'utf8'))
  const g = lab.groups[0]
  return {file: path.join(root, 'openclaw', g.composeFile), env: path.join(root, 'openclaw', g.envFile), dir: path.join(root, 'openclaw'), service: `openclaw-gateway-${lab.ids[0]}`}
}
const compose = (c, args) => execa('docker-compose', ['-p', 'openclaw', '--env-file', c.env, '-f', c.file, ...args], {cwd: c.dir, reject: false, timeout: 20 * MIN})
const setImage = (c, image) => {
  const text = fs.readFileSync(c.file, 'utf8')
  fs.writeFileSync(c.file, text.replace(/(\n\s+image: )(\S+)/, `$1${image}`))
  return text
}

/** openclaw fleet upgrade's way: recreate, commit when /healthz answers within 60 s, else the old file back and recreate. */
async function healthzUpgrade(c, container, image) {
  const old = setImage(c, image)
  await compose(c, ['up', '-d', '--no-deps', '--force-recreate', c.service])
  const deadline = Date.now() + 60_000
  while (Date.now() < deadline) {
    const r = await execa('docker', ['exec', container, 'timeout', '3', 'wget', '-q', '-O', '-', 'http://127.0.0.1:18789/healthz'], {reject: false, timeout: 10_000})
    if (r.exitCode === 0) return {committed: true}
    await sleep(2000)
  }
  fs.writeFileSync(c.file, old)
  await compose(c, ['up', '-d', '--no-deps', '--force-recreate', c.service])
  return {committed: false}
}

async function oneArm(arm, id, target) {
  const root = path.join(fs.mkdtempSync(path.join(os.tmpdir(), `${ROOT_PREFIX}upgrade-${arm}-`)), 'lab')
  roots.push(root)
  const container = containerName(id)
  try {
    const t0 = Date.now()
    try {
      await up({root, first: id, size: 1, openclaw: FROM})
    } catch (error) {
      if (!fs.existsSync(path.join(root, 'lab.json')) || !/healthy/.test(String(error))) throw error
      await labWaitHealthy([container], {timeoutMs: 15 * MIN})
    }
    const upS = round((Date.now() - t0) / 1000)
    const c = composeOf(root)
    const config = path.join(root, 'fleet.config.yml')
    const env = {...process.env, XDG_STATE_HOME: path.join(root, 'fleet-state')}
    const fleet = (args) => execa('node', [BIN, ...args, '--config', config], {reject: false, timeout: 40 * MIN, env})

    // 1. The upgrade with a user turn in flight.
    await execa('docker', ['exec', container, 'sh', '-c', `mkdir -p /tmp/ocreal-model && echo ${DELAY_MS} > /tmp/ocreal-model/delay-ms`], {timeout: MIN})
    const user = turn(container, `bench-upgrade-user-${arm}`, 'UPGRADE_OK')
    for (let i = 0; i < 60 && !((await gatewayWork(container)) > 0); i++) await sleep(2000)
    const down = watchDown(container)
    const u0 = Date.now()
    let detail = null
    if (arm === 'fleet') {
      const r = await fleet(['upgrade', '--image', target, '--yes', '--json', '--drain-timeout', '10m'])
      const doc = JSON.parse(r.stdout)
      detail = {exitCode: r.exitCode, outcome: doc.instances?.[0]?.outcome, drainMs: doc.instances?.[0]?.drainMs, downtimeMs: doc.instances?.[0]?.downtimeMs, stopEnd: doc.instances?.[0]?.stopEnd}
    } else if (arm === 'compose') {
      setImage(c, target)
      const r = await compose(c, ['up', '-d'])
      detail = {exitCode: r.exitCode}
    } else detail = await healthzUpgrade(c, container, target)
    const callS = round((Date.now() - u0) / 1000)
    const downAt = await down.end()
    const readyAt = downAt === null ? null : await readyAfter(container, downAt)
    const userTurn = await user
    const killed = !answered(userTurn, 'UPGRADE_OK')
    const runs = (await dockerJson(['inspect', container]))[0]?.Config?.Image ?? null
    log(`${arm}: upgrade call ${callS}s, killed ${killed}, downtime ${readyAt && downAt ? round((readyAt - downAt) / 1000) : null}s, image ${runs}, ${JSON.stringify(detail)}`)

    // 2. A broken image on the upgraded gateway: the time until it answers a turn again.
    await answersAgain(container, 10 * MIN)
    const b0 = Date.now()
    let brokenDetail = null
    if (arm === 'fleet') {
      const r = await fleet(['upgrade', '--image', BROKEN, '--yes', '--json', '--gate-timeout', '3m'])
      const doc = JSON.parse(r.stdout)
      brokenDetail = {exitCode: r.exitCode, outcome: doc.instances?.[0]?.outcome, rollback: doc.instances?.[0]?.rollback?.outcome}
    } else if (arm === 'compose') {
      setImage(c, BROKEN)
      await compose(c, ['up', '-d'])
      brokenDetail = {note: 'nothing rolls back: the gateway stays down until a person acts'}
    } else brokenDetail = await healthzUpgrade(c, container, BROKEN)
    const back = arm === 'compose' ? null : await answersAgain(container, 15 * MIN)
    log(`${arm}: broken image answered again after ${back ? round((back - b0) / 1000) : 'never (not without a person)'}s ${JSON.stringify(brokenDetail)}`)
    return {
      arm,
      labUpS: upS,
      turnKilled: killed,
      turnExit: userTurn.exitCode ?? null,
      downtimeS: readyAt && downAt ? round((readyAt - downAt) / 1000) : null,
      upgradeCallS: callS,
      upgraded: runs?.startsWith('openclaw-real:2026.9.6') ?? false,
      detail,
      brokenAnswersAgainS: back ? round((back - b0) / 1000) : null,
      brokenDetail,
    }
  } finally {
    await removeBenchLab(root)
  }
}

try {
  const target = (await buildRealImage(TO)).latest
  await buildRealImage(FROM)
  await makeBroken(target)
  const arms = []
  let id = 650
  const head = {at: new Date().toISOString(), machine: machine(), from: FROM, to: TO, modelDelayS: DELAY_MS / 1000}
  for (const arm of ARMS) {
    arms.push(await oneArm(arm, id++, target))
    // Each arm is kept as soon as it is done (an arm takes minutes; a later one may be stopped).
    mergeResults({upgrade: {...head, arms: Object.fromEntries(arms.map((a) => [a.arm, a])), partial: arms.length < ARMS.length}})
  }
  const by = Object.fromEntries(arms.map((a) => [a.arm, a]))
  const result = {
    at: new Date().toISOString(),
    machine: machine(),
    from: FROM,
    to: TO,
    modelDelayS: DELAY_MS / 1000,
    arms: by,
    note: 'One fresh one-gateway real lab per arm, one user turn in flight through the gateway when the upgrade starts. Downtime: the old incarnation seen not running to the new gateway\'s ready line. Broken image: from the upgrade call to the first turn that answers again (the compose way: never, without a person).',
  }
  mergeResults({upgrade: result})
  console.log(JSON.stringify(result, null, 2))
} finally {
  await execa('docker', ['rmi', '-f', BROKEN], {reject: false})
  unregister()
}

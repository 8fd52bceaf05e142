// The lab's layout and lifecycle: data dirs, compose + env files per group of three instances,
// fleet.config.yml, bring-up (compose up -d per group, wait healthy) and tear-down.
//
// <root>/
//   lab.json                              lab state (ids, groups, image, fault mounts)
//   fleet.config.yml                      config for the fleet CLI
//   data/oc<N>/config/                    state dir of instance N (-> /home/node/.openclaw)
//   openclaw/docker-compose.oc7-9.yml     one service per instance: openclaw-gateway-<N>
//   openclaw/.env.multi.oc7-9             image, config dirs
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import YAML from 'yaml'
import {seedState, sessionsDir} from './image/app/dist/state.js'
import {buildImage, LAB_LABEL} from './image/build.mjs'
import {buildRealImage} from './real/build.mjs'
import {prepareStateDir} from './real/gateway.mjs'
import {composeCommand, docker, mapLimit, run, sleep, waitFor} from './run.mjs'

export const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export {LAB_LABEL}
export const PROJECT = 'openclaw'
export const CONTAINER_STATE_DIR = '/home/node/.openclaw'
const GROUP_SIZE = 3
const DOCKER_CONCURRENCY = 8

export const labRoot = (root) => path.resolve(root ?? process.env.LAB_ROOT ?? path.join(REPO_DIR, '.lab'))
export const containerName = (id) => `${PROJECT}-openclaw-gateway-${id}-1`
export const serviceName = (id) => `openclaw-gateway-${id}`
const quoted = (value) => Object.assign(new YAML.Scalar(value), {type: 'QUOTE_DOUBLE'})
const range = (ids) => (ids.length === 1 ? `${ids[0]}` : `${ids[0]}-${ids.at(-1)}`)

/**
 * Which OpenClaw each instance runs: `sim` (the simulator, default), a version (`2026.4.29`) for all, or a comma
 * list assigned round-robin over the instances (`2026.4.29,2026.9.6`: a mixed lab). Pure.
 */
export function planVersions(spec = 'sim', ids) {
  const list = String(spec)
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean)
  if (list.length === 0) throw new Error('--openclaw needs "sim" or a version like 2026.4.29')
  for (const v of list) if (v !== 'sim' && !/^\d{4}\.\d{1,2}\.\d{1,3}$/.test(v)) throw new Error(`--openclaw: "${v}" is neither sim nor a version like 2026.4.29`)
  return Object.fromEntries(ids.map((id, i) => [id, list[i % list.length]]))
}

/** The lab's plan: ids, groups of three consecutive ids, paths. Pure. */
export function planLab({root, first = 7, size = 5, image, openclaw = 'sim', images = {}}) {
  root = labRoot(root)
  const ids = Array.from({length: size}, (_, i) => first + i)
  const groups = []
  for (let i = 0; i < ids.length; i += GROUP_SIZE) {
    const g = ids.slice(i, i + GROUP_SIZE)
    const name = `oc${g[0]}-${g.at(-1)}`
    groups.push({name, ids: g, composeFile: `docker-compose.${name}.yml`, envFile: `.env.multi.${name}`})
  }
  // 2 s keeps tests quick; big labs probe less often (each probe is an exec: 50 x 2 s = 25 execs/s on this 2-core box).
  const healthInterval = size <= 10 ? '2s' : '5s'
  const versions = planVersions(openclaw, ids)
  return {version: 1, root, first, size, ids, image, images, versions, healthInterval, projectDir: path.join(root, PROJECT), groups, extraMounts: {}}
}

/** The OpenClaw an instance runs: 'sim' or a version. */
export const versionOf = (lab, id) => lab.versions?.[id] ?? 'sim'

/** Everything the lab knows about one instance (host paths and in-container paths). */
export function instanceOf(lab, id) {
  id = Number(id)
  const group = lab.groups.find((g) => g.ids.includes(id))
  if (!group) throw new Error(`instance ${id} is not in the lab at ${lab.root} (instances ${range(lab.ids)})`)
  const stateDir = path.join(lab.root, 'data', `oc${id}`, 'config')
  // After fault (e) the container sees another instance's sessions dir at its own path.
  const shared = (lab.extraMounts[id] ?? []).find((m) => m.target === sessionsDir(CONTAINER_STATE_DIR) && !m.readOnly)
  return {
    id,
    container: containerName(id),
    service: serviceName(id),
    group,
    stateDir,
    sessionsDir: shared?.source ?? sessionsDir(stateDir),
    containerStateDir: CONTAINER_STATE_DIR,
    containerSessionsDir: sessionsDir(CONTAINER_STATE_DIR),
  }
}

export function loadLab(root) {
  const file = path.join(labRoot(root), 'lab.json')
  if (!fs.existsSync(file)) throw new Error(`no lab at ${labRoot(root)} (missing lab.json): run node lab/lab.mjs up`)
  return JSON.parse(fs.readFileSync(file, 'utf8'))
}

export const saveLab = (lab) => fs.writeFileSync(path.join(lab.root, 'lab.json'), JSON.stringify(lab, null, 2) + '\n')

// ---- files --------------------------------------------------------------------------------
export function renderCompose(lab, group) {
  const services = {}
  for (const id of group.ids) {
    const extra = lab.extraMounts[id] ?? []
    const version = versionOf(lab, id)
    const real = version !== 'sim'
    services[serviceName(id)] = {
      // Real OpenClaw: its offline image (lab/real/build.mjs), started by the image's CMD (model stub + gateway).
      image: real ? lab.images[version] : '${OPENCLAW_IMAGE}',
      container_name: containerName(id),
      init: true,
      restart: 'unless-stopped',
      network_mode: 'none',
      user: quoted('1000:1000'),
      environment: real ? {OPENCLAW_LAB_INSTANCE: `${id}`} : {OPENCLAW_LAB_INSTANCE: `${id}`, OPENCLAW_LAB_STARTUP_MS: '${OPENCLAW_LAB_STARTUP_MS}'},
      volumes: [`${lab.stateSources?.[id] ?? `\${OPENCLAW_CONFIG_DIR_${id}}`}:${CONTAINER_STATE_DIR}`, ...extra.map((m) => `${m.source}:${m.target}${m.readOnly ? ':ro' : ''}`)],
      // A real gateway is healthy once it is ready (/readyz 200: 16-80 s after a start here), not when /healthz answers.
      healthcheck: real
        ? {test: ['CMD', 'timeout', '3', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:18789/readyz'], interval: '5s', timeout: '4s', retries: 3, start_period: '300s'}
        : {test: ['CMD', 'timeout', '2', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:18789/healthz'], interval: lab.healthInterval ?? '2s', timeout: '3s', retries: 3, start_period: '30s'},
      labels: {[LAB_LABEL]: '${OPENCLAW_LAB_ROOT}', [`${LAB_LABEL}.instance`]: `${id}`},
    }
  }
  return `# Generated by lab/lab.mjs for the openclaw-fleet lab at ${lab.root}. Do not edit.\n${YAML.stringify({services})}`
}

export function renderEnv(lab, group) {
  const lines = [
    `# Generated by lab/lab.mjs. Used as: --env-file ${group.envFile} -f ${group.composeFile}`,
    `OPENCLAW_IMAGE=${lab.image}`,
    `OPENCLAW_LAB_ROOT=${lab.root}`,
    `OPENCLAW_LAB_STARTUP_MS=${process.env.OPENCLAW_LAB_STARTUP_MS ?? 1500}`,
    ...group.ids.map((id) => `OPENCLAW_CONFIG_DIR_${id}=${instanceOf(lab, id).stateDir}`),
  ]
  return lines.join('\n') + '\n'
}

/**
 * The ping settings of the lab's fleet config: the simulator answers in milliseconds; real turns take 70-160 s
 * here. The command stays `auto`: fleet reads each gateway's version and pings 2026.8+ through the gateway.
 */
function pingLines(lab) {
  const real = lab.ids.some((id) => versionOf(lab, id) !== 'sim')
  return ['  command: auto                          # through the gateway, on every version', `  timeout: ${real ? '300s' : '60s'}`]
}

export function renderFleetConfig(lab) {
  const groups = lab.groups.flatMap((g) => [
    `  ${g.name}:`,
    `    instances: ${range(g.ids)}`,
    `    projectDir: ${PROJECT}`,
    `    composeFile: ${g.composeFile}`,
    `    envFile: ${g.envFile}`,
  ])
  return `# Generated by lab/lab.mjs for the openclaw-fleet lab at ${lab.root}.
instances: ${range(lab.ids)}
container: ${containerName('{id}')}
service: ${serviceName('{id}')}
dataDir: data/oc{id}/config          # relative paths resolve against this file's folder
agents: [main]
compose:
  command: auto
groups:
${groups.join('\n')}
ping:
  message: Reply exactly SPEED_OK
  expect: SPEED_OK
  thinking: low
${pingLines(lab).join('\n')}
  concurrency: 4
locks:
  maxHold: 20s
  orphanAfter: 5s
  deadlineMargin: 4s                   # a stuck turn is ended 4 s past its --timeout (lab faults use --timeout 1)
`
}

export function writeGroupFiles(lab, group) {
  fs.mkdirSync(lab.projectDir, {recursive: true})
  fs.writeFileSync(path.join(lab.projectDir, group.composeFile), renderCompose(lab, group))
  fs.writeFileSync(path.join(lab.projectDir, group.envFile), renderEnv(lab, group))
}

/** Give paths to the container user (uid 1000): chown as root, else make them world-writable. */
export async function ownForContainer(paths) {
  if (paths.length === 0) return
  if (process.getuid?.() === 0) await run('chown', ['-R', '1000:1000', ...paths])
  else if (process.getuid?.() !== 1000) await run('chmod', ['-R', 'a+rwX', ...paths])
}

/** (Re)create instance N's state dir: sessions.json, a main session with a short transcript. */
export async function seedInstance(lab, id) {
  const {stateDir} = instanceOf(lab, id)
  fs.rmSync(stateDir, {recursive: true, force: true})
  const seeded = seedOne(lab, id)
  await ownForContainer([path.dirname(stateDir)])
  return seeded
}

/** The simulator's seed (sessions index + a main session), or for real OpenClaw only its openclaw.json (the model stub). */
function seedOne(lab, id) {
  const {stateDir} = instanceOf(lab, id)
  const version = versionOf(lab, id)
  return version === 'sim' ? seedState(stateDir) : prepareStateDir(version, {stateDir})
}

function writeLayout(lab) {
  fs.mkdirSync(lab.root, {recursive: true})
  for (const id of lab.ids) seedOne(lab, id)
  for (const group of lab.groups) writeGroupFiles(lab, group)
  fs.writeFileSync(path.join(lab.root, 'fleet.config.yml'), renderFleetConfig(lab))
  saveLab(lab)
}

// ---- compose --------------------------------------------------------------------------------
/** Run compose for a group: `<compose> --env-file <env> -f <file> ...args` in the project dir. */
export async function composeGroup(lab, group, args, opts = {}) {
  const [cmd, ...pre] = await composeCommand()
  const file = (name) => path.join(lab.projectDir, name)
  // The project name comes from the env file, never from the caller's environment (run() drops undefined values).
  const env = {...opts.env, COMPOSE_PROJECT_NAME: undefined}
  return run(cmd, [...pre, '--env-file', file(group.envFile), '-f', file(group.composeFile), ...args], {cwd: lab.projectDir, timeoutMs: 300_000, ...opts, env})
}

/**
 * `compose up -d [services]` for a group, retried: every lab shares the compose project
 * "openclaw", and compose v1 fails ("No such container") when a container of the project
 * vanishes between its listing and its inspection (another lab going down). up -d is idempotent.
 */
export async function composeUp(lab, group, services = [], {attempts = 3} = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await composeGroup(lab, group, ['up', '-d', ...services])
    } catch (error) {
      if (attempt >= attempts) throw error
      await sleep(500 * attempt)
    }
  }
}

/** Containers' {name, status, health} in one docker inspect call (missing ones are omitted). */
export async function inspectStates(names) {
  const {stdout} = await docker(['inspect', '--format', '{{.Name}} {{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}', ...names], {reject: false})
  return stdout.split('\n').filter(Boolean).map((line) => {
    const [name, status, health] = line.split(' ')
    return {name: name.replace(/^\//, ''), status, health}
  })
}

/** Wait until every container is running and healthy. Returns ms waited. */
export async function waitHealthy(names, {timeoutMs = 180_000} = {}) {
  const started = Date.now()
  let pending = names
  await waitFor(
    async () => {
      const states = await inspectStates(pending)
      pending = pending.filter((n) => !states.some((s) => s.name === n && s.status === 'running' && s.health === 'healthy'))
      return pending.length === 0
    },
    {timeoutMs, intervalMs: 250, what: 'healthy containers'},
  ).catch((error) => {
    throw new Error(`${error.message}; not healthy yet: ${pending.join(', ')}`)
  })
  return Date.now() - started
}

/**
 * Bring a lab up. Returns {root, configFile, image, ids, containers, groups, timings}
 * timings: {imageMs, layoutMs, composeMs, healthyMs, totalMs}.
 */
export async function up({root, first = 7, size = 5, image, openclaw = 'sim', stateFs, log = () => {}} = {}) {
  const t0 = Date.now()
  if (!Number.isInteger(first) || first < 1 || !Number.isInteger(size) || size < 1) throw new Error(`invalid --first ${first} / --size ${size}`)
  root = labRoot(root)
  if (fs.existsSync(path.join(root, 'lab.json'))) throw new Error(`a lab already exists at ${root}: run node lab/lab.mjs down --root ${root} first`)
  const ids = Array.from({length: size}, (_, i) => first + i)
  const wanted = new Set(Object.values(planVersions(openclaw, ids)))
  if (wanted.has('sim')) image ??= (await buildImage({log})).image
  // Real OpenClaw images are built once per version and reused while their inputs are unchanged (content hash).
  const images = {}
  for (const v of [...wanted].filter((x) => x !== 'sim')) images[v] = (await buildRealImage(v, {log})).image
  const imageMs = Date.now() - t0
  const lab = planLab({root, first, size, image, openclaw, images})
  await clearAbandoned(lab.ids.map(containerName), log)
  // Each state dir on a filesystem of its own (a small tmpfs), mounted before anything is written there; down unmounts.
  if (stateFs) await mountStateFs(lab, stateFs, log)
  writeLayout(lab)
  await ownForContainer([path.join(root, 'data')])
  const layoutMs = Date.now() - t0 - imageMs
  log(`layout written under ${root} (${size} instances, ${lab.groups.length} groups) in ${layoutMs} ms`)
  const t1 = Date.now()
  await mapLimit(lab.groups, DOCKER_CONCURRENCY, (g) => composeUp(lab, g))
  const composeMs = Date.now() - t1
  log(`compose up -d for ${lab.groups.length} groups in ${composeMs} ms`)
  const containers = lab.ids.map(containerName)
  const healthyMs = await waitHealthy(containers, {timeoutMs: images && Object.keys(images).length > 0 ? 600_000 : 180_000})
  const totalMs = Date.now() - t0
  log(`${containers.length} containers healthy ${healthyMs} ms later; total ${totalMs} ms`)
  return {root, configFile: path.join(root, 'fleet.config.yml'), image, images, versions: lab.versions, ids: lab.ids, containers, groups: lab.groups.map((g) => g.name), timings: {imageMs, layoutMs, composeMs, healthyMs, totalMs}}
}

/** The state dirs of a lab on their own filesystems (lab.json `stateFs.mounts`), to unmount at down. */
const STATE_FS_FILE = 'state-fs.json'

/**
 * Mounts a size-limited tmpfs (`sizeMiB`, root only) on every instance's state dir, so a test can fill it (a full
 * state filesystem) or remount it read-only; the mount points are written to <root>/state-fs.json at once, so that
 * down unmounts them even when the bring-up fails later.
 */
async function mountStateFs(lab, {sizeMiB = 64} = {}, log) {
  if (process.getuid?.() !== 0) throw new Error('stateFs: mounting a filesystem on the state dirs needs root')
  const mounts = []
  fs.mkdirSync(lab.root, {recursive: true})
  for (const id of lab.ids) {
    const {stateDir} = instanceOf(lab, id)
    fs.mkdirSync(stateDir, {recursive: true})
    await run('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m,mode=0755,uid=1000,gid=1000`, `fleet-lab-${id}`, stateDir])
    mounts.push(stateDir)
    fs.writeFileSync(path.join(lab.root, STATE_FS_FILE), JSON.stringify({mounts}, null, 2) + '\n')
  }
  log(`state dirs on their own ${sizeMiB} MiB tmpfs: ${mounts.join(', ')}`)
}

/** Unmounts what mountStateFs mounted (after the containers are gone); a mount already gone is skipped. */
async function unmountStateFs(root, log) {
  const file = path.join(root, STATE_FS_FILE)
  if (!fs.existsSync(file)) return
  const {mounts} = JSON.parse(fs.readFileSync(file, 'utf8'))
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8')
  for (const dir of mounts) {
    if (!mounted.split('\n').some((l) => l.split(' ')[4] === dir)) continue
    await run('umount', [dir])
    log(`unmounted ${dir}`)
  }
  fs.rmSync(file)
}

/**
 * Containers that already use the lab's names: remove those left by a lab whose root is gone
 * (a crashed run); refuse to touch anything else.
 */
async function clearAbandoned(names, log) {
  const existing = await docker(['inspect', '--format', `{{.Name}}|{{index .Config.Labels "${LAB_LABEL}"}}`, ...names], {reject: false})
  const found = existing.stdout.split('\n').filter(Boolean).map((line) => line.replace(/^\//, '').split('|'))
  const foreign = found.filter(([, owner]) => !owner || fs.existsSync(path.join(owner, 'lab.json')))
  if (foreign.length) throw new Error(`container names already in use: ${foreign.map(([n, owner]) => `${n} (${owner ? `lab at ${owner}` : 'not a lab container'})`).join(', ')}; pick another --first or take that lab down`)
  if (found.length) {
    log(`removing ${found.length} containers left by labs whose root is gone: ${found.map(([n]) => n).join(', ')}`)
    await docker(['rm', '-f', ...found.map(([n]) => n)])
  }
}

/** Names of every container carrying this lab's label (any state). */
export async function labContainers(root) {
  const {stdout} = await docker(['ps', '-a', '--filter', `label=${LAB_LABEL}=${labRoot(root)}`, '--format', '{{.Names}}'])
  return stdout.split('\n').filter(Boolean).sort()
}

/**
 * Remove exactly what the lab made: its containers (by its label, so never another lab's: every
 * lab shares the compose project "openclaw", so `compose down` would match other labs' services
 * of the same name), then its data root. Compose made nothing else: no networks (network_mode
 * none), no volumes. Returns {root, removedContainers, ms}.
 */
export async function down({root, log = () => {}} = {}) {
  const t0 = Date.now()
  root = labRoot(root)
  const removedContainers = []
  // A bring-up interrupted by a signal may still be creating containers: list again until none is left.
  for (let round = 0; round < 5; round++) {
    const names = await labContainers(root)
    if (names.length === 0) break
    if (round > 0) await sleep(1000)
    await mapLimit(names, DOCKER_CONCURRENCY, (name) =>
      docker(['rm', '-f', name], {timeoutMs: 90_000}).catch((error) => {
        // Gone, or being removed by someone else (a test's own cleanup, a compose down): the next round lists again.
        if (/No such container|removal of container .* is already in progress/i.test(error.message)) return
        throw new Error(`${error.message}\n(the Docker engine did not remove ${name} within 90 s; check \`docker info\` and the dockerd log)`)
      }),
    )
    removedContainers.push(...names.filter((n) => !removedContainers.includes(n)))
  }
  log(`removed ${removedContainers.length} containers`)
  await unmountStateFs(root, log)
  if (fs.existsSync(path.join(root, 'lab.json'))) {
    fs.rmSync(root, {recursive: true, force: true})
    log(`removed ${root}`)
  } else if (fs.existsSync(root)) {
    log(`left ${root} in place: it has no lab.json, so it is not a lab root`)
  }
  return {root, removedContainers, ms: Date.now() - t0}
}

/** Lab containers with state and health; every lab when root is null. */
export async function status({root} = {}) {
  const filter = root === null ? LAB_LABEL : `${LAB_LABEL}=${labRoot(root)}`
  const {stdout} = await docker(['ps', '-a', '--filter', `label=${filter}`, '--format', '{{.Names}}'])
  const names = stdout.split('\n').filter(Boolean).sort()
  return names.length ? inspectStates(names) : []
}

/**
 * Recreate one instance's container from its (re)generated compose file: `up -d --no-deps
 * --force-recreate <service>`, then wait healthy. Returns ms.
 */
export async function recreateInstance(lab, id) {
  const inst = instanceOf(lab, id)
  const t0 = Date.now()
  writeGroupFiles(lab, inst.group)
  await composeUp(lab, inst.group, ['--no-deps', '--force-recreate', inst.service])
  await waitHealthy([inst.container], {timeoutMs: versionOf(lab, id) === 'sim' ? 180_000 : 600_000})
  return Date.now() - t0
}

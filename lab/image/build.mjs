#!/usr/bin/env node
// Builds openclaw-lab-gateway:<hash> offline: a rootfs tar stream (busybox-static, this machine's
// node + the libs ldd names, /etc/passwd with user node 1000, the simulator at /app) piped into
// `docker import`. The tag is a content hash of every input and of this recipe, so an unchanged
// input set is never rebuilt. Also tags :latest.
//   node lab/image/build.mjs [--force]
import {spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {docker, run} from '../run.mjs'

export const IMAGE_REPO = 'openclaw-lab-gateway'
const HERE = path.dirname(fileURLToPath(import.meta.url))
const APP_DIR = path.join(HERE, 'app')
const BUSYBOX = '/bin/busybox'

export const IMAGE_CHANGES = [
  'ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
  'ENV HOME=/home/node',
  'ENV NODE_ENV=production',
  'USER node',
  'WORKDIR /app',
  'EXPOSE 18789 18790',
  'HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["timeout","3","wget","-q","-O","/dev/null","http://127.0.0.1:18789/healthz"]',
  'CMD ["node","dist/index.js","gateway","--bind","lan","--port","18789"]',
]

// ---- rootfs -----------------------------------------------------------------------------
const dir = (p, mode = 0o755, uid = 0) => ({path: p, type: 'dir', mode, uid})
const file = (p, source, mode = 0o644) => ({path: p, type: 'file', mode, uid: 0, source})
const text = (p, data, mode = 0o644) => ({path: p, type: 'file', mode, uid: 0, data: Buffer.from(data)})
const link = (p, target) => ({path: p, type: 'symlink', mode: 0o777, uid: 0, target})

async function sharedLibs(binary) {
  const {stdout} = await run('ldd', [binary])
  return [...stdout.matchAll(/(?:=>\s*)?(\/\S+)\s+\(0x/g)].map((m) => m[1])
}

function walk(root, rel = '') {
  return fs.readdirSync(path.join(root, rel), {withFileTypes: true}).sort((a, b) => a.name.localeCompare(b.name)).flatMap((entry) => {
    const sub = path.join(rel, entry.name)
    return entry.isDirectory() ? [dir(`/app/${sub}`), ...walk(root, sub)] : [file(`/app/${sub}`, path.join(root, sub))]
  })
}

/** Every entry of the image's filesystem, parents before children. */
export async function rootfsEntries() {
  const node = fs.realpathSync(process.execPath)
  if (!fs.existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: install busybox-static (bash lab/engine.sh does)`)
  const {stdout: applets} = await run(BUSYBOX, ['--list'])
  const libs = await sharedLibs(node)
  const libDirs = [...new Set(libs.map((l) => path.dirname(l)))].sort()
  const parents = (p) => p.split('/').slice(1, -1).map((_, i, parts) => '/' + parts.slice(0, i + 1).join('/'))
  const dirs = [...new Set(['/bin', '/sbin', '/etc', '/root', '/usr/local/bin', '/var', ...libDirs].flatMap((d) => [...parents(d + '/x')]))].sort()
  return [
    ...dirs.map((d) => dir(d, d === '/root' ? 0o700 : 0o755)),
    dir('/tmp', 0o1777),
    dir('/home'),
    dir('/home/node', 0o755, 1000),
    dir('/home/node/.openclaw', 0o755, 1000),
    dir('/proc'), dir('/sys'), dir('/dev'),
    file('/bin/busybox', BUSYBOX, 0o755),
    ...applets.split('\n').filter((a) => a && a !== 'busybox').map((a) => link(`/bin/${a}`, 'busybox')),
    ...libs.map((l) => file(l, fs.realpathSync(l), 0o755)),
    file('/usr/local/bin/node', node, 0o755),
    text('/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n'),
    text('/etc/group', 'root:x:0:\nnode:x:1000:\n'),
    text('/etc/os-release', 'PRETTY_NAME="openclaw-fleet lab (busybox + node)"\nID=openclaw-lab\n'),
    text('/usr/local/bin/openclaw', '#!/bin/sh\nexec node /app/openclaw.mjs "$@"\n', 0o755),
    dir('/app'),
    ...walk(APP_DIR),
  ]
}

export const contentOf = (entry) => entry.data ?? fs.readFileSync(entry.source)

/** sha256 over every entry (path, type, mode, owner, content or target) and the recipe. */
export function hashInputs(entries) {
  const hash = createHash('sha256')
  hash.update(fs.readFileSync(fileURLToPath(import.meta.url)))
  hash.update(IMAGE_CHANGES.join('\n'))
  for (const e of entries) {
    hash.update(`${e.path}\0${e.type}\0${e.mode}\0${e.uid}\0${e.target ?? ''}\0`)
    if (e.type === 'file') hash.update(createHash('sha256').update(contentOf(e)).digest())
  }
  return hash.digest('hex').slice(0, 12)
}

// ---- a minimal ustar writer ----------------------------------------------------------------
/**
 * One ustar header block: `name` (up to 100 bytes; `prefix` up to 155 more), the entry's mode and owner (uid 0 root,
 * else node), typeflag ('0' file, '2' symlink, '5' dir, 'x' PAX), link name, mtime. Shared with lab/real/build.mjs.
 */
export function ustarHeader(name, e, size, typeflag, linkname = '', mtime = 0, prefix = '') {
  const h = Buffer.alloc(512)
  const put = (value, offset, length) => h.write(value, offset, length, 'utf8')
  const octal = (n, offset, length) => put(n.toString(8).padStart(length - 1, '0') + '\0', offset, length)
  put(name, 0, 100)
  if (prefix) put(prefix, 345, 155)
  octal(e.mode & 0o7777, 100, 8)
  octal(e.uid, 108, 8)
  octal(e.uid, 116, 8)
  octal(size, 124, 12)
  octal(mtime, 136, 12)
  put('        ', 148, 8)
  put(typeflag, 156, 1)
  if (linkname) put(linkname, 157, 100)
  put('ustar\0' + '00', 257, 8)
  put(e.uid ? 'node' : 'root', 265, 32)
  put(e.uid ? 'node' : 'root', 297, 32)
  let sum = 0
  for (const byte of h) sum += byte
  put(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8)
  return h
}

/** The ustar typeflag of an entry type. */
export const TYPEFLAG = {file: '0', symlink: '2', dir: '5'}

/** A plain ustar header; a name over 100 bytes is split into prefix and name at a slash. */
function tarHeader(e, size) {
  const name = e.path.slice(1) + (e.type === 'dir' ? '/' : '')
  const long = Buffer.byteLength(name) > 100
  const cut = long ? name.lastIndexOf('/', name.length - 2) : -1
  return ustarHeader(long ? name.slice(cut + 1) : name, e, size, TYPEFLAG[e.type], e.target ?? '', 0, long ? name.slice(0, cut) : '')
}

/**
 * Streams entries as a tar archive: for each, its header block(s) (`headerBlocks(entry, data)`: the plain
 * ustar header by default; lab/real/build.mjs passes PAX headers for long paths), then its data padded to 512.
 */
export async function writeTar(entries, stream, headerBlocks = (e, data) => [tarHeader(e, data.length)]) {
  const write = (chunk) => (stream.write(chunk) ? undefined : new Promise((resolve) => stream.once('drain', resolve)))
  let bytes = 0
  for (const e of entries) {
    const data = e.type === 'file' ? contentOf(e) : Buffer.alloc(0)
    for (const block of headerBlocks(e, data)) if (block.length) await write(block)
    if (data.length) {
      await write(data)
      const pad = (512 - (data.length % 512)) % 512
      if (pad) await write(Buffer.alloc(pad))
    }
    bytes += 512 + data.length
  }
  await write(Buffer.alloc(1024))
  stream.end()
  return bytes
}

// ---- build ----------------------------------------------------------------------------------
const imageExists = async (tag) => (await docker(['image', 'inspect', tag], {reject: false})).code === 0

/**
 * Build (or reuse) the lab image. Returns {image, latest, hash, built, ms, bytes}.
 * image is `openclaw-lab-gateway:<hash>`; latest is `openclaw-lab-gateway:latest`.
 */
export async function buildImage({force = false, log = () => {}} = {}) {
  const started = Date.now()
  const entries = await rootfsEntries()
  const hash = hashInputs(entries)
  const image = `${IMAGE_REPO}:${hash}`
  const latest = `${IMAGE_REPO}:latest`
  let bytes = 0
  const built = force || !(await imageExists(image))
  if (built) {
    log(`building ${image} (docker import of ${entries.length} rootfs entries)`)
    const args = ['import', ...IMAGE_CHANGES.flatMap((c) => ['--change', c]), '--change', `LABEL openclaw-fleet.lab.hash=${hash}`, '--message', `openclaw-fleet lab image ${hash}`, '-', image]
    const child = spawn('docker', args, {stdio: ['pipe', 'pipe', 'pipe']})
    let output = ''
    child.stdout.on('data', (d) => (output += d))
    child.stderr.on('data', (d) => (output += d))
    const exited = new Promise((resolve) => child.on('close', resolve))
    child.stdin.on('error', () => {}) // reported through the exit code below
    bytes = await writeTar(entries, child.stdin)
    const code = await exited
    if (code !== 0) throw new Error(`docker import failed (exit ${code}): ${output.trim()}`)
  }
  await docker(['tag', image, latest])
  await removeStaleImages(hash)
  const ms = Date.now() - started
  log(built ? `built ${image} in ${ms} ms (${(bytes / 1048576).toFixed(1)} MiB rootfs)` : `${image} is up to date (${ms} ms)`)
  return {image, latest, hash, built, ms, bytes}
}

/** Label on every lab container; its value is the lab root (holding lab.json). */
export const LAB_LABEL = 'openclaw-fleet.lab'

/** Images referenced by the lab.json of every lab that still has a container. */
async function imagesOfLiveLabs() {
  const {stdout} = await docker(['ps', '-a', '--filter', `label=${LAB_LABEL}`, '--format', `{{.Label "${LAB_LABEL}"}}`])
  const roots = new Set(stdout.split('\n').filter(Boolean))
  return new Set([...roots].map((root) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(root, 'lab.json'), 'utf8')).image
    } catch {
      return undefined
    }
  }))
}

/**
 * Drop older hash tags and untagged builds of the lab image, except tags a live lab's compose
 * env file still names (`docker rmi` also refuses images a container uses).
 */
async function removeStaleImages(hash) {
  const keep = await imagesOfLiveLabs()
  const {stdout} = await docker(['images', IMAGE_REPO, '--format', '{{.Repository}}:{{.Tag}}'])
  const {stdout: dangling} = await docker(['images', '-q', '--filter', 'dangling=true', '--filter', 'label=openclaw-fleet.lab.hash'])
  const tags = stdout.split('\n').filter((t) => t && !t.endsWith(`:${hash}`) && !t.endsWith(':latest') && !keep.has(t))
  for (const ref of [...tags, ...new Set(dangling.split('\n').filter(Boolean))]) await docker(['rmi', ref], {reject: false})
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildImage({force: process.argv.includes('--force'), log: (line) => console.log(`[lab:image] ${line}`)}).catch((error) => {
    console.error(`[lab:image] ${error.message}`)
    process.exit(1)
  })
}

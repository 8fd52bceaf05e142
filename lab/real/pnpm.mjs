#!/usr/bin/env node
// A stand-in `pnpm` for offline OpenClaw containers (installed as /usr/local/bin/pnpm).
//
// OpenClaw 2026.4.x stages the runtime dependencies of its bundled plugins at run time: it writes a
// package.json ({"name":"openclaw-runtime-deps-install","dependencies":{...}}) into a staging dir
// <state>/plugin-runtime-deps/openclaw-<version>-<hash>/ and runs `pnpm install --prod
// --ignore-scripts ...` there (it prefers a pnpm on PATH over npm; without either it fails with
// "Unable to resolve a safe npm executable"). Offline, no package manager can fetch anything.
// This one satisfies the install from what the image already has:
//   - every listed dependency found in $OCREAL_PNPM_FROM (colon-separated, default
//     /app/node_modules) with a version satisfying the range: node_modules/<name> -> symlink;
//   - a listed dependency not there (runtime deps of bundled plugins the lab never runs): a stub
//     package carrying the wanted version, whose index.js throws (OCREAL_PNPM_STUBS=0: fail
//     instead, exit 1, naming them);
//   - every other top-level package of $OCREAL_PNPM_FROM: a symlink too (OCREAL_PNPM_LINK_ALL=0:
//     not), because the staged, hard-linked copy of dist/ that plugins run from imports root
//     dependencies the manifest does not list (e.g. chalk).
// OpenClaw then checks the result itself (version range and entry file of every listed package).
// Every call is appended to $OCREAL_PNPM_LOG (default /tmp/ocreal-pnpm.log).
// `pnpm --version` prints 10.0.0-ocreal; any other command fails (exit 1).
import fs from 'node:fs'
import path from 'node:path'

const LOG = process.env.OCREAL_PNPM_LOG || '/tmp/ocreal-pnpm.log'
const FROM = (process.env.OCREAL_PNPM_FROM || '/app/node_modules').split(':').filter(Boolean)
const log = (line) => {
  try {
    fs.appendFileSync(LOG, `${new Date().toISOString()} [ocreal-pnpm] ${line}\n`)
  } catch {}
}

// ---- a small semver range check (what npm package.json ranges in OpenClaw use) ----------------
function parse(v) {
  const m = String(v).trim().replace(/^[=v]+/, '').match(/^(\d+)(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+\S+)?$/)
  if (!m) return null
  const num = (s) => (s === undefined || /[xX*]/.test(s) ? undefined : Number(s))
  return {major: Number(m[1]), minor: num(m[2]), patch: num(m[3]), pre: m[4] ? m[4].split('.') : []}
}
function cmp(a, b) {
  for (const k of ['major', 'minor', 'patch']) if ((a[k] ?? 0) !== (b[k] ?? 0)) return (a[k] ?? 0) - (b[k] ?? 0)
  if (!a.pre.length || !b.pre.length) return (a.pre.length ? -1 : 0) + (b.pre.length ? 1 : 0)
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i]
    const y = b.pre[i]
    if (x === undefined) return -1
    if (y === undefined) return 1
    const nx = /^\d+$/.test(x)
    const ny = /^\d+$/.test(y)
    if (nx && ny && Number(x) !== Number(y)) return Number(x) - Number(y)
    if (nx !== ny) return nx ? -1 : 1
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}
function comparatorOk(version, comp) {
  const m = comp.match(/^(\^|~|>=|<=|>|<|=)?\s*(.+)$/)
  if (!m) return false
  const [, op = '', raw] = m
  if (raw === '*' || raw === 'x' || raw === 'latest') return true
  const want = parse(raw)
  if (!want) return false
  const c = cmp(version, want)
  const upper = (bump) => ({major: bump === 'major' ? want.major + 1 : want.major, minor: bump === 'minor' ? (want.minor ?? 0) + 1 : bump === 'major' ? 0 : want.minor ?? 0, patch: 0, pre: ['0']})
  switch (op) {
    case '^': {
      const bump = want.major > 0 || want.minor === undefined ? 'major' : (want.minor ?? 0) > 0 || want.patch === undefined ? 'minor' : 'patch'
      if (bump === 'patch') return c >= 0 && cmp(version, {...want, patch: (want.patch ?? 0) + 1, pre: ['0']}) < 0
      return c >= 0 && cmp(version, upper(bump)) < 0
    }
    case '~':
      return c >= 0 && cmp(version, upper(want.minor === undefined ? 'major' : 'minor')) < 0
    case '>=': return c >= 0
    case '<=': return c <= 0
    case '>': return c > 0
    case '<': return c < 0
    default:
      if (want.minor === undefined) return version.major === want.major
      if (want.patch === undefined) return version.major === want.major && version.minor === want.minor
      return c === 0
  }
}
export function satisfies(versionText, range) {
  const version = parse(versionText)
  if (!version) return false
  return String(range).split('||').some((part) => {
    const hyphen = part.match(/^\s*(\S+)\s+-\s+(\S+)\s*$/)
    const comps = hyphen ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`] : part.trim().split(/\s+/).filter(Boolean)
    if (comps.length === 0) return true
    // npm: a prerelease only satisfies a range naming a prerelease of the same major.minor.patch
    if (version.pre.length && !comps.some((comp) => {
      const want = parse(comp.replace(/^(\^|~|>=|<=|>|<|=)\s*/, ''))
      return want?.pre.length && want.major === version.major && want.minor === version.minor && want.patch === version.patch
    })) return false
    return comps.every((comp) => comparatorOk(version, comp))
  })
}

// ---- install ---------------------------------------------------------------------------------
function readVersion(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version
  } catch {
    return undefined
  }
}

// A package the image does not have (the runtime deps of bundled plugins the lab never runs: chat
// channels, other providers, browser, TTS engines...). 2026.4.29 asks for ALL of them on the first
// turn (the TTS prompt hint loads the speech-core facade without a config, so the staging plan
// covers every bundled plugin). A stub carries the wanted version, so OpenClaw's own check passes;
// importing it throws, naming the package.
const STUBS = process.env.OCREAL_PNPM_STUBS !== '0'
function stubVersion(range) {
  const m = String(range).match(/\d+(?:\.\d+){0,2}(?:-[0-9A-Za-z.-]+)?/)
  if (!m) return '0.0.0'
  const parts = m[0].split('-')[0].split('.')
  while (parts.length < 3) parts.push('0')
  return parts.join('.') + (m[0].includes('-') ? m[0].slice(m[0].indexOf('-')) : '')
}
function writeStub(target, name, range) {
  fs.rmSync(target, {recursive: true, force: true})
  fs.mkdirSync(target, {recursive: true})
  const pkg = {name, version: stubVersion(range), description: `ocreal offline stub for ${name}@${range}`, main: 'index.js', ocrealStub: true}
  fs.writeFileSync(path.join(target, 'package.json'), JSON.stringify(pkg, null, 2) + '\n')
  fs.writeFileSync(path.join(target, 'index.js'), `throw new Error(${JSON.stringify(`${name}@${range} is not installed: the ocreal lab image is offline and stubs the runtime deps of unused bundled plugins`)})\n`)
}

function install(cwd) {
  const manifest = JSON.parse(fs.readFileSync(path.join(cwd, 'package.json'), 'utf8'))
  const deps = {...manifest.dependencies, ...manifest.optionalDependencies}
  const optional = new Set(Object.keys(manifest.optionalDependencies ?? {}))
  const missing = []
  const stubbed = []
  let linked = 0
  for (const [name, range] of Object.entries(deps)) {
    const target = path.join(cwd, 'node_modules', ...name.split('/'))
    const source = FROM.map((root) => path.join(root, ...name.split('/'))).find((dir) => {
      const version = readVersion(dir)
      return version && (satisfies(version, range) || !/^[\^~<>=\d*x]/.test(range))
    })
    if (!source) {
      if (optional.has(name)) continue
      if (STUBS) {
        writeStub(target, name, range)
        stubbed.push(`${name}@${range}`)
      } else missing.push(`${name}@${range}`)
      continue
    }
    fs.mkdirSync(path.dirname(target), {recursive: true})
    fs.rmSync(target, {recursive: true, force: true})
    fs.symlinkSync(source, target, 'dir')
    linked++
  }
  // OpenClaw 2026.4.29 runs plugins from a hard-linked copy of its dist/ inside the staging dir, and
  // that copy imports root dependencies the staging manifest does not list (e.g. chalk). Link every
  // other top-level package too, so the copy resolves them the way /app/dist does.
  let extra = 0
  if (process.env.OCREAL_PNPM_LINK_ALL !== '0') {
    for (const root of FROM) {
      let names = []
      try {
        names = fs.readdirSync(root).flatMap((n) => (n.startsWith('@') ? fs.readdirSync(path.join(root, n)).map((m) => `${n}/${m}`) : [n]))
      } catch {}
      for (const name of names) {
        if (name.startsWith('.')) continue
        const target = path.join(cwd, 'node_modules', ...name.split('/'))
        if (fs.existsSync(target) || !fs.existsSync(path.join(root, name, 'package.json'))) continue
        fs.mkdirSync(path.dirname(target), {recursive: true})
        fs.symlinkSync(path.join(root, name), target, 'dir')
        extra++
      }
    }
  }
  log(`install in ${cwd}: ${Object.keys(deps).length} deps, ${linked} linked, ${stubbed.length} stubbed, ${extra} more packages linked${stubbed.length ? `; stubs: ${stubbed.join(' ')}` : ''}${missing.length ? `; missing ${missing.join(' ')}` : ''}`)
  if (missing.length) {
    process.stderr.write(`ocreal-pnpm (offline): not in ${FROM.join(':')}: ${missing.join(', ')}\n`)
    process.exit(1)
  }
  process.stdout.write(`ocreal-pnpm (offline): linked ${linked} packages from ${FROM.join(':')}\n`)
}

const isMain = process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(new URL(import.meta.url).pathname)
if (isMain) {
  const args = process.argv.slice(2)
  log(`argv=${JSON.stringify(args)} cwd=${process.cwd()}`)
  if (args[0] === 'install' || args[0] === 'i' || args[0] === 'add') install(process.cwd())
  else if (args[0] === '--version' || args[0] === '-v') process.stdout.write('10.0.0-ocreal\n')
  else {
    process.stderr.write(`ocreal-pnpm (offline): only \`pnpm install\` is supported, not \`pnpm ${args.join(' ')}\`\n`)
    process.exit(1)
  }
}

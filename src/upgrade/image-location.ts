/**
 * Where an operator keeps a compose service's image, and how fleet switches it there so that a later
 * `docker compose up -d` keeps it: the env file's variable when the service's `image:` is one variable reference
 * (`${OPENCLAW_IMAGE}`, `${OPENCLAW_IMAGE:-default}`, `$OPENCLAW_IMAGE`), else the compose file's `image:` value itself.
 * Only the value changes: comments, order, quoting and every other byte of the file stay as they were. Compose reads
 * `--env-file` when the group names one, else `<project dir>/.env`; a variable set in fleet's own environment wins
 * over both (compose's precedence), so fleet refuses to switch it there.
 */
import {chownSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeSync} from 'node:fs'
import path from 'node:path'
import {isMap, isScalar, parseDocument, Scalar} from 'yaml'

export type ImageLocation =
  | {kind: 'env'; file: string; variable: string; value: string; composeFile: string; service: string; services: string[]}
  | {kind: 'compose'; file: string; service: string; value: string; composeFile: string; services: string[]}

export type LocationResult = {ok: true; location: ImageLocation} | {ok: false; error: string}

/** A whole-value variable reference: `${VAR}`, `${VAR:-x}`, `${VAR-x}`, `${VAR:?x}`, `${VAR?x}`, `$VAR`. */
const VAR_REF = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(?::?[-?])[^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))$/

/** Pure: the variable a whole-value reference names, else null. */
export function variableOf(value: string): string | null {
  const m = VAR_REF.exec(value.trim())
  return m ? (m[1] ?? m[2]) : null
}

interface EnvLine {
  index: number
  variable: string
  value: string
  /** The text before the value (`KEY=`, `export KEY=`), and the quote used (none, ' or "). */
  prefix: string
  quote: '' | "'" | '"'
  /** What follows the value on its line (a comment), kept. */
  suffix: string
}

/** Pure: the assignment of a variable in an env file (the last one wins, as compose reads it), or null. */
export function envAssignment(text: string, variable: string): EnvLine | null {
  const lines = text.split('\n')
  let found: EnvLine | null = null
  lines.forEach((line, index) => {
    const m = /^(\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*)(.*?)(\r?)$/.exec(line)
    if (!m || m[2] !== variable) return
    const raw = m[3]
    const q = raw[0] === '"' || raw[0] === "'" ? (raw[0] as '"' | "'") : ''
    if (q) {
      const end = raw.indexOf(q, 1)
      if (end < 0) return
      found = {index, variable, value: raw.slice(1, end), prefix: m[1], quote: q, suffix: raw.slice(end + 1) + m[4]}
      return
    }
    const hash = raw.search(/\s+#/)
    const value = (hash >= 0 ? raw.slice(0, hash) : raw).trim()
    found = {index, variable, value, prefix: m[1], quote: '', suffix: (hash >= 0 ? raw.slice(hash) : '') + m[4]}
  })
  return found
}

/** Pure: the image values of every service in a compose text, with their scalar nodes (for the switch). */
function serviceImages(composeText: string): {images: Map<string, Scalar | null>; error: string | null} {
  const doc = parseDocument(composeText)
  if (doc.errors.length > 0) return {images: new Map(), error: `not valid YAML: ${doc.errors[0].message.split('\n')[0]}`}
  const services = doc.get('services')
  if (!isMap(services)) return {images: new Map(), error: 'no services: map'}
  const images = new Map<string, Scalar | null>()
  for (const item of services.items) {
    const name = isScalar(item.key) ? String(item.key.value) : null
    if (!name || !isMap(item.value)) continue
    const image = item.value.get('image', true)
    images.set(name, isScalar(image) && typeof image.value === 'string' ? image : null)
  }
  return {images, error: null}
}

/**
 * Pure: where the image of `service` is kept. `envText` is the env file compose reads (null: none), `envFromProcess`
 * the variables of fleet's own environment (compose prefers them over the file).
 */
export function findImageLocation(
  files: {composeFile: string; composeText: string; envFile: string | null; envText: string | null},
  service: string,
  envFromProcess: Readonly<Record<string, string | undefined>> = {},
): LocationResult {
  const {images, error} = serviceImages(files.composeText)
  const where = path.basename(files.composeFile)
  if (error) return {ok: false, error: `${where}: ${error}`}
  if (!images.has(service)) return {ok: false, error: `${where} has no service ${service}`}
  const node = images.get(service)
  if (!node) return {ok: false, error: `${where}: service ${service} has no image: value (built from a Dockerfile?): fleet switches images, not builds`}
  const value = String(node.value)
  const variable = variableOf(value)
  if (variable === null) {
    if (value.includes('$'))
      return {
        ok: false,
        error: `${where}: service ${service} has image: ${value}: fleet switches a whole image reference or one variable that holds it, not a part`,
      }
    const services = [...images.entries()].filter(([, n]) => n && String(n.value) === value).map(([s]) => s)
    return {
      ok: true,
      location: {
        kind: 'compose',
        file: files.composeFile,
        composeFile: files.composeFile,
        service,
        value,
        services: [service, ...services.filter((s) => s !== service)],
      },
    }
  }
  if (envFromProcess[variable] !== undefined)
    return {ok: false, error: `${variable} (the image of ${service}) is set in fleet's environment, which compose prefers over the env file: unset it first`}
  const envName = files.envFile ? path.basename(files.envFile) : '.env'
  if (files.envText === null || files.envFile === null)
    return {ok: false, error: `${where}: the image of ${service} is \${${variable}}, but there is no env file (${envName}) that sets it`}
  const line = envAssignment(files.envText, variable)
  if (!line) return {ok: false, error: `${envName} does not set ${variable} (the image of ${service} in ${where})`}
  const services = [...images.entries()].filter(([, n]) => n && variableOf(String(n.value)) === variable).map(([s]) => s)
  return {ok: true, location: {kind: 'env', file: files.envFile, variable, value: line.value, composeFile: files.composeFile, service, services}}
}

/** Pure: a location for a person: `OPENCLAW_IMAGE in .env.multi.oc7-9` or `image: of openclaw-gateway-7 in docker-compose.yml`. */
export function describeLocation(l: ImageLocation): string {
  return l.kind === 'env' ? `${l.variable} in ${l.file}` : `image: of ${l.service} in ${l.file}`
}

/** Pure: the file's text with the image switched to `image`; only the value's bytes change. Throws when it is gone. */
export function switchedText(text: string, l: ImageLocation, image: string): string {
  if (/[\s#'"$]/.test(image)) throw new Error(`not an image reference: ${JSON.stringify(image)}`)
  if (l.kind === 'env') {
    const line = envAssignment(text, l.variable)
    if (!line) throw new Error(`${l.file} no longer sets ${l.variable}`)
    const lines = text.split('\n')
    lines[line.index] = `${line.prefix}${line.quote}${image}${line.quote}${line.suffix}`
    return lines.join('\n')
  }
  const node = serviceImages(text).images.get(l.service)
  if (!node?.range) throw new Error(`${l.file} no longer has an image: for ${l.service}`)
  const [start, end] = node.range
  const quote = node.type === Scalar.QUOTE_DOUBLE ? '"' : node.type === Scalar.QUOTE_SINGLE ? "'" : ''
  return text.slice(0, start) + `${quote}${image}${quote}` + text.slice(end)
}

/** Writes a file atomically (a temp file in its dir, fsync, rename), keeping its mode and owner. */
export function writeFileAtomic(file: string, text: string | Buffer): void {
  const st = statSync(file)
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.fleet-${process.pid}.tmp`)
  const fd = openSync(tmp, 'w', st.mode & 0o7777)
  try {
    writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
  if (process.getuid?.() === 0) chownSync(tmp, st.uid, st.gid)
  renameSync(tmp, file)
}

/** Reads the files a location needs (compose file, env file: the group's, else `<project dir>/.env` when it exists). */
export function readLocationFiles(group: {composeFile: string; envFile?: string; projectDir: string}): {
  composeFile: string
  composeText: string
  envFile: string | null
  envText: string | null
} {
  const composeText = readFileSync(group.composeFile, 'utf8')
  const envFile = group.envFile ?? path.join(group.projectDir, '.env')
  let envText: string | null = null
  try {
    envText = readFileSync(envFile, 'utf8')
  } catch (error) {
    if (group.envFile) throw error
  }
  return {composeFile: group.composeFile, composeText, envFile: envText === null ? null : envFile, envText}
}

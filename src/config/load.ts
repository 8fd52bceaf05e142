/**
 * Config discovery (cosmiconfig) and validation (zod), with errors that name the file, the key path and,
 * for YAML, the line. `--config` and FLEET_CONFIG override the search.
 */
import {accessSync, constants, existsSync, readFileSync, realpathSync, statSync} from 'node:fs'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {cosmiconfig, defaultLoaders, type Loader} from 'cosmiconfig'
import {LineCounter, parseDocument, isMap, isPair, isScalar, type Document} from 'yaml'
import {ConfigError} from '../errors.js'
import {buildFleet, FleetBuildError, type ConfigIssue} from './build.js'
import type {Fleet, Group} from './model.js'
import {configSchema} from './schema.js'

export const SEARCH_PLACES = [
  'fleet.config.yml',
  'fleet.config.yaml',
  'fleet.config.json',
  'fleet.config.js',
  'fleet.config.mjs',
  'fleet.config.ts',
  '.fleetrc',
  '.fleetrc.yml',
  '.fleetrc.yaml',
  '.fleetrc.json',
  '.fleetrc.js',
  '.fleetrc.mjs',
  'package.json',
]

const yamlLoader: Loader = (filepath, content) => {
  const doc = parseDocument(content, {prettyErrors: true, uniqueKeys: true})
  if (doc.errors.length > 0) {
    const e = doc.errors[0]
    const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : 'unknown position'
    throw new ConfigError(`${filepath}: malformed YAML at ${where}: ${e.message.split('\n')[0]}`)
  }
  return doc.toJS() ?? {}
}

/**
 * A JS/TS config module runs when it is loaded: whatever it throws (or a syntax error in it) becomes a
 * ConfigError naming the file and the message, never a stack trace.
 */
const moduleLoader =
  (load: Loader): Loader =>
  async (filepath, content) => {
    try {
      return await load(filepath, content)
    } catch (error) {
      const original = await originalError(filepath, content, error)
      throw new ConfigError(
        `${filepath}: loading the config module failed: ${thrownMessage(original)}`,
        'fix the module (it runs when fleet loads it), or use fleet.config.yml',
      )
    }
  }

/**
 * cosmiconfig retries a failed import() with require(); for a module with a syntax error, Node 20's
 * require() of ES modules then fails with an internal assertion that hides the real error. The syntax error
 * itself (with its line) comes from TypeScript's parser when it is installed (it is, for .ts configs), else
 * from importing the module again (Node keeps the first failure).
 */
async function originalError(filepath: string, content: string, error: unknown): Promise<unknown> {
  if (!(error instanceof SyntaxError) && (error as {code?: unknown})?.code !== 'ERR_INTERNAL_ASSERTION') return error
  try {
    const ts = (await import('typescript')).default
    const out = ts.transpileModule(content, {fileName: filepath, reportDiagnostics: true, compilerOptions: {allowJs: true}})
    const d = out.diagnostics?.find((x) => x.category === ts.DiagnosticCategory.Error)
    if (d) {
      const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : null
      return new SyntaxError(`${where ? `line ${where.line + 1}, column ${where.character + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`)
    }
  } catch {
    // no TypeScript: fall through
  }
  if (filepath.endsWith('.ts')) return error
  try {
    await import(pathToFileURL(realpathSync(filepath)).href)
  } catch (again) {
    return again
  }
  return error
}

/** The message of something thrown, without stack lines or cosmiconfig's "TypeScript Error in <file>:" prefix. */
function thrownMessage(error: unknown): string {
  const text = error instanceof Error ? `${error.name && error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}` : String(error)
  const lines = text
    .split('\n')
    .filter((l) => !/^\s+at /.test(l))
    .map((l) => l.trimEnd())
    .filter((l) => l !== '' && !/^TypeScript Error in /.test(l))
  return lines.join(' ').slice(0, 500) || '(no message)'
}

const JS_LOADERS = {
  '.js': moduleLoader(defaultLoaders['.js']),
  '.mjs': moduleLoader(defaultLoaders['.mjs']),
  '.cjs': moduleLoader(defaultLoaders['.cjs']),
  '.ts': moduleLoader(defaultLoaders['.ts']),
}

export interface LoadOptions {
  /** Explicit path (--config); else FLEET_CONFIG; else search from cwd upwards. */
  configPath?: string
  cwd?: string
  env?: NodeJS.ProcessEnv
}

export async function loadFleet(opts: LoadOptions = {}): Promise<Fleet> {
  const {file, data} = await findConfig(opts)
  return validateFleet(data, file)
}

export async function findConfig(opts: LoadOptions = {}): Promise<{file: string; data: unknown}> {
  const env = opts.env ?? process.env
  const cwd = opts.cwd ?? process.cwd()
  const explorer = cosmiconfig('fleet', {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'global',
    stopDir: path.parse(cwd).root,
    loaders: {...JS_LOADERS, '.yml': yamlLoader, '.yaml': yamlLoader, noExt: yamlLoader},
    cache: false,
  })
  const explicit = opts.configPath ?? env.FLEET_CONFIG
  try {
    if (explicit) {
      const file = path.resolve(cwd, explicit)
      if (!existsSync(file)) throw new ConfigError(`config file not found: ${file}${opts.configPath ? '' : ' (from FLEET_CONFIG)'}`)
      if (statSync(file).isDirectory()) throw new ConfigError(`config path is a directory, not a file: ${file}`)
      const result = await explorer.load(file)
      if (!result || result.isEmpty) throw new ConfigError(`${file}: the config file is empty`, 'see fleet.config.example.yml')
      return {file: result.filepath, data: result.config}
    }
    const result = await explorer.search(cwd)
    if (!result) {
      throw new ConfigError(
        `no fleet config found in ${cwd} or any parent directory`,
        'create fleet.config.yml (see fleet.config.example.yml), or pass --config <path> or set FLEET_CONFIG',
      )
    }
    if (result.isEmpty) throw new ConfigError(`${result.filepath}: the config file is empty`, 'see fleet.config.example.yml')
    return {file: result.filepath, data: result.config}
  } catch (error) {
    if (error instanceof ConfigError) throw error
    const message = error instanceof Error ? error.message : String(error)
    throw new ConfigError(`could not read the fleet config: ${message}`)
  }
}

export function validateFleet(data: unknown, file: string): Fleet {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`${file}: expected a mapping of settings at the top level, got ${Array.isArray(data) ? 'a list' : typeof data}`)
  }
  let parsed: ReturnType<typeof configSchema.safeParse>
  try {
    parsed = configSchema.safeParse(data)
  } catch (error) {
    // A config module can export an object whose getters throw.
    throw new ConfigError(`${file}: reading the settings the config module exported failed: ${thrownMessage(error)}`)
  }
  if (!parsed.success) {
    throw configError(
      file,
      parsed.error.issues.map((i) => {
        const keys = (i as {keys?: string[]}).keys
        if (i.code === 'unrecognized_keys' && keys) {
          return {
            path: [...i.path, keys[0]] as (string | number)[],
            message: `unknown key${keys.length > 1 ? 's' : ''} ${keys.map((k) => `"${k}"`).join(', ')}`,
          }
        }
        const nested = (i as {issues?: {message: string}[]}).issues
        if (i.code === 'invalid_key' && nested?.[0]) return {path: i.path as (string | number)[], message: `invalid name: ${nested[0].message}`}
        return {path: i.path as (string | number)[], message: i.message}
      }),
    )
  }
  try {
    return buildFleet(parsed.data, file)
  } catch (error) {
    if (error instanceof FleetBuildError) throw configError(file, error.issues)
    throw error
  }
}

/**
 * Checks that the files a fleet names exist: compose files, env files, project dirs, and each instance's dataDir when
 * fleet reads it on this disk (a missing one means fleet would see no locks there and say nothing).
 */
export function checkFleetPaths(fleet: Fleet): ConfigIssue[] {
  const dataDirs = fleet.instances
    .filter((i) => i.lockAccess === 'host' && !isDir(i.dataDir))
    .map((i) => ({path: ['dataDir'], message: `${i.name}: ${existsSync(i.dataDir) ? 'not a directory' : 'directory does not exist'}: ${i.dataDir}`}))
  return [...checkGroupPaths(fleet.groups), ...dataDirs]
}

/**
 * The paths compose needs for these groups: the project dir (a directory), the compose file and the env file
 * when one is set (files that can be read). Each issue's key is groups.<name>.projectDir / composeFile / envFile.
 */
export function checkGroupPaths(groups: readonly Group[]): ConfigIssue[] {
  const issues: ConfigIssue[] = []
  for (const g of groups) {
    if (!isDir(g.projectDir))
      issues.push({
        path: ['groups', g.name, 'projectDir'],
        message: existsSync(g.projectDir) ? `not a directory: ${g.projectDir}` : `directory does not exist: ${g.projectDir}`,
      })
    const files: [string, string | undefined][] = [
      ['composeFile', g.composeFile],
      ['envFile', g.envFile],
    ]
    for (const [key, file] of files) {
      const problem = file === undefined ? null : fileProblem(file)
      if (problem) issues.push({path: ['groups', g.name, key], message: problem})
    }
  }
  return issues
}

function fileProblem(file: string): string | null {
  let st
  try {
    st = statSync(file)
  } catch {
    return `file does not exist: ${file}`
  }
  if (st.isDirectory()) return `is a directory, not a file: ${file}`
  try {
    accessSync(file, constants.R_OK)
  } catch {
    return `file cannot be read (permissions): ${file}`
  }
  return null
}

export function assertFleetPaths(fleet: Fleet): void {
  const issues = checkFleetPaths(fleet)
  if (issues.length > 0) throw configError(fleet.file, issues)
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory()
  } catch {
    return false
  }
}

/**
 * One ConfigError (exit 2) for every issue: a line each with the key path, its YAML line when the file is YAML,
 * and the message. `header` replaces "invalid fleet config <file>" (it should name the file too).
 */
export function configError(file: string, issues: ConfigIssue[], opts: {header?: string; hint?: string} = {}): ConfigError {
  const lines = issues.map((i) => {
    const key = i.path.length > 0 ? i.path.join('.') : '(top level)'
    const line = yamlLine(file, i.path)
    return `  ${key}${line ? ` (line ${line})` : ''}: ${i.message}`
  })
  return new ConfigError(
    `${opts.header ?? `invalid fleet config ${file}`}:\n${lines.join('\n')}`,
    opts.hint ?? 'see fleet.config.example.yml and docs/configuration.md',
  )
}

const docCache = new Map<string, {doc: Document; counter: LineCounter} | null>()

/** 1-based line of a key path in a YAML config file, when it can be found. */
function yamlLine(file: string, keyPath: (string | number)[]): number | undefined {
  if (!/\.ya?ml$|\.fleetrc$/.test(file)) return undefined
  let entry = docCache.get(file)
  if (entry === undefined) {
    try {
      const counter = new LineCounter()
      entry = {doc: parseDocument(readFileSync(file, 'utf8'), {lineCounter: counter}), counter}
    } catch {
      entry = null
    }
    docCache.set(file, entry)
  }
  if (!entry) return undefined
  let node: unknown = entry.doc.contents
  let offset: number | undefined
  for (const key of keyPath) {
    if (!isMap(node)) break
    const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key))
    if (!pair) break
    offset = (pair.key as {range?: [number, number, number]}).range?.[0]
    node = pair.value
  }
  return offset === undefined ? undefined : entry.counter.linePos(offset).line
}

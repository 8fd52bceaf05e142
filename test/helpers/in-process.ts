/**
 * The fleet CLI inside the test process, from its TypeScript sources: no build, no child process. It is oclif with
 * package.json's settings and plugins, whose commands and hooks are the src/ modules this test run loads (through
 * vitest), so `fleetInProcess` goes oclif's whole way: parsing, the command, its catch, the command_not_found hook,
 * help. What only the process shows (bin/run.js, the exit status, how oclif prints an error on stderr) is tested on
 * the built CLI in test/cli/.
 */
import {Config, Plugin, run, settings, type Command, type Hook} from '@oclif/core'
import {captureOutput} from '@oclif/test'
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {format} from 'node:util'
import {REPO} from './cli.js'

const SHIM = path.join(REPO, 'test', 'helpers', 'source-modules.mjs')
const SOURCE_MODULES = Symbol.for('openclaw-fleet.source-modules')

interface SourceModules {
  commands: Record<string, Command.Class>
  hooks: Record<string, Hook<any>>
}

/** package.json names compiled paths (./dist/x); the source of each is src/x.ts, as tsconfig's outDir/rootDir say. */
function sourceOf(compiled: string): string {
  const relative = path.relative(path.join(REPO, 'dist'), path.join(REPO, compiled))
  if (relative.startsWith('..')) throw new Error(`${compiled} is not under dist/`)
  return path.join(REPO, 'src', `${relative.replace(/\.js$/, '')}.ts`)
}

async function loadSourceModules(pkg: any): Promise<SourceModules> {
  const dir = sourceOf(pkg.oclif.commands).replace(/\.ts$/, '')
  const commands: Record<string, Command.Class> = {}
  for (const file of (readdirSync(dir, {recursive: true}) as string[]).filter((f) => f.endsWith('.ts')).sort()) {
    // oclif's ids: the path under commands/ with ':' between topics (an index file names its folder).
    const id = file
      .replace(/\.ts$/, '')
      .split(path.sep)
      .join(':')
      .replace(/:?index$/, '')
    commands[id] = (await import(path.join(dir, file))).default
  }
  const hooks: Record<string, Hook<any>> = {}
  for (const [event, target] of Object.entries<string>(pkg.oclif.hooks ?? {})) hooks[event] = (await import(sourceOf(target))).default
  return {commands, hooks}
}

let loading: Promise<Config> | undefined

/** oclif's Config for this checkout, its root plugin's commands and hooks from src/ (loaded once per test file). */
export function sourceConfig(): Promise<Config> {
  loading ??= (async () => {
    // oclif's own way to run TypeScript (registering tsx or ts-node) does not apply here: it would only cost time.
    settings.enableAutoTranspile = false
    const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8'))
    const modules = await loadSourceModules(pkg)
    ;(globalThis as Record<symbol, unknown>)[SOURCE_MODULES] = modules
    const shim: Record<string, unknown> = await import(SHIM)
    const missing = Object.keys(modules.hooks).filter((event) => typeof shim[event] !== 'function')
    if (missing.length > 0) throw new Error(`test/helpers/source-modules.mjs passes on no ${missing.join(', ')} hook: add it there`)
    const pjson = {
      ...pkg,
      oclif: {
        ...pkg.oclif,
        commands: {strategy: 'explicit', target: SHIM, identifier: 'COMMANDS'},
        hooks: Object.fromEntries(Object.keys(modules.hooks).map((event) => [event, {target: SHIM, identifier: event}])),
      },
    }
    // A manifest left by a build would describe dist/, not these sources.
    const root = new Plugin({root: REPO, isRoot: true, pjson, ignoreManifest: true})
    await root.load()
    const plugins = new Map<string, Plugin>([[root.name, root]])
    for (const name of pkg.oclif.plugins ?? []) {
      const plugin = new Plugin({name, root: REPO, type: 'core'})
      await plugin.load()
      plugins.set(plugin.name, plugin)
    }
    return Config.load({root: REPO, plugins})
  })()
  return loading
}

export interface InProcessResult<T = unknown> {
  /** The exit status the process would end with: the error's (oclif's handler exits with it), else process.exitCode. */
  exitCode: number
  stdout: string
  stderr: string
  /** What the command threw (the process prints its message on stderr); undefined when it completed. */
  error?: Error & {oclif?: {exit?: number}; code?: string}
  /** What the command returned (with --json: the document it printed). */
  result?: T
}

/** The environment every run starts from, as test/helpers/cli.ts gives the child process. */
const BASE_ENV = {FLEET_CONFIG: undefined, CI: 'true', NO_COLOR: '1'}

let queue: Promise<unknown> = Promise.resolve()

/**
 * oclif prints with console.log and console.error; vitest takes the console over (it reports each line with its
 * test), so the lines would never reach the streams captureOutput reads. While `fn` runs they go to the streams, as
 * in the process.
 */
async function withConsoleOnStreams<T>(fn: () => Promise<T>): Promise<T> {
  const saved = {log: console.log, info: console.info, warn: console.warn, error: console.error}
  const to =
    (stream: NodeJS.WriteStream) =>
    (...args: unknown[]) =>
      void stream.write(`${format(...args)}\n`)
  Object.assign(console, {log: to(process.stdout), info: to(process.stdout), warn: to(process.stderr), error: to(process.stderr)})
  try {
    return await fn()
  } finally {
    Object.assign(console, saved)
  }
}

/**
 * Runs `fleet <args>` in this process (stdout and stderr captured, colours stripped), in `env` (undefined unsets)
 * and `cwd`, put back afterwards. Runs are one at a time, since the environment and working dir are the process's.
 */
export function fleetInProcess<T = unknown>(args: string[], opts: {cwd?: string; env?: Record<string, string | undefined>} = {}): Promise<InProcessResult<T>> {
  const next = queue.then(async () => {
    const config = await sourceConfig()
    const env = {...BASE_ENV, ...opts.env}
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]))
    const cwd = process.cwd()
    const setEnv = (values: Record<string, string | undefined>) => {
      for (const [k, v] of Object.entries(values)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
    }
    setEnv(env)
    if (opts.cwd) process.chdir(opts.cwd)
    process.exitCode = undefined
    try {
      const r = await captureOutput<T>(() => withConsoleOnStreams(async () => (await run(args, config)) as T))
      const error = r.error as InProcessResult['error']
      const exitCode = error ? (error.oclif?.exit ?? 1) : Number(process.exitCode ?? 0)
      return {exitCode, stdout: r.stdout, stderr: r.stderr, error, result: r.result}
    } finally {
      process.exitCode = undefined
      process.chdir(cwd)
      setEnv(saved)
    }
  })
  queue = next.catch(() => undefined)
  return next
}

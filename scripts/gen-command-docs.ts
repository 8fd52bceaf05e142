/**
 * Generates docs/commands.md, the per-command reference, from the commands themselves, so that it cannot drift.
 *
 *   npm run docs:commands            writes docs/commands.md from src/commands (no build needed)
 *   npm run docs:commands -- --check exits 1 when docs/commands.md is not what the commands say
 *   tsx scripts/gen-command-docs.ts --manifest oclif.manifest.json --check   the same from the built manifest
 *
 * Two sources, one renderer: the command classes under src/commands (imported as TypeScript: tsx here, vitest in
 * test/unit/command-docs.test.ts), or the oclif manifest `npm run build` writes. Both are turned into the manifest's
 * own record shape (oclif's `Command.Cached`: the flags of the class, its inherited base flags and the json flag
 * when enabled), so test/e2e/command-docs.test.ts can prove that the two give the same page.
 */
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
export const COMMANDS_DIR = path.join(REPO, 'src', 'commands')
export const DOC_FILE = path.join(REPO, 'docs', 'commands.md')

/** What a flag definition of @oclif/core's `Flags.*` carries, of what this page shows (an option flag's default may be a function). */
export interface FlagDefinition {
  type: 'boolean' | 'option'
  char?: string
  description?: string
  summary?: string
  helpGroup?: string
  hidden?: boolean
  env?: string
  allowNo?: boolean
  default?: unknown
  options?: readonly string[]
  multiple?: boolean
  required?: boolean
}

/** One flag as the oclif manifest records it: its definition, named (a boolean without its default). */
export type FlagRecord = FlagDefinition & {name: string}

export interface ArgRecord {
  name: string
  description?: string
  required?: boolean
}

/** One command as the oclif manifest records it (the fields this page shows). */
export interface CommandRecord {
  id: string
  summary?: string
  description?: string
  examples?: readonly (string | {command: string; description?: string})[]
  flags: Record<string, FlagRecord>
  args: Record<string, ArgRecord>
  hidden?: boolean
}

/** The json flag oclif adds to a command with `enableJsonFlag` (as in @oclif/core's aggregate-flags). */
const JSON_FLAG: FlagRecord = {name: 'json', type: 'boolean', description: 'Format output as json.', helpGroup: 'GLOBAL', allowNo: false}

interface CommandClass {
  summary?: string
  description?: string
  examples?: CommandRecord['examples']
  flags?: Record<string, FlagDefinition>
  baseFlags?: Record<string, FlagDefinition>
  args?: Record<string, {description?: string; required?: boolean}>
  enableJsonFlag?: boolean
  hidden?: boolean
}

/** A flag definition as the manifest caches it: a boolean has no default there, an option flag its static default. */
export function flagRecord(name: string, f: FlagDefinition): FlagRecord {
  const common = {
    name,
    type: f.type,
    char: f.char,
    description: f.description,
    summary: f.summary,
    helpGroup: f.helpGroup,
    hidden: f.hidden,
    env: f.env,
    required: f.required,
  }
  if (f.type === 'boolean') return {...common, allowNo: f.allowNo}
  if (typeof f.default === 'function') throw new Error(`--${name}: a default computed at run time cannot be documented; give it a static default`)
  return {...common, default: f.default, options: f.options, multiple: f.multiple}
}

/** The command id of a file under src/commands: `incidents/list.ts` -> `incidents list` (topicSeparator " "). */
export function commandId(file: string): string {
  return file
    .replace(/\.ts$/, '')
    .split(path.sep)
    .filter((part) => part !== 'index')
    .join(' ')
}

/** A command class as the manifest records it: its own flags over its (inherited) base flags, json first when enabled. */
export function commandRecord(id: string, cls: CommandClass): CommandRecord {
  const defs = {...(cls.baseFlags ?? {}), ...(cls.flags ?? {})}
  const flags: Record<string, FlagRecord> = cls.enableJsonFlag ? {json: JSON_FLAG} : {}
  for (const [name, def] of Object.entries(defs)) flags[name] = flagRecord(name, def)
  const args = Object.fromEntries(Object.entries(cls.args ?? {}).map(([name, a]) => [name, {name, description: a.description, required: a.required}]))
  return {id, summary: cls.summary, description: cls.description, examples: cls.examples, flags, args, hidden: cls.hidden}
}

function commandFiles(dir: string, under = ''): string[] {
  return readdirSync(path.join(dir, under), {withFileTypes: true}).flatMap((e) => {
    const rel = path.join(under, e.name)
    if (e.isDirectory()) return commandFiles(dir, rel)
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : []
  })
}

/** Every command under src/commands, imported from its TypeScript source (needs a TypeScript loader: tsx, vitest). */
export async function commandsFromSource(dir: string = COMMANDS_DIR): Promise<CommandRecord[]> {
  const records = await Promise.all(
    commandFiles(dir).map(async (file) => {
      const mod = (await import(pathToFileURL(path.join(dir, file)).href)) as {default?: CommandClass}
      if (!mod.default) throw new Error(`src/commands/${file} has no default export: oclif would not find a command there`)
      return commandRecord(commandId(file), mod.default)
    }),
  )
  return records.sort((a, b) => a.id.localeCompare(b.id))
}

/** Every command in a built oclif manifest (oclif.manifest.json after `npm run build`). */
export function commandsFromManifest(file: string): CommandRecord[] {
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as {commands: Record<string, CommandRecord & {id: string}>}
  return Object.values(manifest.commands)
    .map((c) => ({...c, id: c.id.replaceAll(':', ' ')}))
    .sort((a, b) => a.id.localeCompare(b.id))
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering (pure)

const BIN = 'fleet'

/** `<%= config.bin %>` and `<%= command.id %>` as oclif's help fills them in. */
const fill = (text: string, id: string) => text.replaceAll('<%= config.bin %>', BIN).replaceAll('<%= command.id %>', id)

/**
 * Prose for Markdown: outside `code spans`, `<` (an HTML tag to a renderer: `<dataDir>` would vanish) and `*`
 * (emphasis: `FLEET_WATCH_*`) are escaped; code spans stay as written.
 */
export const prose = (text: string) =>
  text
    .split(/(`[^`]*`)/)
    .map((part, i) => (i % 2 === 1 ? part : part.replaceAll('<', '&lt;').replaceAll('*', '\\*')))
    .join('')

/** Text for a Markdown table cell: prose on one line, pipes escaped everywhere (GFM splits cells on them even in code). */
const cell = (text: string) => prose(text.replace(/\r?\n/g, ' ')).replaceAll('|', '\\|')

/** The flag as typed: `-c, --config <value>`, `--[no-]react`, `--format md|json`. */
export function flagUsage(f: FlagRecord): string {
  const long = f.type === 'boolean' && f.allowNo ? `--[no-]${f.name}` : `--${f.name}`
  const name = f.char ? `-${f.char}, ${long}` : long
  if (f.type === 'boolean') return name
  return `${name} ${f.options ? f.options.join('|') : '<value>'}`
}

const anchor = (id: string) => `fleet-${id.replaceAll(' ', '-')}`

/** A flag's default as the manifest knows it (booleans: false, or on with --no-<flag>). */
function flagDefault(f: FlagRecord): string {
  if (f.type === 'boolean') return ''
  if (f.default === undefined) return ''
  return `\`${Array.isArray(f.default) ? f.default.join(',') : String(f.default)}\``
}

function flagTable(flags: FlagRecord[]): string[] {
  const lines = ['| flag | default | env | description |', '|---|---|---|---|']
  for (const f of flags) {
    const description = [f.summary, f.description].filter(Boolean).join(' ')
    lines.push(
      `| ${cell(`\`${flagUsage(f)}\``)}${f.required ? ' (required)' : ''} | ${flagDefault(f)} | ${f.env ? `\`${f.env}\`` : ''} | ${cell(description)} |`,
    )
  }
  return lines
}

/** Two records of one global flag are the same flag when every shown field agrees. */
const sameFlag = (a: FlagRecord, b: FlagRecord) => flagTable([a]).join('\n') === flagTable([b]).join('\n')

/**
 * The global flags: those in the GLOBAL help group that every command declaring them declares alike (the base
 * command's --config, --instances, --verbose and oclif's --json). A command whose flag of the same name differs
 * (watch's own --json) shows its own in its table.
 */
export function globalFlags(commands: CommandRecord[]): FlagRecord[] {
  const seen = new Map<string, FlagRecord>()
  for (const c of commands) for (const f of Object.values(c.flags)) if (f.helpGroup === 'GLOBAL' && !seen.has(f.name)) seen.set(f.name, f)
  return [...seen.values()].sort((a, b) => a.name.localeCompare(b.name))
}

function usageLine(c: CommandRecord, own: FlagRecord[], global: FlagRecord[]): string {
  const args = Object.values(c.args).map((a) => (a.required ? a.name.toUpperCase() : `[${a.name.toUpperCase()}]`))
  const flags = [...own.map((f) => `[${flagUsage(f).replace(/^-\w, /, '')}]`), ...(global.length > 0 ? ['[global flags]'] : [])]
  return [BIN, c.id, ...args, ...flags].join(' ')
}

function renderCommand(c: CommandRecord, globals: FlagRecord[]): string[] {
  const visible = Object.values(c.flags).filter((f) => !f.hidden)
  const global = visible.filter((f) => globals.some((g) => g.name === f.name && sameFlag(g, f)))
  const own = visible.filter((f) => !global.includes(f))
  const out = [`## ${BIN} ${c.id}`, '']
  if (c.summary) out.push(prose(fill(c.summary, c.id)), '')
  out.push('```', usageLine(c, own, global), '```', '')
  if (c.description)
    for (const paragraph of fill(c.description, c.id)
      .split(/\r?\n/)
      .filter((l) => l.trim()))
      out.push(prose(paragraph), '')
  const args = Object.values(c.args)
  if (args.length > 0) {
    out.push('| argument | description |', '|---|---|')
    for (const a of args) out.push(`| \`${a.name.toUpperCase()}\`${a.required ? ' (required)' : ''} | ${cell(a.description ?? '')} |`)
    out.push('')
  }
  if (own.length > 0) out.push(...flagTable(own), '')
  if (global.length > 0) out.push(`Global flags: ${global.map((f) => `\`${flagUsage(f)}\``).join(', ')} ([below](#global-flags)).`, '')
  const examples = (c.examples ?? []).map((e) => (typeof e === 'string' ? e : e.command))
  if (examples.length > 0) out.push('```sh', ...examples.map((e) => fill(e, c.id)), '```', '')
  return out
}

/** The whole page. `plugins`: the oclif plugins whose commands `fleet` also has (package.json oclif.plugins). */
export function renderCommandDocs(commands: CommandRecord[], plugins: readonly string[] = []): string {
  const shown = commands.filter((c) => !c.hidden).sort((a, b) => a.id.localeCompare(b.id))
  const globals = globalFlags(shown)
  const out = [
    '# Command reference',
    '',
    '<!-- Generated by `npm run docs:commands` (scripts/gen-command-docs.ts) from src/commands: do not edit by hand.',
    '     test/unit/command-docs.test.ts fails when this page is not what the commands say. -->',
    '',
    `Generated from the commands themselves (their summary, description, flags and examples, as \`${BIN} <command> --help\``,
    'prints them). What each command does in depth, with its evidence and JSON, is in the other pages of [docs/](README.md).',
    '',
    '| command | what it does |',
    '|---|---|',
    ...shown.map((c) => `| [\`${BIN} ${c.id}\`](#${anchor(c.id)}) | ${cell(fill(c.summary ?? '', c.id))} |`),
    '',
  ]
  if (plugins.length > 0) {
    out.push(`\`${BIN}\` also has the commands of the oclif plugins ${plugins.map((p) => `\`${p}\``).join(', ')}: \`${BIN} help\` lists them.`, '')
  }
  for (const c of shown) out.push(...renderCommand(c, globals))
  if (globals.length > 0) {
    out.push('## Global flags', '', 'Taken by every command that lists them above.', '', ...flagTable(globals), '')
  }
  return `${out.join('\n').trimEnd()}\n`
}

/** The oclif plugins package.json names (their commands are not fleet's own, only named on the page). */
export function pluginNames(pkgFile: string = path.join(REPO, 'package.json')): string[] {
  const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {oclif?: {plugins?: string[]}}
  return pkg.oclif?.plugins ?? []
}

/** The page as the commands say it should be (from the sources, or from a built manifest). */
export async function expectedCommandDocs(opts: {manifest?: string} = {}): Promise<string> {
  const commands = opts.manifest ? commandsFromManifest(opts.manifest) : await commandsFromSource()
  return renderCommandDocs(commands, pluginNames())
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check')
  const m = argv.indexOf('--manifest')
  const manifest = m >= 0 ? path.resolve(argv[m + 1] ?? 'oclif.manifest.json') : undefined
  const unknown = argv.filter((a, i) => a !== '--check' && a !== '--manifest' && !(m >= 0 && i === m + 1))
  if (unknown.length > 0) {
    process.stderr.write(`usage: tsx scripts/gen-command-docs.ts [--check] [--manifest oclif.manifest.json]; unknown: ${unknown.join(' ')}\n`)
    return 2
  }
  const text = await expectedCommandDocs({manifest})
  const rel = path.relative(process.cwd(), DOC_FILE)
  if (check) {
    let current = ''
    try {
      current = readFileSync(DOC_FILE, 'utf8')
    } catch {
      current = ''
    }
    if (current === text) return 0
    process.stderr.write(`${rel} is stale: run npm run docs:commands and commit it\n`)
    return 1
  }
  writeFileSync(DOC_FILE, text)
  process.stdout.write(`wrote ${rel} (${text.split('\n').length} lines)\n`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${(error as Error).stack ?? String(error)}\n`)
      process.exit(1)
    },
  )
}

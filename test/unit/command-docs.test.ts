// docs/commands.md is generated from the commands (scripts/gen-command-docs.ts): this test fails when it is stale,
// and pins what the renderer does with the text it is given. Build-free: the command classes are imported from src.
import {readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {
  commandId,
  commandRecord,
  commandsFromSource,
  COMMANDS_DIR,
  DOC_FILE,
  expectedCommandDocs,
  flagUsage,
  globalFlags,
  prose,
  renderCommandDocs,
  type CommandRecord,
} from '../../scripts/gen-command-docs.js'

const commandFileCount = (dir: string): number =>
  readdirSync(dir, {withFileTypes: true}).reduce((n, e) => n + (e.isDirectory() ? commandFileCount(path.join(dir, e.name)) : e.name.endsWith('.ts') ? 1 : 0), 0)

describe('docs/commands.md', () => {
  it('is what the commands in src/commands say (run npm run docs:commands and commit it when this fails)', async () => {
    expect(readFileSync(DOC_FILE, 'utf8')).toBe(await expectedCommandDocs())
  })

  it('has one section per command file, each flag of each command in it', async () => {
    const commands = await commandsFromSource()
    expect(commands).toHaveLength(commandFileCount(COMMANDS_DIR))
    const page = readFileSync(DOC_FILE, 'utf8')
    for (const c of commands) {
      const section = page.split(`\n## fleet ${c.id}\n`)[1]?.split('\n## ')[0]
      expect(section, c.id).toBeDefined()
      for (const f of Object.values(c.flags)) expect(page, `${c.id} --${f.name}`).toContain(`--${f.type === 'boolean' && f.allowNo ? '[no-]' : ''}${f.name}`)
    }
  })
})

describe('the command docs generator', () => {
  it('names commands as oclif does with topicSeparator " "', () => {
    expect(commandId('status.ts')).toBe('status')
    expect(commandId(path.join('incidents', 'list.ts'))).toBe('incidents list')
    expect(commandId(path.join('incidents', 'index.ts'))).toBe('incidents')
  })

  it('records a class as the manifest does: base flags under its own, json first when enabled, no default for booleans', () => {
    const record = commandRecord('x', {
      summary: 's',
      enableJsonFlag: true,
      baseFlags: {config: {type: 'option', char: 'c', helpGroup: 'GLOBAL', description: 'base'}},
      flags: {config: {type: 'option', description: 'own'}, quiet: {type: 'boolean', default: false, allowNo: true}},
    })
    expect(Object.keys(record.flags)).toEqual(['json', 'config', 'quiet'])
    expect(record.flags.config.description).toBe('own')
    expect(record.flags.quiet).not.toHaveProperty('default')
    expect(() => commandRecord('y', {flags: {when: {type: 'option', default: () => 'now'}}})).toThrow(/static default/)
  })

  it('writes flags as they are typed', () => {
    expect(flagUsage({name: 'react', type: 'boolean', allowNo: true})).toBe('--[no-]react')
    expect(flagUsage({name: 'config', type: 'option', char: 'c'})).toBe('-c, --config <value>')
    expect(flagUsage({name: 'format', type: 'option', options: ['md', 'json']})).toBe('--format md|json')
  })

  it('keeps placeholders visible and tables whole: < and * escaped outside code, pipes escaped in cells', () => {
    expect(prose('writes <dataDir>/x and `<ping.command> --help`, FLEET_WATCH_*')).toBe('writes &lt;dataDir>/x and `<ping.command> --help`, FLEET_WATCH_\\*')
    const page = renderCommandDocs([
      {
        id: 'a b',
        summary: 'Does <it>.',
        description: 'First line.\nSecond <line>.',
        examples: ['<%= config.bin %> <%= command.id %> --format json'],
        args: {run: {name: 'run', description: 'Run id.', required: true}},
        flags: {format: {name: 'format', type: 'option', options: ['md', 'json'], default: 'md', env: 'X_FORMAT', description: 'md | json'}},
      },
    ])
    expect(page).toContain('| [`fleet a b`](#fleet-a-b) | Does &lt;it>. |')
    expect(page).toContain('fleet a b RUN [--format md|json]')
    expect(page).toContain('First line.\n\nSecond &lt;line>.')
    expect(page).toContain('| `RUN` (required) | Run id. |')
    expect(page).toContain('| `--format md\\|json` | `md` | `X_FORMAT` | md \\| json |')
    expect(page).toContain('```sh\nfleet a b --format json\n```')
  })

  it('lists a global flag once, and in its own table a same-named flag that differs', () => {
    const config = {name: 'config', type: 'option' as const, char: 'c', helpGroup: 'GLOBAL', description: 'Config file.'}
    const commands: CommandRecord[] = [
      {id: 'one', flags: {config, json: {name: 'json', type: 'boolean', helpGroup: 'GLOBAL', description: 'Format output as json.'}}, args: {}},
      {id: 'two', flags: {config, json: {name: 'json', type: 'boolean', description: 'Accepted, changes nothing.'}}, args: {}},
    ]
    expect(globalFlags(commands).map((f) => f.name)).toEqual(['config', 'json'])
    const page = renderCommandDocs(commands)
    const two = page.split('## fleet two')[1].split('## Global flags')[0]
    expect(two).toContain('| `--json` |  |  | Accepted, changes nothing. |')
    expect(two).toContain('Global flags: `-c, --config <value>`')
    expect(page.split('## Global flags')[1]).toContain('Format output as json.')
  })
})

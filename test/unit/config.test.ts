import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, afterEach, describe, expect, it} from 'vitest'
import fc from 'fast-check'
import {findConfig, loadFleet, SEARCH_PLACES} from '../../src/config/load.js'
import {dockerHostProblem} from '../../src/config/schema.js'
import {ConfigError} from '../../src/errors.js'
import {json, REPO} from '../helpers/cli.js'
import {fleetInProcess} from '../helpers/in-process.js'

const GOOD = `instances: 7-11
dataDir: data/oc{id}/config
groups:
  a:
    instances: 7-9
    projectDir: proj
    composeFile: a.yml
    envFile: .env.a
  b:
    instances: 10-11
    projectDir: proj
    composeFile: b.yml
`

const made: string[] = []
function tmp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-cfg-'))
  made.push(dir)
  return dir
}

afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true})
})

function fixtureDir(config: string, name = 'fleet.config.yml'): string {
  const dir = tmp()
  mkdirSync(path.join(dir, 'proj'))
  for (const f of ['a.yml', 'b.yml', '.env.a']) writeFileSync(path.join(dir, 'proj', f), '')
  writeFileSync(path.join(dir, name), config)
  return dir
}

afterEach(() => {
  process.exitCode = undefined
})

describe('config discovery', () => {
  const asJson = JSON.stringify({instances: '7-8', dataDir: 'd/oc{id}'})
  const bodies: Record<string, string> = {
    'fleet.config.yml': 'instances: 7-8\ndataDir: d/oc{id}\n',
    'fleet.config.yaml': 'instances: 7-8\ndataDir: d/oc{id}\n',
    'fleet.config.json': asJson,
    'fleet.config.js': `export default ${asJson}\n`,
    'fleet.config.mjs': `export default ${asJson}\n`,
    'fleet.config.ts': `const config: {instances: string; dataDir: string} = ${asJson}\nexport default config\n`,
    '.fleetrc': 'instances: 7-8\ndataDir: d/oc{id}\n',
    '.fleetrc.yml': 'instances: 7-8\ndataDir: d/oc{id}\n',
    '.fleetrc.yaml': 'instances: 7-8\ndataDir: d/oc{id}\n',
    '.fleetrc.json': asJson,
    '.fleetrc.js': `export default ${asJson}\n`,
    '.fleetrc.mjs': `export default ${asJson}\n`,
    'package.json': JSON.stringify({name: 'x', fleet: {instances: '7-8', dataDir: 'd/oc{id}'}}),
  }

  it('covers every search place', () => {
    expect(Object.keys(bodies).sort()).toEqual([...SEARCH_PLACES].sort())
  })

  it.each(Object.keys(bodies))('finds %s from a nested working dir and resolves paths against its folder', async (name) => {
    const dir = tmp()
    writeFileSync(path.join(dir, name), bodies[name])
    const nested = path.join(dir, 'a', 'b')
    mkdirSync(nested, {recursive: true})
    const fleet = await loadFleet({cwd: nested, env: {}})
    expect(fleet.file).toBe(path.join(dir, name))
    expect(fleet.ids).toEqual([7, 8])
    expect(fleet.instances[0].dataDir).toBe(path.join(dir, 'd', 'oc7'))
  })

  it('--config and FLEET_CONFIG override the search, --config first', async () => {
    const dir = fixtureDir(GOOD)
    const other = path.join(dir, 'other.yml')
    writeFileSync(other, 'instances: 3\ndataDir: x/{id}\n')
    const third = path.join(dir, 'third.yml')
    writeFileSync(third, 'instances: 4\ndataDir: x/{id}\n')
    expect((await findConfig({cwd: dir, env: {}})).file).toBe(path.join(dir, 'fleet.config.yml'))
    expect((await findConfig({cwd: dir, env: {FLEET_CONFIG: other}})).file).toBe(other)
    expect((await loadFleet({cwd: dir, env: {FLEET_CONFIG: other}, configPath: third})).ids).toEqual([4])
  })

  it('no config anywhere is a config error', async () => {
    await expect(loadFleet({cwd: tmp(), env: {}})).rejects.toThrow(/no fleet config found/)
  })
})

describe('bad configs exit 2 with a message naming what and where', () => {
  const cases: [string, string, RegExp][] = [
    ['malformed YAML', 'instances: 7-11\ndataDir: [unclosed\n', /malformed YAML at line 3, column 1: Flow sequence/],
    ['duplicate key', 'instances: 7-11\ninstances: 8\ndataDir: d/{id}\n', /malformed YAML at line 2.*[Mm]ap keys must be unique/],
    ['wrong type for instances', 'instances: true\ndataDir: d/{id}\n', /instances \(line 1\): Invalid input/],
    ['unknown top-level key', 'instances: 7\ndataDir: d/{id}\ncontainers: x-{id}\n', /containers \(line 3\): unknown key "containers"/],
    ['unknown nested key', 'instances: 7\ndataDir: d/{id}\nping:\n  mesage: hi\n', /ping.mesage \(line 4\): unknown key "mesage"/],
    ['overlapping groups', GOOD.replace('instances: 10-11', 'instances: 9-11'), /groups.b.instances \(line 10\): instance 9 is also in group "a"/],
    ['instance in no group', GOOD.replace('instances: 10-11', 'instances: 10'), /groups \(line 3\): instance 11 is in no group/],
    [
      'group naming unknown instances',
      GOOD.replace('instances: 10-11', 'instances: 10-12'),
      /groups.b.instances \(line 10\): names instances that are not in the fleet.*: 12/,
    ],
    ['bad duration', 'instances: 7\ndataDir: d/{id}\nlocks:\n  maxHold: 5x\n', /locks.maxHold \(line 4\): expected a duration like 90s/],
    ['container template without {id}', 'instances: 7\ndataDir: d/{id}\ncontainer: gateway\n', /container \(line 3\): container template must contain \{id\}/],
    ['dataDir template without {id}', 'instances: 7\ndataDir: /data/oc7\n', /dataDir \(line 2\): dataDir template must contain \{id\}/],
    [
      'composeFile that does not exist',
      GOOD.replace('composeFile: b.yml', 'composeFile: missing.yml'),
      /groups.b.composeFile \(line 12\): file does not exist: .*missing.yml/,
    ],
    ['envFile that does not exist', GOOD.replace('envFile: .env.a', 'envFile: .env.nope'), /groups.a.envFile \(line 8\): file does not exist/],
    ['reversed range', 'instances: 11-7\ndataDir: d/{id}\n', /instances \(line 1\): instance range "11-7" is reversed/],
    ['non-number in instances', 'instances: 7,x\ndataDir: d/{id}\n', /instances \(line 1\): "x" is not an instance id/],
    ['empty file', '', /the config file is empty/],
    ['a list at the top level', '- 7\n- 8\n', /expected a mapping of settings at the top level, got a list/],
    ['zero ping concurrency', 'instances: 7\ndataDir: d/{id}\nping:\n  concurrency: 0\n', /ping.concurrency \(line 4\): Too small/],
    ['unknown compose command', 'instances: 7\ndataDir: d/{id}\ncompose:\n  command: podman\n', /compose.command \(line 4\): Invalid input/],
    ['empty agents list', 'instances: 7\ndataDir: d/{id}\nagents: []\n', /agents \(line 3\): Too small/],
    [
      'a group name that looks like a range',
      'instances: 7\ndataDir: d/{id}\ngroups:\n  7-9:\n    instances: 7\n    projectDir: .\n    composeFile: x.yml\n',
      /groups.7-9.*group names start with a letter/,
    ],
    ['missing dataDir', 'instances: 7-11\n', /dataDir: Invalid input: expected string, received undefined/],
    ['a dataDir that does not exist on this host', GOOD, /dataDir \(line 2\): oc7: directory does not exist: .*data\/oc7\/config/],
  ]

  it.each(cases)('%s', async (_name, body, message) => {
    const dir = fixtureDir(body)
    const r = await fleetInProcess(['config', '--validate', '--config', path.join(dir, 'fleet.config.yml')], {cwd: dir})
    expect(r.exitCode, r.error?.message).toBe(2)
    expect(r.error?.message).toMatch(message)
    expect(r.error?.message).toContain(path.join(dir, 'fleet.config.yml'))
  })

  it('a --config path that does not exist', async () => {
    const r = await fleetInProcess(['config', '--config', '/nonexistent/fleet.yml'])
    expect(r.exitCode).toBe(2)
    expect(r.error?.message).toContain('config file not found: /nonexistent/fleet.yml')
  })

  it('--json gives the error as JSON with exit 2', async () => {
    const dir = fixtureDir('instances: 7\ndataDir: d/{id}\nbogus: 1\n')
    const r = await fleetInProcess(['config', '--json'], {cwd: dir})
    expect(r.exitCode).toBe(2)
    expect(json(r).error).toMatchObject({code: 'CONFIG', exitCode: 2, message: expect.stringContaining('bogus (line 3): unknown key "bogus"')})
  })
})

describe('fleet config (in-process, through oclif)', () => {
  const example = path.join(REPO, 'fleet.config.example.yml')

  it('prints the five example instances in their two groups', async () => {
    const {stdout, exitCode} = await fleetInProcess(['config', '--config', example])
    expect(exitCode).toBe(0)
    for (const n of [7, 8, 9, 10, 11]) expect(stdout).toMatch(new RegExp(`oc${n}\\s+openclaw-openclaw-gateway-${n}-1\\s+oc${n < 10 ? '7-9' : '10-11'}\\s`))
  })

  it('--json matches the documented shape', async () => {
    // The command returns the object --json prints (test/cli/errors.test.ts: the built CLI prints the same).
    const r = await fleetInProcess<any>(['config', '--config', example, '--json'])
    const d = r.result
    expect(r.error).toBeUndefined()
    expect(json(r)).toEqual(d)
    expect(d.instances.map((i: {id: number}) => i.id)).toEqual([7, 8, 9, 10, 11])
    expect(d.groups.map((g: {name: string; instances: number[]}) => [g.name, g.instances])).toEqual([
      ['oc7-9', [7, 8, 9]],
      ['oc10-11', [10, 11]],
    ])
    expect(d.instances[3]).toEqual({
      id: 10,
      name: 'oc10',
      container: 'openclaw-openclaw-gateway-10-1',
      service: 'openclaw-gateway-10',
      group: 'oc10-11',
      projectDir: '/opt/openclaw-multi/openclaw',
      composeFile: '/opt/openclaw-multi/openclaw/docker-compose.oc10-11.yml',
      envFile: '/opt/openclaw-multi/openclaw/.env.multi.oc10-11',
      dataDir: '/opt/openclaw-multi/data/oc10/config',
      sessionsDirs: [
        {agent: 'main', hostDir: '/opt/openclaw-multi/data/oc10/config/agents/main/sessions', containerDir: '/home/node/.openclaw/agents/main/sessions'},
      ],
      dockerHost: 'unix:///var/run/docker.sock',
    })
    expect(d.warnings.length).toBeGreaterThan(0)
  })

  it('--instances with a group name selects that group', async () => {
    const {result} = await fleetInProcess<any>(['config', '--config', example, '--instances', 'oc10-11', '--json'])
    expect(result.instances.map((i: {id: number}) => i.id)).toEqual([10, 11])
  })

  it('a bad selector is a usage error (exit 2) naming the token', async () => {
    const {error, exitCode} = await fleetInProcess(['config', '--config', example, '--instances', '7,banana'])
    expect(exitCode).toBe(2)
    expect(error?.message).toContain('"banana" is not an instance id')
  })

  it('--help lists the commands', async () => {
    const r = await fleetInProcess(['--help'])
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toMatch(/COMMANDS[\s\S]*config/)
  })
})

/** Loads a config in-process and returns the ConfigError it must raise (exit 2). */
async function configError(body: string, name = 'fleet.config.yml'): Promise<ConfigError> {
  const dir = fixtureDir(body, name)
  const file = path.join(dir, name)
  const error = await loadFleet({configPath: file, env: {}}).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error, 'the config was accepted').toBeInstanceOf(ConfigError)
  const e = error as ConfigError
  expect(e.exitCode).toBe(2)
  expect(e.message).toContain(file)
  return e
}

const BASE = 'instances: 7-9\ndataDir: d/oc{id}\n'

describe('config rules: duplicate ids, durations, docker.host, config modules', () => {
  it.each([
    ['a list naming 7 twice', 'instances: [7, 7]\ndataDir: d/{id}\n', /instances \(line 1\): instance 7 is listed more than once/],
    ['a range and an id inside it', 'instances: "7-9,8"\ndataDir: d/{id}\n', /instances \(line 1\): instance 8 is listed more than once \(in "7-9,8"\)/],
    ['two overlapping ranges', 'instances: "7-9,8-10"\ndataDir: d/{id}\n', /instances \(line 1\): instances 8-9 are listed more than once/],
    [
      'a group naming an id twice',
      GOOD.replace('instances: 10-11', 'instances: [10, 11, 11]'),
      /groups.b.instances \(line 10\): instance 11 is listed more than once/,
    ],
  ])('duplicate ids: %s', async (_name, body, message) => {
    expect((await configError(body)).message).toMatch(message)
  })

  it('a list without repeats is still fine', async () => {
    const dir = fixtureDir('instances: [9, 7, 8]\ndataDir: d/{id}\n')
    expect((await loadFleet({configPath: path.join(dir, 'fleet.config.yml'), env: {}})).ids).toEqual([7, 8, 9])
  })

  it.each([
    ['heal.waitTimeout', 'heal:\n  waitTimeout: 0\n', 'heal.waitTimeout (line 4)'],
    ['heal.waitTimeout as "0s"', 'heal:\n  waitTimeout: 0s\n', 'heal.waitTimeout (line 4)'],
    ['docker.timeout', 'docker:\n  timeout: 0\n', 'docker.timeout (line 4)'],
    ['compose.timeout', 'compose:\n  timeout: 0ms\n', 'compose.timeout (line 4)'],
    ['ping.timeout', 'ping:\n  timeout: 0\n', 'ping.timeout (line 4)'],
    ['locks.probeTimeout', 'locks:\n  probeTimeout: 0\n', 'locks.probeTimeout (line 4)'],
    ['locks.maxHold', 'locks:\n  maxHold: 0\n', 'locks.maxHold (line 4)'],
    ['locks.orphanAfter', 'locks:\n  orphanAfter: 0\n', 'locks.orphanAfter (line 4)'],
  ])('a zero duration is refused where it is meaningless: %s', async (_name, extra, where) => {
    const e = await configError(BASE + extra)
    expect(e.message).toContain(`${where}: expected a duration above 0`)
  })

  it('0 stays allowed where it means something (no tolerance, no grace)', async () => {
    const dir = fixtureDir(`${BASE}locks:\n  clockSkew: 0\n  malformedGrace: 0\nheal:\n  termGrace: 0\n`)
    const f = await loadFleet({configPath: path.join(dir, 'fleet.config.yml'), env: {}})
    expect([f.locks.clockSkewMs, f.locks.malformedGraceMs, f.heal.termGraceMs]).toEqual([0, 0, 0])
  })

  it.each([
    ['locks.maxHold: 30d', 'locks:\n  maxHold: 30d\n', 'locks.maxHold (line 4)', '2592000000 ms'],
    ['locks.maxHold: 1e12 (seconds)', 'locks:\n  maxHold: 1e12\n', 'locks.maxHold (line 4)', '1000000000000000 ms'],
    ['heal.waitTimeout: 25d', 'heal:\n  waitTimeout: 25d\n', 'heal.waitTimeout (line 4)', '2160000000 ms'],
    ['locks.clockSkew (0 allowed, overflow is not)', 'locks:\n  clockSkew: 2147483.648\n', 'locks.clockSkew (line 4)', '2147483648 ms'],
  ])('a duration past a Node timer is refused: %s', async (_name, extra, where, got) => {
    const e = await configError(BASE + extra)
    expect(e.message).toContain(`${where}: expected at most 2147483647 ms (about 24.8 days, the longest a Node timer can wait)`)
    expect(e.message).toContain(got)
  })

  it('property: a duration is accepted exactly when it is in (0, 2147483647] ms (0 too where allowed)', async () => {
    const {durationProblem, MAX_TIMER_MS} = await import('../../src/config/duration.js')
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({min: 0, max: 2 * MAX_TIMER_MS}), fc.constantFrom(0, 1, MAX_TIMER_MS, MAX_TIMER_MS + 1)),
        fc.boolean(),
        (ms, positive) => {
          const ok = ms <= MAX_TIMER_MS && (!positive || ms > 0)
          expect(durationProblem(ms, {positive}) === null).toBe(ok)
        },
      ),
      {numRuns: 2000},
    )
  })

  it.each([
    ['http://x:2375', 'docker:\n  host: http://x:2375\n', 'docker.host (line 4)', /unsupported scheme http:\/\/ \(write tcp:\/\/x:2375\)/],
    ['tcp//x (no colon)', 'docker:\n  host: tcp//x\n', 'docker.host (line 4)', /got "tcp\/\/x" \(a scheme is written scheme:\/\/\)/],
    ['a bare socket path', 'docker:\n  host: /var/run/docker.sock\n', 'docker.host (line 4)', /for a socket path write unix:\/\/\/var\/run\/docker.sock/],
    ['unix:// with a relative path', 'docker:\n  host: unix://docker.sock\n', 'docker.host (line 4)', /absolute socket path after unix:\/\//],
    ['tcp:// without a host', 'docker:\n  host: "tcp://:2375"\n', 'docker.host (line 4)', /no host name/],
    ['a context name with a space', 'docker:\n  host: my context\n', 'docker.host (line 4)', /or a Docker context name, got "my context"/],
  ])('a bad docker.host is refused at load time: %s', async (_name, extra, where, message) => {
    const e = await configError(BASE + extra)
    expect(e.message).toContain(`${where}: expected`)
    expect(e.message).toMatch(message)
  })

  it('a bad groups.<g>.docker.host names the group key', async () => {
    const e = await configError(GOOD.replace('    composeFile: b.yml\n', '    composeFile: b.yml\n    docker:\n      host: https://h:2376\n'))
    expect(e.message).toMatch(/groups.b.docker.host \(line 14\): .*unsupported scheme https:\/\/ \(write tcp:\/\/h:2376 with docker.certPath for TLS\)/)
  })

  it.each([
    'unix:///var/run/docker.sock',
    'tcp://10.0.0.5:2376',
    'ssh://deploy@gw1:2222',
    'ssh://gw1',
    'npipe:////./pipe/docker_engine',
    'default',
    'prod-eu.1+x_y',
  ])('a good docker.host is accepted: %s', (host) => {
    expect(dockerHostProblem(host)).toBeNull()
  })

  it.each([
    ['a .mjs that throws', 'fleet.config.mjs', 'throw new Error("vault is sealed")\n', 'loading the config module failed: vault is sealed'],
    [
      'a .cjs that throws a TypeError',
      'fleet.config.cjs',
      'const x = undefined\nmodule.exports = {instances: x.y}\n',
      'loading the config module failed: TypeError: Cannot read properties of undefined',
    ],
    ['a .js that throws a string', 'fleet.config.js', 'throw "no config today"\n', 'loading the config module failed: no config today'],
    [
      'a .ts that throws',
      'fleet.config.ts',
      'const why: string = "no secrets"\nthrow new Error(why)\nexport default {}\n',
      'loading the config module failed: no secrets',
    ],
    [
      'a .mjs whose default export rejects',
      'fleet.config.mjs',
      'export default Promise.reject(new Error("late failure"))\n',
      'loading the config module failed: late failure',
    ],
    ['a .mjs with a syntax error', 'fleet.config.mjs', 'export default {instances: 7,\n', 'loading the config module failed: SyntaxError'],
    ['a .ts with a syntax error', 'fleet.config.ts', 'const x: number = ;\nexport default {}\n', 'loading the config module failed: SyntaxError: line 1'],
    [
      'a .mjs whose settings throw when read',
      'fleet.config.mjs',
      'export default {get instances() { throw new Error("getter failed") }, dataDir: "d/{id}"}\n',
      'failed: getter failed',
    ],
  ])('%s: a ConfigError naming the file and the thrown message, no stack', async (_name, file, body, message) => {
    const e = await configError(body, file)
    expect(e.message).toContain(message)
    expect(e.message).not.toMatch(/\n\s+at /)
  })

  it('a config module found by the search that throws is reported the same way', async () => {
    const dir = tmp()
    writeFileSync(path.join(dir, 'fleet.config.mjs'), 'throw new Error("vault is sealed")\n')
    await expect(loadFleet({cwd: dir, env: {}})).rejects.toThrow(`${path.join(dir, 'fleet.config.mjs')}: loading the config module failed: vault is sealed`)
  })

  it('through the command: exit 2, the file and the message, no stack (test/cli/errors.test.ts: on stderr of the built CLI)', async () => {
    const dir = tmp()
    const file = path.join(dir, 'fleet.config.mjs')
    writeFileSync(file, 'throw new Error("vault is sealed")\n')
    const r = await fleetInProcess(['config', '--config', file])
    expect(r.exitCode).toBe(2)
    expect(r.error?.message).toContain(`${file}: loading the config module failed: vault is sealed`)
    expect(r.error?.message).not.toMatch(/\n\s+at /)
  })
})

describe('duration flags (--interval, --cooldown, --recover-after, --wait-timeout)', () => {
  it.each([
    ['--interval', '30d', {positive: true}, /^--interval: expected at most 2147483647 ms .*, got "30d" \(2592000000 ms\)$/],
    ['--wait-timeout', '0', {positive: true}, /^--wait-timeout: expected a duration above 0 /],
    ['--recover-after', '0s', {positive: true, zero: 'why not'}, /^--recover-after: expected a duration above 0 \(why not\), got "0s"$/],
    ['--cooldown', '5x', {positive: true}, /^--cooldown: expected a duration like 30s, 5m or 1h30m, got "5x"$/],
  ])('%s %s is a usage error (exit 2)', async (flag, value, opts, message) => {
    const {parseDurationFlag} = await import('../../src/config/duration.js')
    const {UsageError} = await import('../../src/errors.js')
    let error: unknown
    try {
      parseDurationFlag(flag, value, opts)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(UsageError)
    expect((error as InstanceType<typeof UsageError>).exitCode).toBe(2)
    expect((error as Error).message).toMatch(message)
  })

  it('a good one is its ms', async () => {
    const {parseDurationFlag} = await import('../../src/config/duration.js')
    expect(parseDurationFlag('--recover-after', '10m')).toBe(600_000)
  })
})

describe('heal.incidentRetention', () => {
  it('defaults: the newest 200 runs and 30 days are kept; keepFor may exceed a Node timer (it is an age, not a wait)', async () => {
    const dir = fixtureDir(BASE)
    expect((await loadFleet({configPath: path.join(dir, 'fleet.config.yml'), env: {}})).heal.incidentRetention).toEqual({
      keepRuns: 200,
      keepForMs: 30 * 86_400_000,
    })
    const set = fixtureDir(`${BASE}heal:\n  incidentRetention:\n    keepRuns: 0\n    keepFor: 365d\n`)
    expect((await loadFleet({configPath: path.join(set, 'fleet.config.yml'), env: {}})).heal.incidentRetention).toEqual({
      keepRuns: 0,
      keepForMs: 365 * 86_400_000,
    })
  })

  it.each([
    ['a negative keepRuns', 'keepRuns: -1', 'heal.incidentRetention.keepRuns (line 5)'],
    ['a fractional keepRuns', 'keepRuns: 1.5', 'heal.incidentRetention.keepRuns (line 5)'],
    ['keepFor not a duration', 'keepFor: a month', 'heal.incidentRetention.keepFor (line 5): expected a duration'],
    ['an unknown key', 'maxRuns: 10', 'heal.incidentRetention'],
    ['both at 0', 'keepRuns: 0\n    keepFor: 0', 'would delete every past incident'],
  ])('%s is a config error (exit 2)', async (_name, body, where) => {
    const e = await configError(`${BASE}heal:\n  incidentRetention:\n    ${body}\n`)
    expect(e).toBeInstanceOf(ConfigError)
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain(where)
  })
})

describe('watch.alertRecovery', () => {
  it('defaults to 2m; a duration sets it', async () => {
    expect((await loadFleet({configPath: path.join(fixtureDir(BASE), 'fleet.config.yml'), env: {}})).watch).toEqual({alertRecoveryMs: 120_000})
    expect((await loadFleet({configPath: path.join(fixtureDir(`${BASE}watch:\n  alertRecovery: 5m\n`), 'fleet.config.yml'), env: {}})).watch).toEqual({
      alertRecoveryMs: 300_000,
    })
  })

  it.each([
    ['0 (an episode would resolve on one healthy scan: a crash loop would flap)', 'alertRecovery: 0', 'watch.alertRecovery (line 4)'],
    ['not a duration', 'alertRecovery: soon', 'watch.alertRecovery (line 4): expected a duration'],
    ['an unknown key', 'recovery: 2m', 'watch'],
  ])('%s is a config error (exit 2)', async (_name, body, where) => {
    const e = await configError(`${BASE}watch:\n  ${body}\n`)
    expect(e).toBeInstanceOf(ConfigError)
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain(where)
  })
})

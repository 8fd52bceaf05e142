import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {loadFleet} from '../../src/config/load.js'
import type {Fleet} from '../../src/config/model.js'
import {ConfigError} from '../../src/errors.js'
import {assertPreflight, preflight} from '../../src/heal/preflight.js'
import {fleet as runFleet} from '../helpers/cli.js'

const made: string[] = []
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, {recursive: true, force: true})
})

/** A fleet of oc7-9 (group a, with an env file) and oc10-11 (group b) whose files all exist. */
function fixture(): {dir: string; file: string} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-pre-'))
  made.push(dir)
  mkdirSync(path.join(dir, 'proj'))
  mkdirSync(path.join(dir, 'proj-b'))
  for (const f of ['proj/a.yml', 'proj/.env.a', 'proj-b/b.yml']) writeFileSync(path.join(dir, f), '')
  const file = path.join(dir, 'fleet.config.yml')
  writeFileSync(
    file,
    `instances: 7-11
dataDir: data/oc{id}/config
groups:
  a:
    instances: 7-9
    projectDir: proj
    composeFile: a.yml
    envFile: .env.a
  b:
    instances: 10-11
    projectDir: proj-b
    composeFile: b.yml
`,
  )
  return {dir, file}
}

const load = (file: string) => loadFleet({configPath: file, env: {}})
const pick = (fleet: Fleet, ids: number[]) => fleet.instances.filter((i) => ids.includes(i.id))
const keys = (issues: {path: (string | number)[]}[]) => issues.map((i) => i.path.join('.'))

describe('preflight: what a restart needs, before anything changes', () => {
  it('finds nothing when every path exists', async () => {
    const {file} = fixture()
    expect(preflight(await load(file), (await load(file)).instances, {mayRestart: true})).toEqual([])
  })

  it('reports every missing path of every group of the selected instances, with the group key', async () => {
    const {dir, file} = fixture()
    const fleet = await load(file)
    rmSync(path.join(dir, 'proj', 'a.yml'))
    rmSync(path.join(dir, 'proj', '.env.a'))
    rmSync(path.join(dir, 'proj-b'), {recursive: true})
    const issues = preflight(fleet, fleet.instances, {mayRestart: true})
    expect(keys(issues)).toEqual(['groups.a.composeFile', 'groups.a.envFile', 'groups.b.projectDir', 'groups.b.composeFile'])
    expect(issues[0].message).toBe(`file does not exist: ${path.join(dir, 'proj', 'a.yml')} (needed to restart oc7, oc8, oc9)`)
    expect(issues[2].message).toContain(`directory does not exist: ${path.join(dir, 'proj-b')}`)
  })

  it('checks only the groups of the selected instances', async () => {
    const {dir, file} = fixture()
    const fleet = await load(file)
    rmSync(path.join(dir, 'proj-b', 'b.yml'))
    expect(preflight(fleet, pick(fleet, [7, 8]), {mayRestart: true})).toEqual([])
    expect(keys(preflight(fleet, pick(fleet, [7, 11]), {mayRestart: true}))).toEqual(['groups.b.composeFile'])
  })

  it('a directory where a file belongs, and a file where the project dir belongs, are problems too', async () => {
    const {dir, file} = fixture()
    const fleet = await load(file)
    rmSync(path.join(dir, 'proj', 'a.yml'))
    mkdirSync(path.join(dir, 'proj', 'a.yml'))
    rmSync(path.join(dir, 'proj-b'), {recursive: true})
    writeFileSync(path.join(dir, 'proj-b'), '')
    const issues = preflight(fleet, fleet.instances, {mayRestart: true})
    expect(issues.map((i) => i.message.split(':')[0])).toEqual(['is a directory, not a file', 'not a directory', 'file does not exist'])
  })

  it('without restarts nothing of this matters', async () => {
    const {dir, file} = fixture()
    const fleet = await load(file)
    rmSync(path.join(dir, 'proj'), {recursive: true})
    expect(preflight(fleet, fleet.instances, {mayRestart: false})).toEqual([])
  })

  it('instances without a compose group (restarted through the API) need no paths', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-pre-'))
    made.push(dir)
    writeFileSync(path.join(dir, 'fleet.config.yml'), 'instances: 7-8\ndataDir: d/oc{id}\n')
    const fleet = await load(path.join(dir, 'fleet.config.yml'))
    expect(preflight(fleet, fleet.instances, {mayRestart: true})).toEqual([])
  })

  it('assertPreflight: one ConfigError (exit 2) listing every problem with its key and YAML line', async () => {
    const {dir, file} = fixture()
    const fleet = await load(file)
    rmSync(path.join(dir, 'proj', 'a.yml'))
    rmSync(path.join(dir, 'proj-b', 'b.yml'))
    let error: unknown
    try {
      assertPreflight(fleet, fleet.instances, {mayRestart: true, command: 'fleet heal', withoutRestart: '--no-restart'})
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const e = error as ConfigError
    expect(e.exitCode).toBe(2)
    expect(e.message).toContain(`fleet heal: nothing was changed: a restart would fail, the fleet config ${file} names 2 paths compose cannot use`)
    expect(e.message).toContain('groups.a.composeFile (line 7): file does not exist')
    expect(e.message).toContain('groups.b.composeFile (line 12): file does not exist')
    expect(e.hint).toContain('--no-restart')
    expect(() => assertPreflight(fleet, pick(fleet, [7]), {mayRestart: false, command: 'fleet heal', withoutRestart: '--no-restart'})).not.toThrow()
  })
})

describe('fleet heal and fleet watch stop before any change (built CLI, no Docker reached)', () => {
  /** A fixture whose group b lost its compose file, with a lock file in oc10's sessions dir. */
  function broken() {
    const {dir, file} = fixture()
    rmSync(path.join(dir, 'proj-b', 'b.yml'))
    const sessions = path.join(dir, 'data', 'oc10', 'config', 'agents', 'main', 'sessions')
    mkdirSync(sessions, {recursive: true})
    const lock = path.join(sessions, 's1.jsonl.lock')
    writeFileSync(lock, JSON.stringify({pid: 4242, createdAt: '2026-01-01T00:00:00.000Z'}, null, 2))
    const state = path.join(dir, 'state')
    // An engine that does not exist: reaching Docker at all would be exit 3, not 2.
    const env = {XDG_STATE_HOME: state, DOCKER_HOST: 'unix:///nonexistent/fleet-preflight.sock', DOCKER_CONTEXT: undefined}
    return {dir, file, lock, state, env}
  }

  it.each([
    ['heal', ['heal']],
    ['heal --dry-run', ['heal', '--dry-run']],
    ['heal --instances 10', ['heal', '--instances', '10']],
    ['watch --auto-restart', ['watch', '--auto-restart', '--scans', '1']],
  ])('fleet %s: exit 2 naming groups.b.composeFile; the lock, the state dir and the incident dir are untouched', async (_name, args) => {
    const b = broken()
    const r = await runFleet([...args, '--config', b.file], {cwd: b.dir, env: b.env})
    const err = r.stderr.replace(/\s*\n\s*›\s*/g, ' ')
    expect(r.exitCode, r.stderr).toBe(2)
    expect(err).toContain('nothing was changed')
    expect(err).toMatch(/groups\.b\.composeFile \(line 12\): file does not exist: .*b\.yml/)
    expect(readFileSync(b.lock, 'utf8')).toContain('4242')
    expect(existsSync(b.state) ? readdirSync(b.state, {recursive: true}) : []).toEqual([])
    expect(existsSync(path.join(b.dir, 'incidents'))).toBe(false)
  })

  it('without restarts the missing compose file is no reason to stop (heal --no-restart reaches Docker: exit 3 here)', async () => {
    const b = broken()
    const r = await runFleet(['heal', '--no-restart', '--config', b.file], {cwd: b.dir, env: b.env})
    expect(r.exitCode, r.stderr).toBe(3)
  })
})

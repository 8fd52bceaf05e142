// fleet doctor's pure checks: input facts → check result. The version texts follow the real 2026.4.29, 2026.5.5
// and 2026.9.6 packages (see src/openclaw/version.ts); the SQLite layout reader runs on a temp dir, both in-process
// and as the script fleet runs inside containers.
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import type {Instance} from '../../src/config/model.js'
import {hostStateLayout, parseStateLayout, stateLayoutArgv, type StateLayout} from '../../src/openclaw/state-layout.js'
import {lockBehaviour, parseOpenClawVersion} from '../../src/openclaw/version.js'
import {
  agentStartCheck,
  migrationCheck,
  pingRouteCheck,
  sharedStateDirCheck,
  stateDiskCheck,
  versionCheck,
  WAL_WARN_BYTES,
  walCheck,
} from '../../src/doctor/doctor.js'

const inst = {
  id: 851,
  name: 'oc851',
  container: 'c851',
  service: 's',
  dataDir: '/data/oc851/config',
  stateDir: '/home/node/.openclaw',
  sessions: [],
  docker: {timeoutMs: 1},
  lockAccess: 'host',
} as Instance
const v = (s: string) => parseOpenClawVersion(s)!
const MiB = 1024 ** 2

describe('version texts, as read in the real packages', () => {
  it.each([
    ['OpenClaw 2026.4.29 (a448042)', 10_000, 'jsonl', /10 s acquire timeout \(built in, no config key\)/],
    ['OpenClaw 2026.5.5 (b1)', 60_000, 'jsonl', /60 s acquire timeout \(only config session\.writeLock\.acquireTimeoutMs tunes it in 2026\.5; no env var\)/],
    ['OpenClaw 2026.7.2', 60_000, 'jsonl', /not verified/],
    ['OpenClaw 2026.9.6 (eb377ac)', 5_000, 'sqlite', /WAL mode, BEGIN IMMEDIATE writes, 5 s busy timeout built in\): no session write lock/],
  ] as const)('%s', (raw, ms, storage, text) => {
    const b = lockBehaviour(v(raw))
    expect(b).toMatchObject({acquireTimeoutMs: ms, lockStorage: storage, level: 'pass'})
    expect(b.summary).toMatch(text)
    expect(versionCheck(inst, v(raw), 'x')).toMatchObject({check: 'openclaw-version', status: 'pass', message: b.summary, hint: null})
  })

  it('claims no env knob, and never that only openclaw doctor cleans legacy locks', () => {
    fc.assert(
      fc.property(fc.integer({min: 1, max: 12}), fc.integer({min: 0, max: 40}), (minor, patch) => {
        const s = lockBehaviour(v(`OpenClaw 2026.${minor}.${patch}`)).summary
        expect(s).not.toMatch(/OPENCLAW_SESSION_WRITE_LOCK|only `openclaw doctor`/)
        if (minor >= 8) expect(s).toContain('survive restarts and `openclaw doctor --fix`')
      }),
    )
  })

  it('no version: a warning that says why', () => {
    expect(versionCheck(inst, null, 'openclaw --version failed in c851: not found')).toMatchObject({
      status: 'warn',
      message: 'openclaw --version failed in c851: not found',
    })
  })
})

describe('ping route on 2026.8+', () => {
  it('--local fails (refused while a gateway owns the state dir), through the gateway passes', () => {
    expect(pingRouteCheck(inst, ['openclaw', 'agent', '--local'])).toMatchObject({status: 'fail', hint: expect.stringContaining('drop --local')})
    expect(pingRouteCheck(inst, ['openclaw', 'agent'])).toMatchObject({status: 'pass'})
  })
})

describe('two containers on one 2026.8+ state dir', () => {
  const mounts = (name: string, source: string, rw = true) => ({name, mounts: [{source, rw}]})
  it('fails naming both containers, the per-container coordinator locks and the shared gateway lock dir', () => {
    const c = sharedStateDirCheck(inst, [mounts('c851', '/data/oc851/config'), mounts('c852', '/data/oc851')])
    expect(c.status).toBe('fail')
    expect(c.message).toContain('c851, c852')
    expect(c.message).toContain('/tmp/openclaw-state-locks-<uid>/')
    expect(c.message).toContain('/home/node/.openclaw/tmp/openclaw-<uid>/')
  })
  it('one writer, or a second one read-only, passes', () => {
    expect(sharedStateDirCheck(inst, [mounts('c851', '/data/oc851/config'), mounts('c853', '/data/oc853/config')]).status).toBe('pass')
    expect(sharedStateDirCheck(inst, [mounts('c851', '/data/oc851/config'), mounts('c852', '/data/oc851/config', false)]).status).toBe('pass')
    expect(sharedStateDirCheck(inst, []).message).toContain('no running container')
  })
})

const layout = (stateWal: number | null, agents: [string, number | null, number | null, number][]): StateLayout => ({
  stateDb: {dbBytes: 4096, walBytes: stateWal},
  agents: agents.map(([id, dbBytes, walBytes, transcripts]) => ({id, db: {dbBytes, walBytes}, transcripts})),
})

describe('SQLite WAL size', () => {
  it.each([
    [layout(null, []), 'pass', 'no SQLite WAL files yet'],
    [layout(MiB, [['main', 4096, 2 * MiB, 0]]), 'pass', 'agents/main/agent/openclaw-agent.sqlite-wal 2.0 MiB'],
    [layout(WAL_WARN_BYTES, []), 'pass', 'state/openclaw.sqlite-wal 64.0 MiB'],
    [layout(MiB, [['ops', 4096, 200 * MiB, 0]]), 'warn', 'agents/ops/agent/openclaw-agent.sqlite-wal 200.0 MiB: above 64.0 MiB'],
  ] as const)('%#: %s', (l, status, text) => {
    const c = walCheck(inst, l)
    expect(c).toMatchObject({check: 'sqlite-wal', status})
    expect(c.message).toContain(text)
  })

  it('property: warns exactly when some WAL is above the limit, and names only those', () => {
    const size = fc.option(fc.integer({min: 0, max: 4 * WAL_WARN_BYTES}), {nil: null})
    fc.assert(
      fc.property(size, fc.array(fc.tuple(size, size), {maxLength: 5}), (stateWal, dbs) => {
        const l = layout(
          stateWal,
          dbs.map(([db, wal], i) => [`a${i}`, db, wal, 0]),
        )
        const big = [stateWal, ...dbs.map(([, w]) => w)].filter((w) => w !== null && w > WAL_WARN_BYTES).length
        const c = walCheck(inst, l)
        expect(c.status).toBe(big > 0 ? 'warn' : 'pass')
        if (big > 0) expect(c.message.match(/sqlite-wal \d/g)?.length).toBe(big)
      }),
    )
  })
})

describe('agents an upgrade did not migrate', () => {
  it.each([
    ['2026.9.6', layout(null, [['main', 4096, null, 3]]), 'pass'],
    [
      '2026.9.6',
      layout(null, [
        ['main', 4096, null, 3],
        ['ops', null, null, 12],
      ]),
      'warn',
    ],
    [
      '2026.8.1',
      layout(null, [
        ['main', 4096, null, 0],
        ['ops', null, null, 1],
      ]),
      'fail',
    ],
    ['2026.8.2', layout(null, [['ops', null, null, 1]]), 'warn'],
    ['2026.9.6', layout(null, [['empty', null, null, 0]]), 'pass'],
  ] as const)('%s %#: %s', (ver, l, status) => {
    const c = migrationCheck(inst, v(ver), l)
    expect(c.status).toBe(status)
    if (status !== 'pass') {
      expect(c.message).toMatch(/agent ops \((1|12) transcripts\)/)
      expect(c.message).toContain('#133992')
      expect(c.hint).toContain('--session-sqlite dry-run --session-sqlite-all-agents')
    }
  })

  it('property: passes exactly when every agent with transcripts has its db', () => {
    const agent = fc.tuple(fc.constantFrom('main', 'ops', 'x'), fc.option(fc.nat(), {nil: null}), fc.nat({max: 5}))
    fc.assert(
      fc.property(fc.array(agent, {maxLength: 6}), (as) => {
        const l = layout(
          null,
          as.map(([id, db, t]) => [id, db, null, t]),
        )
        const left = as.some(([, db, t]) => t > 0 && db === null)
        expect(migrationCheck(inst, v('2026.9.6'), l).status).toBe(left ? 'warn' : 'pass')
      }),
    )
  })
})

describe('the agent CLI starts at all', () => {
  const r = (over: Partial<{exitCode: number | null; stdout: string; stderr: string; timedOut: boolean; durationMs: number}>) => ({
    exitCode: 0,
    stdout: '',
    stderr: '',
    timedOut: false,
    durationMs: 4200,
    ...over,
  })
  const argv = ['openclaw', 'agent', '--help']
  it.each([
    [r({}), 'pass', '`openclaw agent --help` exits 0 in c851 (4.2 s)'],
    [r({timedOut: true, exitCode: null}), 'fail', 'did not finish within 60 s in c851'],
    [
      r({exitCode: 1, stderr: 'PluginLoadFailureError: Unable to resolve a safe npm executable\n    at load (x.js:1:1)\n'}),
      'fail',
      'exits 1 in c851: PluginLoadFailureError: Unable to resolve a safe npm executable',
    ],
    [
      r({
        exitCode: 126,
        stderr: 'OCI runtime exec failed: exec failed: unable to start container process: exec: "openclaw": executable file not found in $PATH',
      }),
      'fail',
      'executable file not found',
    ],
  ] as const)('%#: %s', (res, status, text) => {
    const c = agentStartCheck(inst, 'c851', argv, res, 60_000)
    expect(c).toMatchObject({check: 'agent-start', status})
    expect(c.message).toContain(text)
  })
})

describe('the SQLite layout of a state dir', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'fleet-layout-'))
  afterAll(() => rmSync(root, {recursive: true, force: true}))
  const put = (rel: string, bytes: number) => {
    mkdirSync(path.dirname(path.join(root, rel)), {recursive: true})
    writeFileSync(path.join(root, rel), Buffer.alloc(bytes))
  }
  put('state/openclaw.sqlite', 8192)
  put('state/openclaw.sqlite-wal', 1000)
  put('agents/main/agent/openclaw-agent.sqlite', 4096)
  put('agents/ops/sessions/a.jsonl', 10)
  put('agents/ops/sessions/b.jsonl', 10)
  put('agents/ops/sessions/a.jsonl.lock', 10)
  put('agents/ops/sessions/sessions.json', 10)
  put('agents/not-a-dir', 1)

  const expected: StateLayout = {
    stateDb: {dbBytes: 8192, walBytes: 1000},
    agents: [
      {id: 'main', db: {dbBytes: 4096, walBytes: null}, transcripts: 0},
      {id: 'ops', db: {dbBytes: null, walBytes: null}, transcripts: 2},
    ],
  }

  it('on the host: sizes only, agents sorted, files that are not agent dirs skipped, nothing written', () => {
    const before = readdirSync(root, {recursive: true}).sort()
    expect(hostStateLayout(root)).toEqual(expected)
    expect(readdirSync(root, {recursive: true}).sort()).toEqual(before)
  })

  it('the container script gives the same document (the same function, serialised)', () => {
    const [node, ...args] = stateLayoutArgv(root)
    expect(node).toBe('node')
    const stdout = execFileSync(process.execPath, args, {encoding: 'utf8'})
    expect(parseStateLayout({exitCode: 0, stdout, stderr: '', timedOut: false})).toEqual(expected)
  })

  it('a missing state dir is an empty layout', () => {
    expect(hostStateLayout(path.join(root, 'nope'))).toEqual({stateDb: {dbBytes: null, walBytes: null}, agents: []})
  })

  it.each([
    [{exitCode: 0, stdout: 'nope', stderr: '', timedOut: false}, /not JSON/],
    [{exitCode: 0, stdout: '{"stateDb":{"dbBytes":"x","walBytes":null},"agents":[]}', stderr: '', timedOut: false}, /unexpected layout/],
    [{exitCode: 0, stdout: '{"stateDb":{"dbBytes":1,"walBytes":null},"agents":[{"id":1}]}', stderr: '', timedOut: false}, /unexpected layout/],
    [{exitCode: 1, stdout: '', stderr: 'node: not found', timedOut: false}, /exit 1: node: not found/],
    [{exitCode: null, stdout: '', stderr: '', timedOut: true}, /timed out/],
  ])('bad exec output %# is a clear error', (out, re) => {
    const got = parseStateLayout(out)
    expect(got).toBeInstanceOf(Error)
    expect((got as Error).message).toMatch(re)
  })
})

describe("the state dir's filesystem (state-disk)", () => {
  const r = {
    path: '/data/oc851/config',
    mountPoint: '/data/oc851/config',
    fsType: 'tmpfs',
    source: 'fleet-lab-851',
    freeBytes: 200 * MiB,
    totalBytes: 256 * MiB,
    readOnly: false,
    error: null as string | null,
  }
  it.each<[string, Partial<Omit<typeof r, 'freeBytes' | 'totalBytes'> & {freeBytes: number | null; totalBytes: number | null}>, string, RegExp]>([
    ['room, but under 1 GiB: warn', {}, 'warn', /on tmpfs \(fleet-lab-851 at \/data\/oc851\/config\): 200 MiB free of 256 MiB/],
    ['plenty', {freeBytes: 300 * 1024 * MiB, totalBytes: 400 * 1024 * MiB}, 'pass', /300 GiB free of 400 GiB/],
    [
      'full: fail, naming the filesystem and its free space',
      {freeBytes: 0},
      'fail',
      /on tmpfs \(fleet-lab-851 at \/data\/oc851\/config\): full, 0 B free of 256 MiB/,
    ],
    ['read-only: fail', {readOnly: true}, 'fail', /mounted read-only/],
    ['unreadable: warn', {freeBytes: null, totalBytes: null, error: 'EACCES'}, 'warn', /cannot read its space/],
  ])('%s', (_n, extra, status, message) => {
    const c = stateDiskCheck(inst, {...r, ...extra})
    expect(c).toMatchObject({check: 'state-disk', instance: 'oc851', status})
    expect(c.message).toMatch(message)
    if (status === 'fail') expect(c.hint).toMatch(/a restart does not/)
  })
})

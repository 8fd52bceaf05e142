import {execa} from 'execa'
import fc from 'fast-check'
import {createHash} from 'node:crypto'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {removeLockCarefully} from '../../src/locks/remove.js'
import {loadFleet} from '../../src/config/load.js'
import {
  acquireRunLocks,
  chooseRunLockPlace,
  dockerEndpoint,
  localProcess,
  normaliseEndpoint,
  planRunLocks,
  SHARED_RUN_LOCK_DIRS,
  writableDir,
} from '../../src/runs/run-lock.js'
import {BusyError} from '../../src/errors.js'

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fleet-rm-'))
const snap = (p: string) => ({raw: readFileSync(p, 'utf8'), mtimeMs: statSync(p).mtimeMs, size: statSync(p).size})

describe('careful lock removal', () => {
  it('removes an unchanged lock and keeps a copy', async () => {
    const dir = tmp()
    const lock = path.join(dir, 'a.jsonl.lock')
    writeFileSync(lock, '{\n  "pid": 6340\n}')
    const r = await removeLockCarefully(lock, snap(lock), path.join(dir, 'bk'))
    expect(r.outcome).toBe('removed')
    expect(existsSync(lock)).toBe(false)
    expect(readFileSync(r.backup as string, 'utf8')).toBe('{\n  "pid": 6340\n}')
  })

  it('skips a lock that changed since it was judged (a new owner took it)', async () => {
    const dir = tmp()
    const lock = path.join(dir, 'a.jsonl.lock')
    writeFileSync(lock, '{"pid": 1}')
    const judged = snap(lock)
    writeFileSync(lock, '{"pid": 2}')
    const r = await removeLockCarefully(lock, judged, path.join(dir, 'bk'))
    expect(r.outcome).toBe('changed')
    expect(readFileSync(lock, 'utf8')).toBe('{"pid": 2}')
  })

  it('reports a lock released meanwhile as gone, refuses transcripts and symlinks', async () => {
    const dir = tmp()
    expect((await removeLockCarefully(path.join(dir, 'x.jsonl.lock'), {raw: '', mtimeMs: 0, size: 0}, dir)).outcome).toBe('gone')
    const transcript = path.join(dir, 'x.jsonl')
    writeFileSync(transcript, '{"role":"user"}\n')
    expect((await removeLockCarefully(transcript, snap(transcript), dir)).outcome).toBe('not-a-lock')
    expect(readFileSync(transcript, 'utf8')).toBe('{"role":"user"}\n')
    const link = path.join(dir, 'l.jsonl.lock')
    symlinkSync(transcript, link)
    expect((await removeLockCarefully(link, snap(transcript), dir)).outcome).toBe('changed')
    expect(existsSync(link)).toBe(true)
  })
})

describe('fleet run lock', () => {
  const docker = (host?: string) => ({host, timeoutMs: 1000})
  const oc7 = {name: 'oc7', container: 'openclaw-openclaw-gateway-7-1', docker: docker('unix:///srv/engine-a.sock')}
  const meta = {command: 'heal' as const, config: '/x/fleet.config.yml'}

  it('a second run on the same instance is refused while the first lives, and released after', async () => {
    const dir = tmp()
    const first = await acquireRunLocks(dir, [oc7], meta, {})
    await expect(acquireRunLocks(dir, [oc7], meta, {})).rejects.toBeInstanceOf(BusyError)
    await first.release()
    const again = await acquireRunLocks(dir, [oc7], meta, {})
    await again.release()
  })

  it('the payload keeps pid, createdAt, starttime, host and adds command, config and instance', async () => {
    const dir = tmp()
    const l = await acquireRunLocks(dir, [oc7], {command: 'watch', config: '/x/fleet.config.yml'}, {})
    const payload = JSON.parse(readFileSync(l.paths[0], 'utf8'))
    expect(Object.keys(payload).sort()).toEqual(['command', 'config', 'createdAt', 'host', 'instance', 'pid', 'starttime', 'user'])
    expect(payload).toMatchObject({
      pid: process.pid,
      host: os.hostname(),
      command: 'watch',
      config: '/x/fleet.config.yml',
      instance: 'oc7',
      starttime: localProcess(process.pid).starttime,
    })
    await l.release()
    expect(existsSync(l.paths[0])).toBe(false)
  })

  it('two different config paths naming the same instance collide (the key is the endpoint and the container)', async () => {
    const dir = tmp()
    const first = await acquireRunLocks(dir, [oc7], {command: 'heal', config: '/etc/fleet/fleet.config.yml'}, {})
    // Another config calls the same container oc1: same engine, same container, same lock.
    const error = await acquireRunLocks(dir, [{...oc7, name: 'oc1'}], {command: 'heal', config: '/home/op/copy-of-fleet.yml'}, {}).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BusyError)
    expect((error as BusyError).exitCode).toBe(1)
    expect((error as BusyError).message).toMatch(
      new RegExp(
        `^fleet heal \\(pid ${process.pid}, since \\S+, config /etc/fleet/fleet.config.yml\\) holds oc1 \\(container openclaw-openclaw-gateway-7-1 on unix:///srv/engine-a.sock\\) \\(oc7 in its config\\): `,
      ),
    )
    expect((error as BusyError).hint).toMatch(/wait for it to finish/)
    await first.release()
  })

  it('the same fleet through a symlinked config and through a copy in another folder is one fleet', async () => {
    const dir = tmp()
    const body = 'instances: 7-8\ndataDir: d/oc{id}\ndocker:\n  host: unix:///srv/engine-a.sock\nheal:\n  incidentDir: incidents\n'
    const real = path.join(dir, 'fleet.config.yml')
    writeFileSync(real, body)
    const link = path.join(dir, 'link.yml')
    symlinkSync(real, link)
    mkdirSync(path.join(dir, 'elsewhere'))
    const copy = path.join(dir, 'elsewhere', 'fleet.config.yml')
    writeFileSync(copy, body)
    const locks = path.join(dir, 'run-locks')
    const [a, b, c] = await Promise.all([real, link, copy].map((f) => loadFleet({configPath: f, env: {}})))
    expect(new Set([a.file, b.file, c.file]).size).toBe(3)
    const held = await acquireRunLocks(locks, a.instances, {command: 'heal', config: a.file}, {})
    for (const other of [b, c])
      await expect(acquireRunLocks(locks, other.instances.slice(1), {command: 'heal', config: other.file}, {})).rejects.toThrow(
        /fleet heal \(pid \d+, .*\) holds oc8/,
      )
    await held.release()
  })

  it('a watch holder is named: stop it or restart it with --report-only, never "wait for it to finish"', async () => {
    const dir = tmp()
    const w = await acquireRunLocks(dir, [oc7], {command: 'watch', config: '/x/fleet.config.yml'}, {})
    const error = (await acquireRunLocks(dir, [oc7], meta, {}).catch((e: unknown) => e)) as BusyError
    expect(error).toBeInstanceOf(BusyError)
    expect(error.message).toMatch(new RegExp(`^fleet watch \\(pid ${process.pid}, since \\d{4}-\\d\\d-\\d\\dT[^,]+, config /x/fleet.config.yml\\) holds oc7 `))
    expect(error.hint).toBe('stop that watch (SIGINT/SIGTERM) or restart it with --report-only, then heal')
    expect(`${error.message} ${error.hint}`).not.toMatch(/wait for it to finish/)
    const second = (await acquireRunLocks(dir, [oc7], {command: 'watch', config: '/y.yml'}, {}).catch((e: unknown) => e)) as BusyError
    expect(second.hint).toBe('stop that watch (SIGINT/SIGTERM) or restart it with --report-only, then start this watch')
    await w.release()
  })

  it('all or nothing: on a busy instance the locks already taken are released, the holder keeps its own', async () => {
    const dir = tmp()
    const fleet = [7, 8, 9, 10].map((id) => ({name: `oc${id}`, container: `gw-${id}`, docker: docker()}))
    const plan = planRunLocks(dir, fleet, {})
    // Whatever is taken before the busy one in sorted order must be given back.
    const busyOne = plan[2].target
    const holder = await acquireRunLocks(dir, [busyOne], {command: 'watch', config: '/w.yml'}, {})
    await expect(acquireRunLocks(dir, fleet, meta, {})).rejects.toThrow(`holds ${busyOne.name} `)
    expect(readdirSync(dir).filter((n) => n.endsWith('.lock'))).toEqual([path.basename(holder.paths[0])])
    await holder.release()
    const all = await acquireRunLocks(dir, fleet, meta, {})
    expect(all.paths).toEqual(plan.map((p) => p.path))
    await all.release()
    expect(readdirSync(dir).filter((n) => n.endsWith('.lock'))).toEqual([])
  })

  it('different instances, or the same container name on another engine, do not collide', async () => {
    const dir = tmp()
    const a = await acquireRunLocks(dir, [oc7], meta, {})
    const b = await acquireRunLocks(dir, [{...oc7, name: 'oc8', container: 'openclaw-openclaw-gateway-8-1'}], meta, {})
    const c = await acquireRunLocks(dir, [{...oc7, docker: docker('tcp://10.0.0.5:2376')}], meta, {})
    await Promise.all([a, b, c].map((l) => l.release()))
  })

  it('the endpoint is resolved as dockerFor resolves it: docker.host, DOCKER_HOST, DOCKER_CONTEXT, the local socket', () => {
    const cfg = tmp()
    // A Docker context as the docker CLI stores it: contexts/meta/<sha256(name)>/meta.json
    const id = createHash('sha256').update('remote').digest('hex')
    mkdirSync(path.join(cfg, 'contexts', 'meta', id), {recursive: true})
    writeFileSync(path.join(cfg, 'contexts', 'meta', id, 'meta.json'), JSON.stringify({Name: 'remote', Endpoints: {docker: {Host: 'tcp://Ctx.Example:2376'}}}))
    expect(dockerEndpoint(docker('tcp://H.example:2375'), {DOCKER_HOST: 'tcp://other:1'})).toBe('tcp://h.example:2375')
    expect(dockerEndpoint(docker(), {DOCKER_HOST: 'ssh://deploy@gw1', DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: cfg})).toBe('ssh://deploy@gw1')
    expect(dockerEndpoint(docker(), {DOCKER_CONTEXT: 'remote', DOCKER_CONFIG: cfg})).toBe('tcp://ctx.example:2376')
    expect(dockerEndpoint(docker('remote'), {DOCKER_CONFIG: cfg})).toBe('tcp://ctx.example:2376')
    expect(dockerEndpoint(docker(), {})).toBe(normaliseEndpoint('unix:///var/run/docker.sock'))
    expect(dockerEndpoint(docker(), {})).toMatch(/^unix:\/\/\/.*docker\.sock$/)
  })

  it('one socket written two ways (a bare path, through a symlink) is one endpoint', () => {
    const dir = tmp()
    const sock = path.join(dir, 'docker.sock')
    writeFileSync(sock, '')
    symlinkSync(dir, path.join(dir, 'via'))
    expect(normaliseEndpoint(sock)).toBe(`unix://${sock}`)
    expect(normaliseEndpoint(`unix://${path.join(dir, 'via', 'docker.sock')}`)).toBe(`unix://${sock}`)
    expect(normaliseEndpoint('tcp://GW1:2375/')).toBe('tcp://gw1:2375')
  })

  it('property: the locks of a run do not depend on the order or repeats of its targets; one per endpoint and container, sorted', () => {
    const target = fc.record({
      name: fc.constantFrom('oc1', 'oc7', 'x'),
      container: fc.constantFrom('gw-1', 'gw-2', 'gw-3'),
      docker: fc.record({host: fc.constantFrom(undefined, 'tcp://a:1', 'tcp://A:1', 'ssh://b'), timeoutMs: fc.constant(1000)}),
    })
    fc.assert(
      fc.property(fc.array(target, {maxLength: 12}), fc.array(fc.nat(), {maxLength: 12}), (targets, order) => {
        const shuffled = [...targets, ...targets.slice(0, 2)]
          .map((t, i) => ({t, k: order[i % Math.max(1, order.length)] ?? i}))
          .sort((x, y) => x.k - y.k)
          .map((x) => x.t)
        const env = {DOCKER_HOST: 'tcp://a:1'}
        const one = planRunLocks('/l', targets, env).map((p) => p.path)
        expect(planRunLocks('/l', shuffled, env).map((p) => p.path)).toEqual(one)
        expect([...one].sort()).toEqual(one)
        const identities = new Set(targets.map((t) => `${(t.docker.host ?? env.DOCKER_HOST).toLowerCase()}|${t.container}`))
        expect(one).toHaveLength(identities.size)
      }),
      {numRuns: 500},
    )
  })

  it('a lock left by a run killed with SIGKILL is judged stale and taken over', async () => {
    const dir = tmp()
    const p = planRunLocks(dir, [oc7], {})[0].path
    mkdirSync(dir, {recursive: true})
    // A real process takes the lock with the same payload fleet writes, then dies by SIGKILL.
    const child = execa('node', [
      '-e',
      `
      const fs = require('fs');
      const st = fs.readFileSync('/proc/self/stat', 'latin1'); const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      fs.writeFileSync(${JSON.stringify(p)}, JSON.stringify({pid: process.pid, createdAt: new Date().toISOString(), starttime: Number(f[19]), host: require('os').hostname(), command: 'heal', config: '/k.yml', instance: 'oc7'}, null, 2), {flag: 'wx'});
      console.log('locked'); setInterval(() => {}, 1000);`,
    ])
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()))
    await expect(acquireRunLocks(dir, [oc7], meta, {})).rejects.toThrow(/^fleet heal \(pid \d+, since .*, config \/k.yml\) holds oc7 /)
    child.kill('SIGKILL')
    await child.catch(() => undefined)
    const taken = await acquireRunLocks(dir, [oc7], meta, {})
    expect(JSON.parse(readFileSync(p, 'utf8')).pid).toBe(process.pid)
    await taken.release()
  })

  it('a lock of an older fleet (no command) or from another host is worded for what it is', async () => {
    const dir = tmp()
    const p = planRunLocks(dir, [oc7], {})[0].path
    writeFileSync(
      p,
      JSON.stringify({pid: process.pid, createdAt: '2026-01-01T00:00:00.000Z', starttime: localProcess(process.pid).starttime, host: os.hostname()}),
    )
    await expect(acquireRunLocks(dir, [oc7], meta, {})).rejects.toThrow(/^another fleet run \(pid \d+, since 2026-01-01T00:00:00.000Z\) holds oc7 /)
    writeFileSync(p, JSON.stringify({pid: 1, createdAt: '2026-01-01T00:00:00.000Z', host: 'other-box', command: 'watch', config: '/c.yml', instance: 'oc7'}))
    const e = (await acquireRunLocks(dir, [oc7], meta, {}).catch((x: unknown) => x)) as BusyError
    expect(e.message).toMatch(/^fleet watch \(pid 1 on host other-box, since 2026-01-01T00:00:00.000Z, config \/c.yml\) holds oc7 /)
    expect(e.hint).toMatch(/^stop that watch \(SIGINT\/SIGTERM\) or restart it with --report-only, then heal; it runs on other-box/)
  })

  it('the place of run locks: FLEET_RUN_LOCK_DIR, else the first writable shared place, else the user state dir with a note; never the XDG dir while a shared place is usable', () => {
    const ok = () => true
    const none = () => false
    expect(chooseRunLockPlace({FLEET_RUN_LOCK_DIR: 'rel/locks'}, none)).toEqual({dir: path.resolve('rel/locks'), shared: true, note: null})
    expect(chooseRunLockPlace({XDG_STATE_HOME: '/a'}, ok)).toEqual({dir: SHARED_RUN_LOCK_DIRS[0], shared: true, note: null})
    expect(chooseRunLockPlace({XDG_STATE_HOME: '/b'}, ok).dir).toBe(chooseRunLockPlace({XDG_STATE_HOME: '/a'}, ok).dir)
    expect(chooseRunLockPlace({}, (d) => d === SHARED_RUN_LOCK_DIRS[1]).dir).toBe(SHARED_RUN_LOCK_DIRS[1])
    const fallback = chooseRunLockPlace({XDG_STATE_HOME: '/home/op/.state'}, none)
    expect(fallback).toMatchObject({dir: '/home/op/.state/openclaw-fleet/run-locks', shared: false})
    expect(fallback.note).toContain('FLEET_RUN_LOCK_DIR')
    expect(fallback.note).toContain('/run/lock/openclaw-fleet')
    // The key is the engine and the container, never the state dir: two operators plan the same file.
    fc.assert(
      fc.property(fc.string(), fc.string(), (a, b) => {
        const t = [{name: 'oc7', container: 'c7', docker: {host: 'tcp://10.0.0.5:2376', timeoutMs: 1000}}]
        return (
          planRunLocks(chooseRunLockPlace({XDG_STATE_HOME: `/x${a}`}, ok).dir, t, {XDG_STATE_HOME: a})[0].path ===
          planRunLocks(chooseRunLockPlace({XDG_STATE_HOME: `/y${b}`}, ok).dir, t, {XDG_STATE_HOME: b})[0].path
        )
      }),
    )
  })

  it('a lock dir made in a sticky shared dir is shared the same way (1777); a writable dir or parent is usable', async () => {
    const dir = tmp()
    chmodSync(dir, 0o1777)
    const locks = path.join(dir, 'openclaw-fleet')
    expect(writableDir(locks)).toBe(true)
    expect(writableDir(path.join(dir, 'no', 'such'))).toBe(false)
    // A dir that exists is judged itself, never by its writable parent.
    const file = path.join(dir, 'a-file')
    writeFileSync(file, '')
    expect(writableDir(file)).toBe(false)
    const l = await acquireRunLocks(locks, [oc7], meta, {})
    expect(statSync(locks).mode & 0o7777).toBe(0o1777)
    expect(JSON.parse(readFileSync(l.paths[0], 'utf8'))).toMatchObject({pid: process.pid, user: os.userInfo().username, command: 'heal'})
    await l.release()
  })

  it('reads this process from /proc', () => {
    const me = localProcess(process.pid)
    expect(me.exists).toBe(true)
    expect(me.starttime).toBeGreaterThan(0)
    expect(localProcess(2 ** 22 + 12345).exists).toBe(false)
  })
})

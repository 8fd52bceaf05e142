import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {firstFileInTar, packageCandidates, storageOf, versionFromPackageJson} from '../../src/openclaw/detect.js'
import {cachedVersion, rememberVersion} from '../../src/openclaw/version-cache.js'
import {lockKindOf, parseLockPayload, sessionOf} from '../../src/locks/parse.js'
import {judge} from '../../src/locks/judge.js'
import type {LockEvidence, LockFile, LockPolicy} from '../../src/locks/types.js'
import {mkdtempSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** A one-file ustar archive, as the engine's archive API (docker cp) returns it. */
function tarOf(name: string, body: string): Buffer {
  const data = Buffer.from(body)
  const h = Buffer.alloc(512)
  h.write(name, 0, 'latin1')
  h.write('0000644\0', 100)
  h.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124)
  h.write('0', 156)
  h.write('ustar\0', 257)
  const pad = Buffer.alloc(Math.ceil(data.length / 512) * 512 - data.length)
  return Buffer.concat([h, data, pad, Buffer.alloc(1024)])
}

describe('the OpenClaw version of a container', () => {
  it("reads only OpenClaw's own package.json", () => {
    expect(versionFromPackageJson('{"name":"openclaw","version":"2026.9.6"}')?.raw).toBe('2026.9.6')
    expect(versionFromPackageJson('{"name":"openclaw","version":"2026.4.29","type":"module"}')?.raw).toBe('2026.4.29')
    expect(versionFromPackageJson('{"name":"other","version":"2026.9.6"}')).toBeNull()
    expect(versionFromPackageJson('{"name":"openclaw","version":"2026.9.6-beta.1"}')).toBeNull()
    expect(versionFromPackageJson('{"name":"openclaw"}')).toBeNull()
    expect(versionFromPackageJson('not json')).toBeNull()
    expect(versionFromPackageJson('[]')).toBeNull()
  })

  it('looks in the working dir first, then where images put the package', () => {
    expect(packageCandidates('/app')).toEqual([
      '/app/package.json',
      '/usr/local/lib/node_modules/openclaw/package.json',
      '/usr/lib/node_modules/openclaw/package.json',
      '/opt/openclaw/package.json',
    ])
    expect(packageCandidates('/srv/oc')[0]).toBe('/srv/oc/package.json')
    expect(packageCandidates(null)[0]).toBe('/app/package.json')
    expect(packageCandidates('relative')[0]).toBe('/app/package.json')
  })

  it('takes the file out of the archive API answer', () => {
    const body = '{"name":"openclaw","version":"2026.8.2"}'
    expect(firstFileInTar(tarOf('package.json', body))?.toString()).toBe(body)
    expect(firstFileInTar(Buffer.alloc(1024))).toBeNull()
    expect(firstFileInTar(tarOf('package.json', body).subarray(0, 530))).toBeNull()
  })

  it('property: firstFileInTar never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({maxLength: 3000}), (bytes) => (firstFileInTar(Buffer.from(bytes)), true)))
  })

  it('storage by version: JSONL to 2026.7, SQLite from 2026.8, unknown stays unknown', () => {
    expect(storageOf('2026.4.29')).toBe('jsonl')
    expect(storageOf('2026.7.9')).toBe('jsonl')
    expect(storageOf('2026.8.0')).toBe('sqlite')
    expect(storageOf('2026.9.6')).toBe('sqlite')
    expect(storageOf('2027.1.1')).toBe('sqlite')
    expect(storageOf(null)).toBeNull()
    expect(storageOf('garbage')).toBeNull()
  })

  it('the cache keeps one reading per incarnation and survives a corrupt file', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'fleet-vc-')), 'versions.json')
    expect(cachedVersion('id@t1', file)).toBeNull()
    rememberVersion('id@t1', {version: '2026.9.6', source: 'host-proc', file: '/app/package.json', error: null}, file)
    expect(cachedVersion('id@t1', file)).toMatchObject({version: '2026.9.6', source: 'cache'})
    expect(cachedVersion('id@t2', file)).toBeNull()
  })
})

describe('2026.8+ gateway lock files', () => {
  const payload = (o: object) => `${JSON.stringify(o, null, 2)}${' '.repeat(40)}\n`
  it('are recognised by name (not their .lock.sqlite coordinators)', () => {
    expect(lockKindOf('gateway.state.lock')).toBe('gateway')
    expect(lockKindOf('gateway.1a2b3c4d.lock')).toBe('gateway')
    expect(lockKindOf('gateway.state.lock.sqlite')).toBeNull()
    expect(lockKindOf('gateway..lock')).toBeNull()
    expect(sessionOf('gateway.1a2b3c4d.lock')).toBe('gateway.1a2b3c4d')
  })

  it('parse: startTime is the starttime, whitespace padding is fine, the role is kept', () => {
    const p = parseLockPayload(
      payload({pid: 8, ownerId: 'u', createdAt: '2026-12-01T10:00:00.000Z', configPath: '/c', stateDir: '/s', port: 18789, startTime: 4242}),
    )
    expect(p).toMatchObject({pid: 8, starttime: 4242, shape: 'gateway-2026.8+', problems: []})
    expect(p.role).toBeUndefined()
    expect(parseLockPayload(payload({pid: 9, createdAt: '2026-12-01T10:00:00.000Z', role: 'agent-embedded', startTime: 1})).role).toBe('agent-embedded')
  })

  const policy: LockPolicy = {maxHoldMs: 300_000, orphanAfterMs: 120_000, clockSkewMs: 2_000, malformedGraceMs: 5_000}
  const started = Date.parse('2026-12-01T10:00:00.000Z')
  const file = (created: string): LockFile => ({
    path: '/d/tmp/openclaw-1000/gateway.state.lock',
    containerPath: '/s/tmp/openclaw-1000/gateway.state.lock',
    kind: 'gateway',
    agent: 'gateway',
    session: 'gateway.state',
    size: 300,
    mtimeMs: Date.parse(created),
  })
  const evidence = (proc: LockEvidence['process']): LockEvidence => ({
    container: {name: 'c', running: true, startedAtMs: started},
    mountedBy: ['c'],
    process: proc,
  })
  const gateway = {pid: 8, exists: true, state: 'S', ppid: 1, starttime: 4242, cmdline: ['openclaw-gateway'], isMain: true, isAgent: false}

  it("the running gateway's own lock is live for its whole life (never hung by age)", () => {
    const created = '2026-12-01T10:00:05.000Z'
    const p = parseLockPayload(payload({pid: 8, createdAt: created, startTime: 4242}))
    const j = judge(file(created), p, evidence(gateway), policy, started + 48 * 3_600_000)
    expect(j.verdict).toBe('live')
  })

  it('upstream #135133: the previous incarnation left it and the new gateway got the same pid: stale', () => {
    const created = '2026-12-01T09:00:00.000Z'
    const p = parseLockPayload(payload({pid: 8, createdAt: created}))
    const j = judge(file(created), p, evidence(gateway), policy, started + 60_000)
    expect(j.verdict).toBe('stale')
    expect(j.reasons).toContain('predates-container-start')
  })

  it('same incarnation, pid reused by another process (startTime differs): stale, recycled', () => {
    const created = '2026-12-01T10:00:05.000Z'
    const p = parseLockPayload(payload({pid: 8, createdAt: created, startTime: 1}))
    const j = judge(file(created), p, evidence(gateway), policy, started + 60_000)
    expect(j).toMatchObject({verdict: 'stale', reasons: ['recycled-pid']})
  })
})

// fleet doctor's I/O checks: the mountinfo and PSI parsers, the latency probe (on a temp dir, in-process and as the
// script fleet runs in containers, and on a fake fs that fails at every step), and the decisions on their figures.
import {execFileSync} from 'node:child_process'
import {mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import * as nodeFs from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import type {Instance} from '../../src/config/model.js'
import {ioChecks, latencyLevel, lowSpace, pressureLevel, type IoReading} from '../../src/doctor/io-checks.js'
import {ioProbeArgv, isRemoteFs, parseIoProbe, parseIoSamples, parsePressure, probeLatency, runIoProbeHere, type IoProbe} from '../../src/doctor/io-probe.js'
import {mountOf, parseMountinfo} from '../../src/observe/state-fs.js'
import {UsageError} from '../../src/errors.js'

const MOUNTINFO = [
  '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
  '30 22 0:25 / /proc rw,nosuid - proc proc rw',
  '41 22 0:40 / /opt/openclaw-multi rw,relatime shared:20 - nfs4 nas:/export/openclaw rw,vers=4.2',
  '42 41 8:17 / /opt/openclaw-multi/data/oc2 rw,relatime - xfs /dev/sdb1 rw',
  '43 22 0:41 / /mnt/with\\040space rw - fuse.sshfs me@host:/x rw',
  'garbage line',
].join('\n')

const inst = (name: string, lockAccess: 'host' | 'docker' = 'host') => ({name, lockAccess}) as Instance
const dir = mkdtempSync(path.join(tmpdir(), 'wt-c-io-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('mountinfo', () => {
  it('parses mount point, type, source and device, unescaping \\040, skipping bad lines', () => {
    const m = parseMountinfo(MOUNTINFO)
    expect(m).toHaveLength(5)
    expect(m[4]).toEqual({mountPoint: '/mnt/with space', fsType: 'fuse.sshfs', source: 'me@host:/x', device: '0:41'})
  })

  it.each([
    ['/opt/openclaw-multi/data/oc1/config', 'nfs4'],
    ['/opt/openclaw-multi/data/oc2/config', 'xfs'],
    ['/opt/openclaw-multi/data/oc2', 'xfs'],
    ['/opt/openclaw-multiplex', 'ext4'],
    ['/mnt/with space/a', 'fuse.sshfs'],
    ['/', 'ext4'],
  ])('%s is on %s (the longest mount point containing it)', (p, type) => {
    expect(mountOf(parseMountinfo(MOUNTINFO), p)?.fsType).toBe(type)
  })

  it('stacked mounts on one point: the last one is on top', () => {
    const m = parseMountinfo(`${MOUNTINFO}\n50 41 0:60 / /opt/openclaw-multi rw - tmpfs tmpfs rw`)
    expect(mountOf(m, '/opt/openclaw-multi/x')?.fsType).toBe('tmpfs')
  })

  it('property: the mount found contains the path, and no longer mount point does', () => {
    const mounts = parseMountinfo(MOUNTINFO)
    fc.assert(
      fc.property(fc.array(fc.constantFrom('opt', 'openclaw-multi', 'data', 'oc2', 'mnt', 'with space', 'x'), {maxLength: 5}), (parts) => {
        const p = `/${parts.join('/')}`
        const m = mountOf(mounts, p)!
        expect(m.mountPoint === '/' || p === m.mountPoint || p.startsWith(`${m.mountPoint}/`)).toBe(true)
        for (const o of mounts) if (o.mountPoint.length > m.mountPoint.length) expect(p === o.mountPoint || p.startsWith(`${o.mountPoint}/`)).toBe(false)
      }),
    )
  })

  it('this machine: the temp dir resolves to a mount', () => {
    const m = mountOf(parseMountinfo(nodeFs.readFileSync('/proc/self/mountinfo', 'latin1')), nodeFs.realpathSync(dir))
    expect(m?.fsType).toBeTruthy()
  })

  it.each([
    ['nfs', true],
    ['nfs4', true],
    ['cifs', true],
    ['smb3', true],
    ['fuse.sshfs', true],
    ['fuse.rclone', true],
    ['sshfs', true],
    ['9p', true],
    ['ceph', true],
    ['glusterfs', true],
    ['ext4', false],
    ['xfs', false],
    ['btrfs', false],
    ['overlay', false],
    ['tmpfs', false],
    ['zfs', false],
  ])('%s remote: %s', (t, remote) => expect(isRemoteFs(t)).toBe(remote))
})

describe('I/O pressure', () => {
  const psi = (some: number, full: number) =>
    `some avg10=${some.toFixed(2)} avg60=1.00 avg300=0.50 total=123\nfull avg10=${full.toFixed(2)} avg60=0.00 avg300=0.00 total=45\n`
  it('parses both lines; null for nothing usable', () => {
    expect(parsePressure(psi(3.5, 0.25))).toEqual({some: {avg10: 3.5, avg60: 1, avg300: 0.5}, full: {avg10: 0.25, avg60: 0, avg300: 0}})
    expect(parsePressure('some avg10=1.00 avg60=0.00 avg300=0.00 total=0')).toMatchObject({full: null})
    expect(parsePressure(null)).toBeNull()
    expect(parsePressure('nope')).toBeNull()
  })
  it.each([
    [0, 0, 'pass'],
    [20, 5, 'pass'],
    [20.5, 0, 'warn'],
    [1, 5.5, 'warn'],
    [99, 30, 'warn'],
    [99, 30.01, 'fail'],
  ] as const)('some %s full %s → %s', (some, full, level) => expect(pressureLevel(parsePressure(psi(some, full))!)).toBe(level))
  it('this machine, when it has PSI', () => {
    const text = nodeFs.existsSync('/proc/pressure/io') ? nodeFs.readFileSync('/proc/pressure/io', 'latin1') : null
    if (text) expect(parsePressure(text)?.some).not.toBeNull()
  })
})

describe('latency and space decisions', () => {
  it.each([
    [100, 5_000, 'pass'],
    [500, 5_000, 'pass'],
    [501, 5_000, 'warn'],
    [2_500, 5_000, 'warn'],
    [2_501, 5_000, 'fail'],
    [999, 10_000, 'pass'],
    [1_001, 10_000, 'warn'],
    [5_001, 10_000, 'fail'],
    [5_001, 60_000, 'pass'],
    [30_001, 60_000, 'fail'],
  ] as const)('p99 %s ms against %s ms → %s', (p99, wait, level) => expect(latencyLevel(p99, wait)).toBe(level))

  it('property: monotone in the p99, and a longer wait is never stricter', () => {
    const rank = {pass: 0, warn: 1, fail: 2}
    fc.assert(
      fc.property(
        fc.double({min: 0, max: 1e5, noNaN: true}),
        fc.double({min: 0, max: 1e5, noNaN: true}),
        fc.constantFrom(5_000, 10_000, 60_000),
        (a, b, wait) => {
          const [lo, hi] = a < b ? [a, b] : [b, a]
          expect(rank[latencyLevel(lo, wait)]).toBeLessThanOrEqual(rank[latencyLevel(hi, wait)])
          expect(rank[latencyLevel(lo, 60_000)]).toBeLessThanOrEqual(rank[latencyLevel(lo, 5_000)])
        },
      ),
    )
  })

  it.each([
    [2 * 1024 ** 3, 10 * 1024 ** 3, false],
    [0.5 * 1024 ** 3, 10 * 1024 ** 3, true],
    [4 * 1024 ** 3, 100 * 1024 ** 3, true],
  ])('free %s of %s low: %s', (free, total, low) => expect(lowSpace(free, total)).toBe(low))
})

type FakeStep = 'open' | 'write' | 'fsync' | 'close' | 'unlink'

/** An in-memory fs that fails at one step of one round; files holds what exists. */
function fakeFs(failAt: {round: number; step: FakeStep} | null, existing: string[] = []) {
  const files = new Set(existing)
  const fds = new Map<number, string>()
  let round = -1
  let next = 3
  const maybe = (step: FakeStep) => {
    if (failAt && failAt.round === round && failAt.step === step) {
      failAt = null // fail once: the cleanup in finally may then succeed
      throw new Error(`E${step.toUpperCase()}`)
    }
  }
  return {
    files,
    fs: {
      openSync(p: string) {
        round++
        maybe('open')
        if (files.has(p)) throw new Error('EEXIST')
        files.add(p)
        fds.set(next, p)
        return next++
      },
      writeSync: (_fd: number, d: string) => (maybe('write'), d.length),
      fsyncSync: () => maybe('fsync'),
      closeSync(fd: number) {
        maybe('close')
        fds.delete(fd)
      },
      unlinkSync(p: string) {
        maybe('unlink')
        if (!files.delete(p)) throw new Error('ENOENT')
      },
    },
  }
}

describe('the latency probe', () => {
  it('on a real temp dir: N samples, nothing left behind, never another file', () => {
    writeFileSync(path.join(dir, 'session.jsonl'), 'keep')
    const r = probeLatency(dir, 5, 10_000, 4242, nodeFs as never, () => performance.now())
    expect(r).toMatchObject({error: null, budgetExceeded: false})
    expect(r.samplesMs).toHaveLength(5)
    expect(readdirSync(dir)).toEqual(['session.jsonl'])
  })

  it('property: whatever step fails in whatever round, the probe leaves no file of its own and keeps others', () => {
    const steps: FakeStep[] = ['open', 'write', 'fsync', 'close', 'unlink']
    fc.assert(
      fc.property(
        fc.option(fc.record({round: fc.integer({min: 0, max: 5}), step: fc.constantFrom(...steps)})),
        fc.integer({min: 0, max: 6}),
        (failAt, samples) => {
          const other = '/d/.fleet-io-probe-7-2'
          const {files, fs} = fakeFs(failAt, [other, '/d/a.jsonl.lock'])
          let t = 0
          const r = probeLatency('/d', samples, 10_000, 7, fs, () => (t += 1))
          expect([...files].sort()).toEqual([other, '/d/a.jsonl.lock'].sort())
          expect(r.samplesMs.length).toBeLessThanOrEqual(samples)
          if (r.error === null) expect(r.samplesMs).toHaveLength(samples)
        },
      ),
    )
  })

  it('an existing probe file of the same name (O_EXCL) is reported, never removed', () => {
    const {files, fs} = fakeFs(null, ['/d/.fleet-io-probe-7-0'])
    const r = probeLatency('/d', 3, 10_000, 7, fs, () => 0)
    expect(r.error).toMatch(/EEXIST/)
    expect(files.has('/d/.fleet-io-probe-7-0')).toBe(true)
  })

  it('stops once the budget is spent', () => {
    const {fs} = fakeFs(null)
    let t = 0
    const r = probeLatency('/d', 100, 50, 7, fs, () => (t += 10))
    expect(r.budgetExceeded).toBe(true)
    expect(r.samplesMs.length).toBeLessThan(100)
  })

  it('the script (as run in containers) with node -e, and the host runner: the same answer shape, skipping a probed device', async () => {
    const argv = ioProbeArgv(dir, 3, [])
    const first = parseIoProbe({exitCode: 0, stdout: execFileSync(process.execPath, argv.slice(1), {encoding: 'utf8'}), stderr: '', timedOut: false}) as IoProbe
    expect(first).toMatchObject({skipped: false, error: null, real: nodeFs.realpathSync(dir)})
    expect(first.samplesMs).toHaveLength(3)
    expect(first.freeBytes).toBeGreaterThan(0)
    const again = parseIoProbe(await runIoProbeHere(dir, 3, [first.dev!])) as IoProbe
    expect(again).toMatchObject({skipped: true, dev: first.dev, samplesMs: []})
    expect(readdirSync(dir)).toEqual(['session.jsonl'])
  })

  it('parseIoProbe: timeouts, exits and junk are errors that say so', () => {
    expect(parseIoProbe({exitCode: null, stdout: '', stderr: '', timedOut: true})).toBeInstanceOf(Error)
    expect((parseIoProbe({exitCode: null, stdout: '', stderr: '', timedOut: true}) as Error).message).toMatch(/did not finish/)
    expect((parseIoProbe({exitCode: 1, stdout: '', stderr: 'boom', timedOut: false}) as Error).message).toMatch(/exited 1: boom/)
    expect((parseIoProbe({exitCode: 0, stdout: '{"x":1}', stderr: '', timedOut: false}) as Error).message).toMatch(/unexpected/)
  })
})

describe('--io-samples', () => {
  it.each([
    ['0', 0],
    ['20', 20],
    [' 1000 ', 1000],
  ])('%s → %s', (v, n) => expect(parseIoSamples(v)).toBe(n))
  it.each(['-1', '1001', '2.5', 'abc', '', '1e3'])('%s is a usage error (exit 2)', (v) => {
    expect(() => parseIoSamples(v)).toThrow(UsageError)
    try {
      parseIoSamples(v)
    } catch (error) {
      expect((error as UsageError).exitCode).toBe(2)
    }
  })
})

const probe = (over: Partial<IoProbe>): IoProbe => ({
  pid: 1,
  real: '/opt/openclaw-multi/data/oc1/config',
  dev: '41',
  mountinfo: MOUNTINFO,
  pressure: 'some avg10=1.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0',
  freeBytes: 50 * 1024 ** 3,
  totalBytes: 100 * 1024 ** 3,
  skipped: false,
  samplesMs: [1, 2, 3, 4, 40],
  error: null,
  budgetExceeded: false,
  ...over,
})

describe('ioChecks: one filesystem measured once, judged against the strictest wait', () => {
  it('two instances on one NFS filesystem: one state-fs warning and one latency check naming both, the 5 s wait of 2026.9.6', () => {
    const readings: IoReading[] = [
      {inst: inst('oc1'), probe: probe({}), waitMs: 60_000, version: '2026.5.5'},
      {inst: inst('oc2'), probe: probe({skipped: true, samplesMs: [], measuredWith: 'oc1'}), waitMs: 5_000, version: '2026.9.6'},
    ]
    const checks = ioChecks('this host', false, readings, 5)
    const fsChecks = checks.filter((c) => c.check === 'state-fs')
    expect(fsChecks).toHaveLength(1)
    expect(fsChecks[0]).toMatchObject({status: 'warn', message: expect.stringContaining('oc1, oc2')})
    expect(fsChecks[0].message).toContain('nfs4')
    const lat = checks.filter((c) => c.check === 'io-latency')
    expect(lat).toHaveLength(1)
    expect(lat[0].message).toMatch(/p50 3\.00 ms, p95 40 ms, p99 40 ms over 5 samples, against the 5 s lock wait of 2026\.9\.6 \(oc2\)/)
    expect(checks.filter((c) => c.check === 'io-pressure')).toHaveLength(1)
    expect(checks.some((c) => c.check === 'disk')).toBe(false)
  })

  it('a slow filesystem fails against 2026.9.6 and passes against 2026.5.5 (60 s)', () => {
    const slow = probe({samplesMs: [2_600, 2_700, 3_000]})
    expect(
      ioChecks('h', true, [{inst: inst('a', 'docker'), probe: slow, waitMs: 5_000, version: '2026.9.6'}], 3).find((c) => c.check === 'io-latency')?.status,
    ).toBe('fail')
    expect(
      ioChecks('h', true, [{inst: inst('a', 'docker'), probe: slow, waitMs: 60_000, version: '2026.5.5'}], 3).find((c) => c.check === 'io-latency')?.status,
    ).toBe('pass')
  })

  it('remote engines get a disk check from the container; a timed-out probe fails, a skipped one says so', () => {
    const checks = ioChecks(
      'tcp://b:2376',
      true,
      [
        {inst: inst('r1', 'docker'), probe: probe({real: '/home/node/.openclaw', dev: '9', freeBytes: 1, totalBytes: 100}), waitMs: 5_000, version: null},
        {inst: inst('r2', 'docker'), probe: new Error('the I/O probe did not finish within 30 s: the filesystem stalls'), waitMs: 5_000, version: null},
        {
          inst: inst('r3', 'docker'),
          probe: new Error('I/O checks skipped: c3 is exited, and on a remote engine they run in the container'),
          waitMs: 5_000,
          version: null,
        },
      ],
      5,
    )
    expect(checks.find((c) => c.check === 'disk')).toMatchObject({status: 'warn', instance: 'r1'})
    expect(checks.find((c) => c.instance === 'r2')).toMatchObject({check: 'io-probe', status: 'fail'})
    expect(checks.find((c) => c.instance === 'r3')).toMatchObject({check: 'io-probe', status: 'warn', message: expect.stringContaining('skipped')})
    expect(checks.find((c) => c.check === 'io-latency')?.message).toContain('version is unknown')
  })

  it('--io-samples 0: the latency check says it was skipped; no PSI: said, not judged', () => {
    const checks = ioChecks('this host', false, [{inst: inst('a'), probe: probe({samplesMs: [], pressure: null}), waitMs: 5_000, version: '2026.9.6'}], 0)
    expect(checks.find((c) => c.check === 'io-latency')).toMatchObject({status: 'pass', message: expect.stringContaining('skipped (--io-samples 0)')})
    expect(checks.find((c) => c.check === 'io-pressure')).toMatchObject({status: 'pass', message: expect.stringContaining('not measured')})
  })
})

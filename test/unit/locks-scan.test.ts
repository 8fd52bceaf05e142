import {execFileSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {linkSync, promises as fsp} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, afterEach, beforeAll, describe, expect, it, vi} from 'vitest'
import {SCAN_JS} from '../../src/docker/remote-locks.js'
import {countEntries, namesIn, scanSessionsDir, toLockFiles, type ScanEntry} from '../../src/locks/scan.js'
import type {LockFile} from '../../src/locks/types.js'

const FIXTURES = fileURLToPath(new URL('../fixtures/locks/', import.meta.url))
const CONTAINER_DIR = '/home/node/.openclaw/agents/main/sessions'
const TRANSCRIPTS = 10_000
const PAYLOAD = JSON.stringify({pid: 12, createdAt: '2026-11-22T11:09:41.503Z', starttime: 4242}, null, 2)

let root: string
let dir: string
let transcripts: string[]
let fixtureNames: string[]

const scan = (opts: {dir?: string; maxBytes?: number} = {}) => scanSessionsDir({dir, containerDir: CONTAINER_DIR, agent: 'main', ...opts})

/** The given fields only; with toEqual, `raw: undefined` then really means "no raw". */
const pick = (lock: LockFile | undefined, keys: (keyof LockFile)[]): Partial<LockFile> | undefined => lock && Object.fromEntries(keys.map((k) => [k, lock[k]]))
const CONTENT: (keyof LockFile)[] = ['session', 'size', 'suspicious', 'raw', 'readError']

/** What scan must report for `name`, with size/mtime from lstat. */
async function expected(name: string, extra: Partial<LockFile>): Promise<LockFile> {
  const st = await fsp.lstat(path.join(dir, name))
  const store = name === 'sessions.json.lock'
  return {
    path: path.join(dir, name),
    containerPath: `${CONTAINER_DIR}/${name}`,
    kind: store ? 'store' : 'session',
    agent: 'main',
    session: store ? 'sessions.json' : name.slice(0, -'.jsonl.lock'.length),
    size: st.size,
    mtimeMs: st.mtimeMs,
    ...extra,
  }
}

beforeAll(async () => {
  root = await fsp.mkdtemp(path.join(os.tmpdir(), 'locks-scan-'))
  dir = path.join(root, 'sessions')
  await fsp.mkdir(dir)
  transcripts = Array.from({length: TRANSCRIPTS}, () => `${randomUUID()}.jsonl`)
  // Hard links to one transcript: 10,000 directory entries in ~0.2 s instead of ~3 s of file creation.
  await fsp.writeFile(path.join(dir, transcripts[0]), '{"type":"message"}\n')
  for (const t of transcripts.slice(1)) linkSync(path.join(dir, transcripts[0]), path.join(dir, t))
  await fsp.writeFile(path.join(dir, 'sessions.json'), '{}')
  fixtureNames = await fsp.readdir(FIXTURES)
  for (const f of fixtureNames) await fsp.writeFile(path.join(dir, f), await fsp.readFile(path.join(FIXTURES, f)))
  await fsp.writeFile(path.join(dir, 'aaaa-normal.jsonl.lock'), PAYLOAD)
  await fsp.writeFile(path.join(dir, 'sessions.json.lock'), PAYLOAD + '\n')
  await fsp.symlink(transcripts[0], path.join(dir, 'link.jsonl.lock'))
  await fsp.mkdir(path.join(dir, 'x.jsonl.lock'))
  await fsp.writeFile(path.join(dir, 'big.jsonl.lock'), 'x'.repeat(70 * 1024))
  execFileSync('mkfifo', [path.join(dir, 'fifo.jsonl.lock')])
  // Near misses: not lock files.
  for (const f of ['.jsonl.lock', 'a.jsonl.lock.bak', 'a.json.lock', 'x-sessions.json.lock', 'sessions.json.lock.tmp']) {
    await fsp.writeFile(path.join(dir, f), PAYLOAD)
  }
}, 120_000)

afterAll(async () => {
  if (root) await fsp.rm(root, {recursive: true, force: true})
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe('scanSessionsDir', () => {
  it('finds exactly the lock files among 10,000 transcripts', async () => {
    const fixtures = await Promise.all(fixtureNames.map(async (f) => expected(f, {raw: await fsp.readFile(path.join(FIXTURES, f), 'utf8')})))
    const want = [
      await expected('aaaa-normal.jsonl.lock', {raw: PAYLOAD}),
      await expected('big.jsonl.lock', {suspicious: 'too-large'}),
      await expected('fifo.jsonl.lock', {suspicious: 'not-a-regular-file'}),
      await expected('link.jsonl.lock', {suspicious: 'symlink'}),
      await expected('sessions.json.lock', {raw: PAYLOAD + '\n'}),
      await expected('x.jsonl.lock', {suspicious: 'directory'}),
      ...fixtures,
    ].sort((a, b) => (a.path < b.path ? -1 : 1))

    const result = await scan()
    expect(result).toEqual({locks: want})
    const names = result.locks.map((l) => path.basename(l.path))
    expect(names).toEqual([...names].sort())
    expect(
      pick(
        result.locks.find((l) => l.session === 'link'),
        CONTENT,
      ),
    ).toEqual({session: 'link', size: transcripts[0].length, suspicious: 'symlink'})
    expect(
      pick(
        result.locks.find((l) => l.session === 'big'),
        CONTENT,
      ),
    ).toEqual({session: 'big', size: 70 * 1024, suspicious: 'too-large'})
  })

  it('streams the dir once (opendir, no whole listing) and never stats or opens a transcript', async () => {
    // scan.ts calls fs.promises.<method> at call time, so spying on every method of that object sees every call.
    const calls: [string, unknown][] = []
    for (const [name, fn] of Object.entries(fsp)) {
      if (typeof fn !== 'function') continue
      vi.spyOn(fsp as unknown as Record<string, (...args: unknown[]) => unknown>, name).mockImplementation((...args: unknown[]) => {
        calls.push([name, args[0]])
        return (fn as (...a: unknown[]) => unknown)(...args)
      })
    }
    const {locks} = await scan()
    expect(calls.filter(([m]) => m === 'opendir' || m === 'readdir')).toEqual([['opendir', dir]])
    const touched = calls.filter(([m]) => m !== 'opendir').map(([, p]) => path.basename(String(p)))
    expect(touched.length).toBeGreaterThan(0)
    expect(touched.filter((n) => !n.endsWith('.lock'))).toEqual([])
    expect(new Set(touched)).toEqual(new Set(locks.map((l) => path.basename(l.path))))
    // Only plain files are opened; the symlink, dir, fifo and big file are judged by lstat alone.
    const opened = calls.filter(([m]) => m === 'open').map(([, p]) => path.basename(String(p)))
    expect(opened.sort()).toEqual(locks.filter((l) => l.raw !== undefined).map((l) => path.basename(l.path)))
  })

  it('honours maxBytes', async () => {
    const {locks} = await scan({maxBytes: 82})
    expect(
      pick(
        locks.find((l) => l.session === 'v2026.4.29-dead-holder'),
        CONTENT,
      ),
    ).toEqual({session: 'v2026.4.29-dead-holder', size: 83, suspicious: 'too-large'})
    const fits = locks.find((l) => l.session === 'v2026.5.x-trailing-newline')
    expect(pick(fits, CONTENT)).toEqual({session: 'v2026.5.x-trailing-newline', size: 81, raw: fits?.raw})
    expect(fits?.raw).toHaveLength(81)
  })

  it('a missing dir has no locks and no error', async () => {
    expect(await scan({dir: path.join(root, 'nope')})).toEqual({locks: []})
  })

  it('an unlistable dir reports the error', async () => {
    const result = await scan({dir: path.join(dir, transcripts[0])})
    expect(result.locks).toEqual([])
    expect(result.error).toMatch(/ENOTDIR/)
  })
})

describe('namesIn and countEntries (one streamed pass, no stat)', () => {
  it('namesIn keeps only the accepted names, sorted, from 10,000 transcripts', async () => {
    const locks = await namesIn(dir, (n) => n.endsWith('.jsonl.lock'))
    expect(locks).toEqual((await fsp.readdir(dir)).filter((n) => n.endsWith('.jsonl.lock')).sort())
    expect(locks.length).toBeLessThan(20)
  })

  it('countEntries counts every entry and, by its type, the regular files', async () => {
    const all = await fsp.readdir(dir, {withFileTypes: true})
    expect(await countEntries(dir)).toEqual({entries: all.length, files: all.filter((d) => d.isFile()).length})
    expect((await countEntries(dir)).files).toBeGreaterThan(TRANSCRIPTS)
  })

  it('both throw what listing the dir throws', async () => {
    await expect(namesIn(path.join(root, 'nope'), () => true)).rejects.toMatchObject({code: 'ENOENT'})
    await expect(countEntries(path.join(dir, transcripts[0]))).rejects.toMatchObject({code: 'ENOTDIR'})
  })
})

describe('the in-container scan (Docker API access), run here with this node', () => {
  const runScan = (d: string, max = 65536) =>
    JSON.parse(execFileSync(process.execPath, ['-e', SCAN_JS, d, String(max)], {encoding: 'utf8'})) as {entries: ScanEntry[]; error?: string}

  it('finds the same lock files as the host scan, with the same content', async () => {
    const {entries} = runScan(dir)
    const host = await scan()
    expect(toLockFiles({dir, containerDir: CONTAINER_DIR, agent: 'main'}, entries)).toEqual(host.locks)
  })

  it('a missing dir has no entries and no error; an unlistable one says why', () => {
    expect(runScan(path.join(root, 'nope'))).toEqual({entries: []})
    expect(runScan(path.join(dir, transcripts[0])).error).toMatch(/ENOTDIR/)
  })
})

describe('scanSessionsDir races', () => {
  let raceDir: string
  const file = (name: string) => path.join(raceDir, name)

  beforeAll(async () => {
    raceDir = path.join(root, 'race')
    await fsp.mkdir(raceDir)
    await fsp.writeFile(file('t.jsonl'), 'transcript')
  })

  /** Run `hook` right after scan's lstat of `name` (before it opens the file). */
  function afterLstat(name: string, hook: (p: string) => Promise<unknown>): void {
    const lstat = fsp.lstat
    vi.spyOn(fsp, 'lstat').mockImplementation(async (p, ...rest) => {
      const st = await lstat(p, ...(rest as []))
      if (path.basename(String(p)) === name) await hook(String(p))
      return st
    })
  }

  afterEach(async () => {
    for (const f of await fsp.readdir(raceDir)) if (f.endsWith('.lock')) await fsp.unlink(file(f))
  })

  const scanRace = (maxBytes?: number) => scanSessionsDir({dir: raceDir, containerDir: CONTAINER_DIR, agent: 'main', maxBytes})

  it('skips a lock released between readdir and lstat, or between lstat and open', async () => {
    await fsp.writeFile(file('gone-before-lstat.jsonl.lock'), PAYLOAD)
    await fsp.writeFile(file('gone-before-open.jsonl.lock'), PAYLOAD)
    await fsp.writeFile(file('kept.jsonl.lock'), PAYLOAD)
    const lstat = fsp.lstat
    vi.spyOn(fsp, 'lstat').mockImplementation(async (p, ...rest) => {
      const name = path.basename(String(p))
      if (name === 'gone-before-lstat.jsonl.lock') await fsp.unlink(p)
      const st = await lstat(p, ...(rest as []))
      if (name === 'gone-before-open.jsonl.lock') await fsp.unlink(p)
      return st
    })
    const {locks} = await scanRace()
    expect(locks.map((l) => l.session)).toEqual(['kept'])
  })

  it('does not follow a lock swapped for a symlink after lstat', async () => {
    await fsp.writeFile(file('swap.jsonl.lock'), PAYLOAD)
    afterLstat('swap.jsonl.lock', async (p) => {
      await fsp.unlink(p)
      await fsp.symlink('t.jsonl', p)
    })
    const {locks} = await scanRace()
    expect(locks.map((l) => pick(l, CONTENT))).toEqual([{session: 'swap', size: PAYLOAD.length, suspicious: 'symlink'}])
  })

  it('reports a file that grew past maxBytes after lstat as too-large', async () => {
    await fsp.writeFile(file('grow.jsonl.lock'), PAYLOAD)
    afterLstat('grow.jsonl.lock', (p) => fsp.appendFile(p, 'x'.repeat(100)))
    const {locks} = await scanRace(100)
    expect(locks.map((l) => pick(l, CONTENT))).toEqual([{session: 'grow', size: PAYLOAD.length + 100, suspicious: 'too-large'}])
  })

  it('reports a file that grew past maxBytes while being read as too-large', async () => {
    await fsp.writeFile(file('grow.jsonl.lock'), PAYLOAD)
    const open = fsp.open
    vi.spyOn(fsp, 'open').mockImplementation(async (p, ...rest) => {
      const handle = await open(p, ...(rest as []))
      const stat = handle.stat.bind(handle)
      handle.stat = (async (...a: []) => {
        const st = await stat(...a)
        if (st.size === PAYLOAD.length) await fsp.appendFile(p, 'x'.repeat(100)) // once, after scan's fstat
        return st
      }) as typeof handle.stat
      return handle
    })
    const {locks} = await scanRace(100)
    expect(locks.map((l) => pick(l, CONTENT))).toEqual([{session: 'grow', size: PAYLOAD.length + 100, suspicious: 'too-large'}])
  })

  it('an lstat error is a readError with the scan time as mtime (looks young, never reclaimed for age)', async () => {
    await fsp.writeFile(file('hidden.jsonl.lock'), PAYLOAD)
    vi.spyOn(fsp, 'lstat').mockRejectedValue(Object.assign(new Error('EACCES: permission denied, lstat'), {code: 'EACCES'}))
    const before = Date.now()
    const {locks} = await scanRace()
    expect(locks.map((l) => pick(l, CONTENT))).toEqual([{session: 'hidden', size: 0, readError: 'EACCES: permission denied, lstat'}])
    expect(locks[0].mtimeMs).toBeGreaterThanOrEqual(before)
  })

  it('keeps other read errors in readError', async () => {
    await fsp.writeFile(file('denied.jsonl.lock'), PAYLOAD)
    vi.spyOn(fsp, 'open').mockRejectedValue(Object.assign(new Error("EACCES: permission denied, open 'denied.jsonl.lock'"), {code: 'EACCES'}))
    const {locks} = await scanRace()
    expect(locks.map((l) => pick(l, CONTENT))).toEqual([
      {session: 'denied', size: PAYLOAD.length, readError: "EACCES: permission denied, open 'denied.jsonl.lock'"},
    ])
  })
})

import {execa} from 'execa'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {removeLockCarefully} from '../../src/locks/remove.js'
import {acquireRunLock, localProcess, runLockPath} from '../../src/runbook/run-lock.js'
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
  it('a second run on the same fleet is refused while the first lives, and released after', async () => {
    const dir = tmp()
    const p = runLockPath(dir, '/x/fleet.config.yml')
    const first = await acquireRunLock(p)
    await expect(acquireRunLock(p)).rejects.toBeInstanceOf(BusyError)
    await first.release()
    const again = await acquireRunLock(p)
    await again.release()
  })

  it('a lock left by a run killed with SIGKILL is judged stale and taken over', async () => {
    const dir = tmp()
    const p = runLockPath(dir, '/y/fleet.config.yml')
    mkdirSync(dir, {recursive: true})
    // A real process takes the lock with the same payload fleet writes, then dies by SIGKILL.
    const child = execa('node', ['-e', `
      const fs = require('fs');
      const st = fs.readFileSync('/proc/self/stat', 'latin1'); const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      fs.writeFileSync(${JSON.stringify(p)}, JSON.stringify({pid: process.pid, createdAt: new Date().toISOString(), starttime: Number(f[19]), host: require('os').hostname()}, null, 2), {flag: 'wx'});
      console.log('locked'); setInterval(() => {}, 1000);`])
    await new Promise<void>((resolve) => child.stdout?.once('data', () => resolve()))
    await expect(acquireRunLock(p)).rejects.toBeInstanceOf(BusyError)
    child.kill('SIGKILL')
    await child.catch(() => undefined)
    const taken = await acquireRunLock(p)
    expect(JSON.parse(readFileSync(p, 'utf8')).pid).toBe(process.pid)
    await taken.release()
  })

  it('reads this process from /proc', () => {
    const me = localProcess(process.pid)
    expect(me.exists).toBe(true)
    expect(me.starttime).toBeGreaterThan(0)
    expect(localProcess(2 ** 22 + 12345).exists).toBe(false)
  })
})

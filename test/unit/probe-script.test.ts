// The in-container probe script runs as `node -e <script> <pids>`: it must be a valid argv (no NUL byte) and
// answer for this machine's /proc the same shape the exec probe parses, FLEET_EXEC_* marks included.
import {execFileSync, spawn} from 'node:child_process'
import {describe, expect, it} from 'vitest'
import {NODE_PROBE} from '../../src/docker/probe.js'

describe('NODE_PROBE', () => {
  it('runs, and reports a marked process with its FLEET_EXEC_* variables', async () => {
    expect(NODE_PROBE).not.toContain('\0')
    const child = spawn('sleep', ['30'], {env: {...process.env, FLEET_EXEC_ID: 'abc', FLEET_EXEC_OWNER: 'h:1:2'}, stdio: 'ignore'})
    try {
      await new Promise((r) => setTimeout(r, 100))
      const out = JSON.parse(execFileSync('node', ['-e', NODE_PROBE, String(child.pid), '999999999'], {encoding: 'utf8'}))
      expect(out.asked).toEqual([expect.objectContaining({pid: child.pid, exists: true, cmdline: ['sleep', '30']}), {pid: 999999999, exists: false}])
      expect(out.marks[String(child.pid)]).toEqual({FLEET_EXEC_ID: 'abc', FLEET_EXEC_OWNER: 'h:1:2'})
      expect(out.table.some((p: {pid: number}) => p.pid === child.pid)).toBe(true)
    } finally {
      child.kill('SIGKILL')
    }
  })
})

describe('END_HOLDER_SCRIPT', () => {
  it('ends the same process (SIGTERM), and refuses a recycled pid (other starttime)', async () => {
    const {END_HOLDER_SCRIPT} = await import('../../src/docker/signal.js')
    const {parseStat} = await import('../../src/util/proc-stat.js')
    const {readFileSync} = await import('node:fs')
    expect(END_HOLDER_SCRIPT).not.toContain('\0')
    const child = spawn('sleep', ['30'], {stdio: 'ignore'})
    await new Promise((r) => setTimeout(r, 100))
    const st = parseStat(readFileSync(`/proc/${child.pid}/stat`, 'latin1'))!
    const wrong = JSON.parse(execFileSync('node', ['-e', END_HOLDER_SCRIPT, String(child.pid), String(st.starttime + 1), '1000'], {encoding: 'utf8'}))
    expect(wrong.outcome).toBe('recycled')
    const exited = new Promise((r) => child.on('exit', r))
    const ended = JSON.parse(execFileSync('node', ['-e', END_HOLDER_SCRIPT, String(child.pid), String(st.starttime), '1000'], {encoding: 'utf8'}))
    expect(['terminated', 'killed']).toContain(ended.outcome)
    await exited
  })
})

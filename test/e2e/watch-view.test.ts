// What a person sees of `fleet watch` on the lab (ids 1601-1602): piped, plain lines (one per event and per scan,
// no cursor codes, no colour) and the ping in each scan; on a pseudo-terminal (script -qfc), a table redrawn in place,
// coloured unless NO_COLOR; a watch that stopped after --scans is listed `stopped (scans)`, not `incomplete`.
import {execa} from 'execa'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {BIN} from '../helpers/cli.js'
import {configVariant, eventsIn, labDown, labUp, type Lab} from './helpers.js'

let lab: Lab
let config: string
const ESC = '\u001b'
/** The environment of a person's shell: no CI, a terminal that can move the cursor. */
const personEnv = (extra: Record<string, string> = {}) => {
  const env: Record<string, string | undefined> = {...process.env, TERM: 'xterm', ...extra}
  for (const k of ['CI', 'NO_COLOR', 'FORCE_COLOR', 'GITHUB_ACTIONS']) if (!(k in extra)) delete env[k]
  return env
}

beforeAll(async () => {
  lab = await labUp(1601, 2)
  config = configVariant(lab, 'fleet.view.yml', (y) => `${y}heal:\n  incidentDir: incidents\n`)
}, 300_000)

afterAll(async () => {
  await labDown(lab)
}, 300_000)

describe('fleet watch: what a person sees', () => {
  it('piped: plain lines, the ping in each scan, the clear said once; the events file has the JSON; the run is listed stopped, not incomplete', async () => {
    const fault = await faults.deadPid(1602, {root: lab.root})
    const file = path.join(lab.root, 'view-events.jsonl')
    const r = await execa(
      'node',
      [BIN, 'watch', '--config', config, '--instances', '1601-1602', '--interval', '1s', '--scans', '3', '--no-react', '--events', file],
      {
        reject: false,
        env: personEnv(),
        extendEnv: false,
        stdin: 'ignore',
        timeout: 180_000,
      },
    )
    expect(r.exitCode, r.stderr).toBe(0)
    const lines = r.stdout.split('\n').filter(Boolean)
    expect(r.stdout).not.toContain(ESC)
    expect(lines[0]).toMatch(/^fleet watch: 2 instance\(s\) \(oc1601, oc1602\) every 1\.0s, no restarts/)
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([])
    const scans = lines.filter((l) => / scan interval /.test(l))
    expect(scans).toHaveLength(3)
    expect(scans[0]).toMatch(/oc1601 ready, no locks, ping SPEED_OK \S+; oc1602 ready, worst stale \(1 lock\)/)
    expect(lines.filter((l) => /oc1602 lock-cleared: /.test(l))).toEqual([expect.stringContaining(fault.hostLockPath)])
    expect(existsSync(fault.hostLockPath)).toBe(false)

    // The events file: JSON lines, the scan with its ping (class, duration, reply).
    const scan = eventsIn(file).find((e) => e.event === 'scan' && e.reason === 'interval')
    expect(scan.instances[0]).toMatchObject({
      instance: 'oc1601',
      state: 'running',
      life: 'ready',
      ping: {ok: true, class: 'ok', reply: 'SPEED_OK', durationMs: expect.any(Number)},
    })

    const list = await execa('node', [BIN, 'incidents', 'list', '--config', config, '--json'], {reject: false, cwd: lab.root})
    expect(list.exitCode, list.stderr).toBe(0)
    const runs = JSON.parse(list.stdout).runs.filter((x: any) => x.kind === 'watch')
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatchObject({complete: true, stopped: 'scans', locksRemoved: 1})
    const text = await execa('node', [BIN, 'incidents', 'list', '--config', config], {reject: false, cwd: lab.root})
    expect(text.stdout).toContain('stopped (scans)')
    expect(text.stdout).not.toContain('incomplete')
  }, 240_000)

  it('on a terminal: the table, redrawn in place, coloured; NO_COLOR keeps the redraw and drops the colour', async () => {
    const cmd = `node ${BIN} watch --config ${config} --instances 1601-1602 --interval 1s --scans 2 --no-react --no-ping`
    const tty = await execa('script', ['-qfc', cmd, '/dev/null'], {reject: false, env: personEnv(), extendEnv: false, stdin: 'ignore', timeout: 120_000})
    expect(tty.exitCode, tty.stderr).toBe(0)
    const out = tty.stdout
    // A frame drawn over the last one: cursor up by its lines, clear to the end of the screen.
    expect(out).toMatch(/\u001b\[\d+A\r\u001b\[0J/)
    const last = out.split(/\u001b\[\d+A\r\u001b\[0J/).at(-1) as string
    const plain = last.replace(/\u001b\[[0-9;]*m/g, '')
    expect(plain).toMatch(/INSTANCE\s+STATE\s+WORST\s+LOCKS\s+WORK\s+PING\s+LAST ACTION/)
    expect(plain).toMatch(/oc1601\s+ready\s+-\s+0\s+-/)
    expect(plain).toMatch(/oc1602\s+ready\s+-\s+0\s+-/)
    expect(plain).toContain('2 interval scan(s)')
    expect(plain).toContain('watch-stop: after 2 scan(s)')
    expect(last).toContain(`${ESC}[32mready${ESC}[39m`)
    // JSON only with --json: none here.
    expect(out).not.toMatch(/^\{"ts"/m)

    const once = cmd.replace('--scans 2', '--scans 1')
    const noColor = await execa('script', ['-qfc', once, '/dev/null'], {
      reject: false,
      env: personEnv({NO_COLOR: '1'}),
      extendEnv: false,
      stdin: 'ignore',
      timeout: 120_000,
    })
    expect(noColor.exitCode, noColor.stderr).toBe(0)
    expect(noColor.stdout).toMatch(/\u001b\[\d+A\r\u001b\[0J/)
    expect(noColor.stdout).not.toMatch(/\u001b\[[0-9;]*m/)
    const forced = await execa('script', ['-qfc', once, '/dev/null'], {
      reject: false,
      env: personEnv({FORCE_COLOR: '0'}),
      extendEnv: false,
      stdin: 'ignore',
      timeout: 120_000,
    })
    expect(forced.stdout).not.toMatch(/\u001b\[[0-9;]*m/)
  }, 240_000)
})

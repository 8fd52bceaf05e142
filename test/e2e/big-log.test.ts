// A gateway whose json-file log is big (issue 24, item 5: at 1.39 GB `fleet status` reached 4.76 GB RSS and
// crashed): on lab 1301-1302, oc1301's log gets about 300 MB of lines written in this incarnation (appended to the
// file the json-file driver keeps, as the daemon writes them), with two lock errors at its start and three at its
// end; oc1302's gets a small log with two lock errors. status and doctor exit with their answers, count the lock
// errors of the lines they read (the last lines of the big log; all of the small one), say that the big count was
// capped, and stay within a bounded peak RSS (GNU time). (Timed targets are in bench/big-log.mjs.)
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {appendJsonLog} from '../../lab/big-log.mjs'
import {BIN} from '../helpers/cli.js'
import {containerFacts, containerName, labDown, labUp, type Lab} from './helpers.js'

const BIG = 1301
const SMALL = 1302
/** Peak RSS bound of one fleet command (MB): main's code needed 1.77 GB for a 300 MB log, 4.76 GB for 1.39 GB. */
const RSS_BOUND_MB = 300

let lab: Lab
const lockLine = (n: number) =>
  `[agent/embedded] SessionWriteLockTimeoutError: session file locked (timeout 10000ms): pid=6 /home/node/.openclaw/agents/main/sessions/s${n}.jsonl.lock`
let recent: {text: string; atMs: number}[] = []

/** `fleet <args>` under GNU time: exit code, stdout, and peak RSS in MB. */
async function fleetRss(args: string[]): Promise<{exitCode: number; stdout: string; stderr: string; rssMb: number}> {
  const r = await execa('/usr/bin/time', ['-f', 'FLEET_MAXRSS_KB %M', 'node', BIN, ...args, '--config', lab.configFile], {
    cwd: lab.root,
    env: {FLEET_CONFIG: undefined, CI: 'true', NO_COLOR: '1'},
    extendEnv: true,
    reject: false,
    timeout: 300_000,
    stdin: 'ignore',
  })
  const m = /FLEET_MAXRSS_KB (\d+)\s*$/.exec(r.stderr)
  if (!m) throw new Error(`no peak RSS from /usr/bin/time (exit ${r.exitCode}): ${r.stderr.slice(-500)}`)
  return {exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr.slice(0, m.index), rssMb: Number(m[1]) / 1024}
}

beforeAll(async () => {
  lab = await labUp(BIG, 2)
  const facts = await containerFacts([containerName(BIG), containerName(SMALL)])
  const startedBig = Date.parse(facts[containerName(BIG)].startedAt)
  const now = Date.now()
  // Two lock errors just after the start (far beyond the last 20000 lines), ~300 MB of other lines, three at the end.
  await appendJsonLog(containerName(BIG), {
    bytes: 0,
    fromMs: startedBig,
    toMs: startedBig,
    lines: [1, 2].map((n) => ({text: lockLine(n), atMs: startedBig + n})),
  })
  recent = [3, 4, 5].map((n) => ({text: lockLine(n), atMs: now - 1000 + n}))
  await appendJsonLog(containerName(BIG), {bytes: 300 * 1024 ** 2, fromMs: startedBig + 10, toMs: now - 2000, lines: recent})
  // The engine must read what was appended (Docker 20.10 does; moby 23+ reads up to its own write position).
  const {stdout: last} = await execa('docker', ['logs', '--tail', '1', containerName(BIG)])
  if (!last.includes('s5.jsonl.lock'))
    throw new Error(`the engine does not show lines appended to the json-file log (last line: ${last.slice(0, 200)}): this test cannot make a big log here`)
  const startedSmall = Date.parse(facts[containerName(SMALL)].startedAt)
  await appendJsonLog(containerName(SMALL), {
    bytes: 200_000,
    fromMs: startedSmall + 1,
    toMs: now - 2000,
    lines: [
      {text: lockLine(9), atMs: now - 1500},
      {text: '[sqlite/transaction] SQLite transaction lock wait failed async=false busyTimeoutMs=5000 failureKind=lock-contention', atMs: now - 1400},
    ],
  })
}, 600_000)

afterAll(() => labDown(lab), 300_000)

describe('a 300 MB gateway log', () => {
  it('status --json exits with its answer, counts the lock errors of the lines read, marks the big count capped, in bounded memory', async () => {
    const r = await fleetRss(['status', '--json'])
    const doc = JSON.parse(r.stdout)
    expect(r.exitCode).toBe(doc.ok ? 0 : 1)
    const big = doc.instances.find((i: {id: number}) => i.id === BIG)
    const small = doc.instances.find((i: {id: number}) => i.id === SMALL)
    expect(big.logSignature).toMatchObject({
      count: 3,
      bySignature: {'session-file-locked': 3},
      paths: recent.map((_, i) => `/home/node/.openclaw/agents/main/sessions/s${i + 3}.jsonl.lock`),
    })
    expect(Date.parse(big.logSignature.first)).toBe(recent[0].atMs)
    expect(big.logSignature.capped).toMatchObject({by: 'lines', lines: 20_000})
    expect(small.logSignature).toMatchObject({count: 2, bySignature: {'session-file-locked': 1, 'sqlite-lock-wait': 1}, capped: null})
    expect(r.rssMb).toBeLessThan(RSS_BOUND_MB)
  })

  it('the table and its notes say the count was capped', async () => {
    const r = await fleetRss(['status'])
    expect(r.stdout).toMatch(/oc1301 .* 3\+ \(capped\) /)
    expect(r.stdout).toMatch(/oc1301: 3 lock errors .*; capped: counted over the last 20000 lines only \(.*\): older lines not read/)
    expect(r.stdout).toMatch(/oc1302 .* 2 since start /)
    expect(r.rssMb).toBeLessThan(RSS_BOUND_MB)
  })

  it('doctor: bounded, the known-signature check says what it read, and no false clock skew', async () => {
    const r = await fleetRss(['doctor', '--json', '--io-samples', '0', '--instances', String(BIG)])
    const checks: {check: string; instance: string | null; status: string; message: string}[] = JSON.parse(r.stdout).checks ?? JSON.parse(r.stdout)
    const known = checks.find((c) => c.check === 'known-signatures' && c.instance === 'oc1301')
    expect(known?.message).toMatch(/counted over the last 20000 lines only/)
    expect(checks.find((c) => c.check === 'clock-skew' && c.instance === 'oc1301')?.status).toBe('pass')
    expect(r.rssMb).toBeLessThan(RSS_BOUND_MB)
  })

  it('heal --dry-run: bounded', async () => {
    const r = await fleetRss(['heal', '--dry-run', '--json'])
    expect(r.exitCode).toBeLessThan(2)
    expect(r.rssMb).toBeLessThan(RSS_BOUND_MB)
  })
})

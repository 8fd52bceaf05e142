// Output that tells the truth (issue 26), seen as a new user sees it, in the mode where each failure was seen: a
// terminal (a pseudo-terminal through util-linux `script`), piped, CI=true, FORCE_COLOR=0 / NO_COLOR, --json.
// A failed step is never ✔; a ✖ line says its failure once and is on stdout; no colour codes when asked for none;
// doctor's paused advice is heal's; an unreachable Docker is exit 3 with one message; config names the endpoint;
// -h is help; fleet version.
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {BIN, fleet, json} from '../helpers/cli.js'
import {containerName, fleetIn, labDown, labUp, type Lab} from './helpers.js'

/** fleet with the lab's config and these environment variables (CI=true and NO_COLOR=1 unless overridden). */
const fleetEnv = (args: string[], env: Record<string, string | undefined>) => fleet([...args, '--config', lab.configFile], {cwd: lab.root, env})

let lab: Lab

beforeAll(async () => {
  lab = await labUp(1511, 3)
  await faults.wrongReply(1512, {root: lab.root})
  await faults.modelError(1513, {root: lab.root})
}, 600_000)

afterAll(() => labDown(lab), 300_000)

const SGR = /\x1b\[[0-9;]*m/
/** Text without terminal control sequences (colours, cursor moves), one entry per line or carriage-return frame. */
const screenLines = (s: string) =>
  s
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
const lying = (s: string) => screenLines(s).filter((l) => l.startsWith('✔') && /\bFAIL\b|not healed/.test(l))
const repeated = (s: string) => screenLines(s).filter((l) => l.startsWith('✖') && l.includes('[FAILED'))

/** fleet on a pseudo-terminal (200 columns), as a person runs it: no CI, a real TERM. */
async function onTty(args: string[], env: Record<string, string | undefined> = {}) {
  const quote = (a: string) => (/^[\w./=:-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`)
  const cmd = `stty cols 200 rows 50; exec node ${[BIN, ...args, '--config', lab.configFile].map(quote).join(' ')}`
  const r = await execa('script', ['-qec', cmd, '/dev/null'], {
    cwd: lab.root,
    env: {CI: undefined, NO_COLOR: undefined, FORCE_COLOR: undefined, FLEET_CONFIG: undefined, TERM: 'xterm-256color', ...env},
    extendEnv: true,
    reject: false,
    timeout: 300_000,
    stdin: 'ignore',
  })
  return {exitCode: r.exitCode ?? -1, out: r.stdout}
}

describe('no ✔ on a failed step; each ✖ says its failure once', () => {
  it('heal on a TTY: the failed pings are ✖ (red), never a green ✔', async () => {
    const r = await onTty(['heal'])
    expect(r.exitCode).toBe(1)
    expect(lying(r.out)).toEqual([])
    const lines = screenLines(r.out)
    expect(lines.some((l) => l.startsWith('✖ ping: FAIL wrong-reply'))).toBe(true)
    expect(lines.some((l) => l.startsWith('✖ ping: FAIL auth'))).toBe(true)
    expect(r.out).toMatch(/\x1b\[31m✖/)
  }, 300_000)

  it('heal piped in CI: ✖ lines on stdout (stderr dropped), each failure said once', async () => {
    const r = await fleetIn(lab, ['heal'])
    expect(r.exitCode).toBe(1)
    expect(lying(r.stdout)).toEqual([])
    expect(repeated(r.stdout)).toEqual([])
    const lines = screenLines(r.stdout)
    expect(lines.filter((l) => l.startsWith('✖ oc1512: ping: FAIL wrong-reply'))).toHaveLength(1)
    expect(lines.filter((l) => l.startsWith('✖ oc1513: ping: FAIL auth'))).toHaveLength(1)
    expect(lines.filter((l) => l.startsWith('✖ oc1512: result: not healed'))).toHaveLength(1)
    expect(r.stderr).not.toContain('✖')
  }, 300_000)

  it('ping piped: `fleet ping 2>/dev/null` shows the ✖ lines, each failure once, exit 1', async () => {
    const r = await fleetIn(lab, ['ping'])
    expect(r.exitCode).toBe(1)
    expect(r.stderr).not.toContain('✖')
    expect(repeated(r.stdout)).toEqual([])
    const wrong = screenLines(r.stdout).filter((l) => l.includes('FAIL wrong-reply'))
    expect(wrong).toHaveLength(1)
    expect(wrong[0]).toMatch(/^✖ oc1512: FAIL wrong-reply/)
    expect(screenLines(r.stdout).filter((l) => l.startsWith('✖ oc1513: FAIL auth'))).toHaveLength(1)
  }, 300_000)

  it('ping --verbose in CI (the verbose renderer): the same ✖ lines on stdout', async () => {
    const r = await fleetIn(lab, ['ping', '--verbose', '--instances', '1512'])
    expect(r.exitCode).toBe(1)
    expect(screenLines(r.stdout).filter((l) => l.startsWith('✖ oc1512: FAIL wrong-reply'))).toHaveLength(1)
    expect(r.stderr).not.toContain('✖')
  }, 300_000)

  it('ping --json: the document alone, no progress glyphs', async () => {
    const r = await fleetIn(lab, ['ping', '--json'])
    expect(r.exitCode).toBe(1)
    const doc = json(r)
    expect(doc.summary).toMatchObject({instances: 3, passed: 1, failed: 2})
    expect(r.stdout).not.toMatch(/[✔✖❯]/)
  }, 300_000)
})

describe('no colour codes when asked for none', () => {
  it('FORCE_COLOR=0 fleet ping | cat -v: no escape code at all', async () => {
    const r = await fleetEnv(['ping', '--instances', '1511-1512'], {CI: undefined, NO_COLOR: undefined, FORCE_COLOR: '0'})
    expect(r.exitCode).toBe(1)
    expect(r.stdout).toContain('✖ oc1512: FAIL wrong-reply')
    expect(r.stdout).not.toContain('\x1b')
    expect(r.stderr).not.toContain('\x1b')
  }, 300_000)

  it.each([{NO_COLOR: '1'}, {FORCE_COLOR: '0'}])(
    'on a TTY with %j: no colour codes (the tree still moves the cursor)',
    async (env) => {
      const r = await onTty(['ping', '--instances', '1511-1512'], env)
      expect(r.exitCode).toBe(1)
      expect(screenLines(r.out).some((l) => l.startsWith('✖ oc1512: FAIL wrong-reply'))).toBe(true)
      expect(r.out).not.toMatch(SGR)
    },
    300_000,
  )
})

describe('doctor says what heal does for a paused container', () => {
  it('docker unpause it (heal never restarts a paused container)', async () => {
    await execa('docker', ['pause', containerName(1511)])
    try {
      const r = await fleetIn(lab, ['doctor', '--instances', '1511', '--io-samples', '0', '--json'])
      const doc = json(r)
      const paused = doc.checks.filter((c: {instance: string | null; message: string}) => c.instance === 'oc1511' && /paused/.test(c.message))
      expect(paused.length).toBeGreaterThan(0)
      for (const c of paused) expect(c.hint).toMatch(/docker unpause it/)
      for (const c of doc.checks) expect(c.hint ?? '').not.toMatch(/restart/)
      const heal = await fleetIn(lab, ['heal', '--instances', '1511'])
      expect(heal.stdout).toContain('docker unpause it, then heal again')
    } finally {
      await execa('docker', ['unpause', containerName(1511)], {reject: false})
    }
  }, 300_000)
})

describe('an unreachable Docker: exit 3 with one message, as every command', () => {
  const env = {DOCKER_HOST: 'unix:///nonexistent.sock'}

  it('doctor', async () => {
    const r = await fleetEnv(['doctor', '--io-samples', '0'], env)
    expect(r.exitCode).toBe(3)
    expect(r.stdout.match(/is unreachable/g)).toHaveLength(1)
    expect(r.stdout.match(/Docker at unix:\/\/\/nonexistent\.sock/g)).toHaveLength(1)
  }, 120_000)

  it('watch --scans 1', async () => {
    const r = await fleetEnv(['watch', '--scans', '1', '--report-only', '--no-react', '--no-ping', '--json'], env)
    expect(r.exitCode).toBe(3)
    const errors = r.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.event === 'error')
    expect(errors).toHaveLength(1)
    expect(errors[0].message).toMatch(/unreachable/)
  }, 120_000)
})

describe('small things a newcomer meets first', () => {
  it('watch -i 9999 --json: the JSON error document, exit 2', async () => {
    const r = await fleetIn(lab, ['watch', '-i', '9999', '--json'])
    expect(r.exitCode).toBe(2)
    expect(json(r)).toMatchObject({error: {code: 'USAGE', exitCode: 2}})
    expect(json(r).error.message).toContain('9999')
  })

  it('fleet config names the Docker endpoint DOCKER_HOST gives', async () => {
    const r = await fleetEnv(['config'], {DOCKER_HOST: 'unix:///nonexistent.sock'})
    expect(r.exitCode).toBe(0)
    expect(r.stdout).toContain('unix:///nonexistent.sock')
    expect(r.stdout).not.toContain('DOCKER_HOST or')
  })

  it('-h is help, for fleet and for a command', async () => {
    const root = await fleet(['-h'])
    expect(root.exitCode).toBe(0)
    expect(root.stdout).toContain('COMMANDS')
    const status = await fleet(['status', '-h'])
    expect(status.exitCode).toBe(0)
    expect(status.stdout).toContain('USAGE')
    expect(status.stdout).toContain('fleet status')
  })

  it('fleet version and --version print the fleet and node versions', async () => {
    for (const args of [['version'], ['--version']]) {
      const r = await fleet(args)
      expect(r.exitCode).toBe(0)
      expect(r.stdout).toMatch(/^openclaw-fleet\/\d+\.\d+\.\d+ \S+ node-v\d+/)
    }
    const doc = json(await fleet(['version', '--json']))
    expect(doc).toMatchObject({fleet: expect.stringMatching(/^\d+\.\d+\.\d+/), node: process.version})
  })
})

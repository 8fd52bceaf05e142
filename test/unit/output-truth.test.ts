// Output that tells the truth (issue 26), the pure parts: when colour is wanted, how plain progress lines show a
// failure (✖, once, on stdout), doctor's advice for a paused container, and the Docker endpoint `fleet config` prints.
// The same rules end to end, in every mode (TTY, piped, CI, FORCE_COLOR=0, --json): test/e2e/output-truth.test.ts.
import {afterEach, describe, expect, it, vi} from 'vitest'
import type {Fleet, Instance} from '../../src/config/model.js'
import type {Life} from '../../src/openclaw/gateway-life.js'
import {DEFAULT_DOCKER_HOST, dockerEndpoint} from '../../src/docker/client.js'
import {errorDocument} from '../../src/errors.js'
import {describeFleet} from '../../src/report/fleet-config.js'
import {lifeCheck} from '../../src/doctor/doctor.js'
import {colorWanted, progressTree, rendererOptions} from '../../src/progress.js'
import {decideRestart, PAUSED_ADVICE} from '../../src/decide/restart.js'

describe('colour', () => {
  it.each([
    [{}, true, true],
    [{}, false, false],
    [{TERM: 'dumb'}, true, false],
    [{NO_COLOR: '1'}, true, false],
    [{NO_COLOR: ''}, true, true],
    [{FORCE_COLOR: '0'}, true, false],
    [{FORCE_COLOR: '0'}, false, false],
    [{FORCE_COLOR: 'false'}, true, false],
    [{FORCE_COLOR: '1'}, false, true],
    [{FORCE_COLOR: '1', NO_COLOR: '1'}, false, false],
  ])('%j on a TTY=%s: %s', (env, tty, want) => {
    expect(colorWanted(env, tty)).toBe(want)
  })

  it('without colour every renderer gets colourless styles; plain lines get a logger with nothing on stderr', () => {
    const tree = rendererOptions('default', {NO_COLOR: '1'}).rendererOptions as {color: Record<string, (s: string) => string>}
    expect(Object.keys(tree.color)).toEqual(expect.arrayContaining(['COMPLETED', 'FAILED', 'PENDING']))
    for (const f of Object.values(tree.color)) expect(f('✔')).toBe('✔')
    const plain = rendererOptions('simple', {FORCE_COLOR: '0'}).rendererOptions as {logger: {options: {toStderr: string[]}}}
    expect(plain.logger.options.toStderr).toEqual([])
  })
})

describe('plain progress lines (simple and verbose renderers)', () => {
  afterEach(() => vi.restoreAllMocks())

  async function run(renderer: 'simple' | 'verbose'): Promise<{out: string; err: string}> {
    let out = ''
    let err = ''
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true))
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((err += String(chunk)), true))
    const tree = progressTree(
      [
        {title: 'oc1', task: async (_c, t) => void (t.title = 'oc1: SPEED_OK')},
        {
          title: 'oc2',
          task: async (_c, t) => {
            t.title = 'oc2: FAIL wrong-reply: expected "SPEED_OK"'
            throw new Error('oc2: FAIL wrong-reply: expected "SPEED_OK"')
          },
        },
        {title: 'oc3', task: async (_c, t) => t.skip('oc3: not started (interrupted by SIGINT)')},
      ],
      renderer,
      {concurrent: false, exitOnError: false, collectErrors: false},
    )
    const env = {...process.env}
    process.env.NO_COLOR = '1'
    try {
      await tree.run().catch(() => undefined)
    } finally {
      process.env = env
    }
    return {out, err}
  }

  it.each(['simple', 'verbose'] as const)('%s: a failure is ✖ on stdout, said once; nothing on stderr; no colour codes', async (renderer) => {
    const {out, err} = await run(renderer)
    expect(err).toBe('')
    expect(out).not.toContain('\x1b')
    const lines = out.split('\n')
    expect(lines).toContain('✖ oc2: FAIL wrong-reply: expected "SPEED_OK"')
    expect(out).not.toContain('[FAILED')
    expect(out.match(/FAIL wrong-reply/g)).toHaveLength(1)
    expect(lines.filter((l) => l.startsWith('✔') && l.includes('FAIL'))).toEqual([])
    expect(lines.some((l) => l.startsWith('✔') && l.includes('oc1'))).toBe(true)
  })

  it('simple: a skipped task shows its message once', async () => {
    const {out} = await run('simple')
    expect(out.split('\n')).toContain('↓ oc3: not started (interrupted by SIGINT)')
    expect(out).not.toContain('[SKIPPED')
  })
})

describe('doctor and heal agree on a paused container', () => {
  it("doctor's gateway-life advice is heal's: unpause, never restart", () => {
    const life = {state: 'paused', why: 'the container is paused', serves: false, refusal: null} as unknown as Life
    const c = lifeCheck({name: 'oc7', id: 7} as Instance, life)
    expect(c.hint).toBe(PAUSED_ADVICE)
    expect(c.hint).toMatch(/docker unpause/)
    expect(c.hint).not.toMatch(/restart/)
    const d = decideRestart({state: 'paused'} as Parameters<typeof decideRestart>[0], 'needed')
    expect(d).toMatchObject({restart: false, hint: PAUSED_ADVICE})
  })
})

describe('the Docker endpoint', () => {
  const fleet = (host?: string) =>
    ({
      file: '/x/fleet.config.yml',
      groups: [],
      instances: [{id: 7, name: 'oc7', container: 'c7', service: 's7', dataDir: '/d', sessions: [], docker: {host, timeoutMs: 1000}}],
    }) as unknown as Fleet

  it('is DOCKER_HOST, else the local socket, else the configured host', () => {
    const f = fleet()
    expect(describeFleet(f, f.instances, [], {DOCKER_HOST: 'unix:///run/other.sock'}).instances[0].dockerHost).toBe('unix:///run/other.sock')
    expect(describeFleet(f, f.instances, [], {}).instances[0].dockerHost).toBe(DEFAULT_DOCKER_HOST)
    const g = fleet('tcp://10.0.0.2:2375')
    expect(describeFleet(g, g.instances, [], {DOCKER_HOST: 'unix:///run/other.sock'}).instances[0].dockerHost).toBe('tcp://10.0.0.2:2375')
    expect(dockerEndpoint({timeoutMs: 1}, {DOCKER_HOST: 'tcp://h:1'}).host).toBe('tcp://h:1')
  })
})

describe('the JSON error document', () => {
  it('has code, message, hint (null when none) and exitCode', () => {
    expect(errorDocument({code: 'USAGE', message: 'm', exitCode: 2})).toEqual({error: {code: 'USAGE', message: 'm', hint: null, exitCode: 2}})
  })
})

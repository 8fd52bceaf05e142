import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {pickByLabels, defaultProjectName} from '../../src/docker/discover.js'
import {isExecClientOf} from '../../src/docker/host-proc.js'
import {mountedBy} from '../../src/docker/mounts.js'
import {DEFAULT_TURN_TIMEOUT_MS, timeoutFlag, turnDeadlineMs, turnTree} from '../../src/locks/turn.js'
import type {ProcessEvidence} from '../../src/locks/types.js'
import {ownerAlive, parseOwner} from '../../src/util/exec-owner.js'

const p = (pid: number, ppid: number, cmdline: string[]): ProcessEvidence => ({pid, ppid, exists: true, state: 'S', starttime: 100 + pid, cmdline})

describe('timeoutFlag', () => {
  it.each([
    [['openclaw', 'agent', '--local', '--message', 'x', '--timeout', '90'], 90],
    [['node', '/app/openclaw.mjs', 'agent', '--timeout=600'], 600],
    [['openclaw', 'agent', '--timeout', '0'], 0],
    [['openclaw', 'agent', '--message', 'x'], null],
    [['openclaw', 'agent', '--timeout', '-5'], null],
    [['openclaw', 'agent', '--timeout', '1e3'], null],
    [['openclaw', 'gateway', '--timeout', '90'], null],
    [['sleep', 'agent', '--timeout', '90'], null],
    [['openclaw-agent'], null],
    [[], null],
  ])('%j -> %j', (argv, want) => expect(timeoutFlag(argv)).toBe(want))
})

describe('turnTree: the real two-process turn', () => {
  // docker-init (1) -> gateway (7); docker exec'd `openclaw agent` (26, PPID 0) -> `openclaw-agent` (33)
  const table = [
    p(1, 0, ['/sbin/docker-init', '--', 'node']),
    p(7, 1, ['node', 'dist/index.js', 'gateway']),
    p(26, 0, ['openclaw', 'agent', '--local', '--timeout', '120']),
    p(33, 26, ['openclaw-agent']),
  ]
  it('follows the holder to its exec root and finds the --timeout there', () => {
    expect(turnTree(table, 33)).toEqual({execRoot: {pid: 26, cmdline: ['openclaw', 'agent', '--local', '--timeout', '120']}, timeoutSec: 120})
  })
  it('a process the gateway started has no exec root', () => {
    expect(turnTree([...table, p(40, 7, ['openclaw-agent'])], 40)).toEqual({execRoot: null, timeoutSec: null})
  })
  it('the nearest --timeout wins', () => {
    expect(turnTree([...table, p(50, 33, ['openclaw', 'agent', '--timeout', '5'])], 50).timeoutSec).toBe(5)
  })
  it('a loop or a missing parent ends the walk (total for any table)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({pid: fc.integer({min: 1, max: 8}), ppid: fc.integer({min: 0, max: 8})}), {maxLength: 10}),
        fc.integer({min: 1, max: 8}),
        (rows, pid) => {
          const t = turnTree(
            rows.map((r) => p(r.pid, r.ppid, ['x'])),
            pid,
          )
          return t.timeoutSec === null && (t.execRoot === null || t.execRoot.pid >= 1)
        },
      ),
    )
  })
  it('deadline: --timeout, else OpenClaw default, none for 0', () => {
    expect(turnDeadlineMs(undefined)).toBe(DEFAULT_TURN_TIMEOUT_MS)
    expect(turnDeadlineMs({execRoot: null, timeoutSec: 30, fleet: null, clients: null})).toBe(30_000)
    expect(turnDeadlineMs({execRoot: null, timeoutSec: 0, fleet: null, clients: null})).toBeNull()
  })
})

describe('fleet exec owner', () => {
  const stat = (alive: Record<number, number>) => (pid: number) => (pid in alive ? {state: 'S', starttime: alive[pid]} : null)
  it.each([
    ['h:10:500', {10: 500}, true],
    ['h:10:500', {10: 501}, false],
    ['h:10:500', {}, false],
    ['other:10:500', {10: 500}, null],
    ['h:10:', {10: 500}, null],
    ['garbage', {10: 500}, null],
  ] as const)('%s with %j -> %s', (marker, alive, want) => expect(ownerAlive(marker, 'h', stat(alive))).toBe(want))
  it('a zombie owner is gone', () => expect(ownerAlive('h:10:500', 'h', () => ({state: 'Z', starttime: 500}))).toBe(false))
  it('host names with colons parse', () => expect(parseOwner('a:b:12:34')).toEqual({host: 'a:b', pid: 12, starttime: 34}))
})

describe('isExecClientOf', () => {
  const names = ['0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'openclaw-openclaw-gateway-7-1', 'openclaw-gateway-7']
  it.each([
    [['docker', 'exec', '-i', 'openclaw-openclaw-gateway-7-1', 'openclaw', 'agent'], true],
    [['/usr/bin/docker', 'exec', '0123456789ab', 'sh'], true],
    [['docker', 'compose', '-p', 'openclaw', 'exec', 'openclaw-gateway-7', 'openclaw'], true],
    [['/usr/bin/python3', '/usr/bin/docker-compose', 'exec', 'openclaw-gateway-7', 'x'], true],
    [['docker', 'exec', 'openclaw-openclaw-gateway-8-1', 'sh'], false],
    [['docker', 'logs', 'openclaw-openclaw-gateway-7-1'], false],
    [['bash', '-c', 'docker exec openclaw-openclaw-gateway-7-1 x'], false],
    [['docker', 'exec', '0123', 'sh'], false],
  ])('%j -> %s', (argv, want) => expect(isExecClientOf(argv, names)).toBe(want))
})

describe('pickByLabels', () => {
  const S = 'com.docker.compose.service'
  const c = (Id: string, State: string, project: string, workingDir: string) => ({
    Id,
    Names: [`/${Id}`],
    State,
    Labels: {
      [S]: 'openclaw-gateway-7',
      'com.docker.compose.project': project,
      'com.docker.compose.project.working_dir': workingDir,
      'com.docker.compose.project.config_files': `${workingDir}/docker-compose.yml`,
    },
  })
  const group = {projectDir: '/opt/openclaw', composeFile: '/opt/openclaw/docker-compose.yml'}
  it("prefers the configured group's container, running, over an exited one of another project", () => {
    const list = [
      c('other-exited', 'exited', 'staging', '/opt/staging'),
      c('ours', 'running', 'openclaw', '/opt/openclaw'),
      c('other-running', 'running', 'staging', '/opt/staging'),
    ]
    expect(pickByLabels(list, 'openclaw-gateway-7', group)?.Id).toBe('ours')
  })
  it('prefers ours even when it is stopped', () => {
    expect(
      pickByLabels([c('theirs', 'running', 'staging', '/opt/staging'), c('ours', 'exited', 'openclaw', '/opt/openclaw')], 'openclaw-gateway-7', group)?.Id,
    ).toBe('ours')
  })
  it('without a group, a running container over an exited one', () => {
    expect(pickByLabels([c('a', 'exited', 'x', '/x'), c('b', 'running', 'y', '/y')], 'openclaw-gateway-7')?.Id).toBe('b')
  })
  it('compose v1 project name from the dir', () => expect(defaultProjectName('/opt/OpenClaw Multi.2')).toBe('openclawmulti2'))
})

describe('mountedBy: read-only mounts are no writers', () => {
  const running = [
    {name: 'a', mounts: [{source: '/d/oc7/config', rw: true}]},
    {name: 'b', mounts: [{source: '/d/oc7/config/agents/main/sessions', rw: false}]},
  ]
  it('writable', () => expect(mountedBy('/d/oc7/config/agents/main/sessions', running)).toEqual(['a']))
  it('read-only', () => expect(mountedBy('/d/oc7/config/agents/main/sessions', running, 'read-only')).toEqual(['b']))
})

// Duplicate gateways in one container, from a process table shaped like the real 2026.9.6 tree (lab/real/NOTES.md).
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {Instance} from '../../src/config/model.js'
import type {ProcessEvidence} from '../../src/locks/types.js'
import {duplicateGatewayCheck, sharedDirChecks, sharedStateDirCheck} from '../../src/doctor/doctor.js'
import {gatewayProcesses, isGatewayCmdline} from '../../src/openclaw/gateway-processes.js'

const p = (pid: number, ppid: number, cmd: string): ProcessEvidence => ({pid, ppid, exists: true, state: 'S', starttime: pid, cmdline: cmd.split(' ')})
// 2026.9.6 idle and during a turn, as `ps` showed it (lab/real/NOTES.md); {MainThread} is ps's thread name, not argv.
const REAL = [
  p(1, 0, '/sbin/docker-init -- /opt/ocreal/start.sh gateway --allow-unconfigured --bind loopback --port 18789'),
  p(7, 1, 'openclaw-gateway'),
  p(9, 7, 'ocreal-model'),
  p(101, 7, '/usr/local/bin/node /app/dist/process/spawn-broker/worker.js'),
  p(108, 7, '/usr/local/bin/node /app/dist/infra/sqlite-readonly-location.worker.js --openclaw-sqlite-readonly-child session'),
  p(275, 0, 'node /app/openclaw.mjs agent --agent main --message Reply exactly SPEED_OK --thinking low --json'),
  p(288, 275, 'openclaw-agent'),
]
const inst = {name: 'oc861', dataDir: '/data/oc861', sessions: [{hostDir: '/data/oc861/agents/main/sessions'}]} as unknown as Instance

describe('gateway processes', () => {
  it.each([
    ['openclaw-gateway', true],
    ['node dist/index.js gateway --bind lan --port 18789', true],
    ['openclaw gateway', true],
    ['node /app/openclaw.mjs gateway run', true],
    ['/usr/local/bin/openclaw gateway --port 18789', true],
    ['openclaw gateway status', false],
    ['openclaw gateway call health', false],
    ['/sbin/docker-init -- /opt/ocreal/start.sh gateway --allow-unconfigured', false],
    ['/bin/sh /opt/ocreal/start.sh gateway', false],
    ['/usr/local/bin/node /app/dist/process/spawn-broker/worker.js', false],
    ['node /app/openclaw.mjs agent --agent main', false],
    ['openclaw-agent', false],
  ])('%s: %s', (cmd, is) => expect(isGatewayCmdline(cmd.split(' '))).toBe(is))

  it('the real 2026.9.6 tree has one gateway (its workers and the init wrapper are not gateways)', () => {
    expect(gatewayProcesses(REAL).map((x) => x.pid)).toEqual([7])
    expect(duplicateGatewayCheck(inst, 'c861', REAL, null)).toMatchObject({status: 'pass', message: expect.stringContaining('pid 7')})
  })

  it('a second gateway started by hand is named; a gateway that respawns itself under its title is one', () => {
    const two = [...REAL, p(400, 0, 'node /app/openclaw.mjs gateway --port 18790')]
    const c = duplicateGatewayCheck(inst, 'c861', two, null)
    expect(c).toMatchObject({check: 'duplicate-gateways', status: 'fail'})
    expect(c.message).toMatch(/pid 7 .*pid 400 \(node \/app\/openclaw\.mjs gateway --port 18790\)/)
    const respawn = [
      p(1, 0, 'node dist/index.js gateway --bind lan'),
      p(20, 1, 'openclaw-gateway'),
      p(21, 20, '/usr/local/bin/node /app/dist/process/spawn-broker/worker.js'),
    ]
    expect(gatewayProcesses(respawn).map((x) => x.pid)).toEqual([1])
  })

  it('no table: a warning that says duplicates were not checked', () => {
    expect(duplicateGatewayCheck(inst, 'c861', null, 'probe timed out')).toMatchObject({status: 'warn', message: expect.stringContaining('probe timed out')})
  })

  it('property: adding workers or clients under the gateway never adds a gateway', () => {
    const extra = fc.constantFrom('/usr/local/bin/node /app/dist/x.worker.js', 'openclaw-agent', 'openclaw gateway status', 'ocreal-model')
    fc.assert(
      fc.property(fc.array(extra, {maxLength: 8}), (cmds) => {
        const table = [...REAL, ...cmds.map((c, i) => p(500 + i, 7, c))]
        expect(gatewayProcesses(table)).toHaveLength(1)
      }),
    )
  })
})

describe('two containers writing one state dir: read-only mounts do not count', () => {
  const rw = (name: string, source: string) => ({name, mounts: [{source, rw: true}]})
  const ro = (name: string, source: string) => ({name, mounts: [{source, rw: false}]})
  it('a reader beside the writer passes and is named as not a writer', () => {
    const running = [rw('c861', '/data/oc861'), ro('backup', '/data/oc861')]
    expect(sharedStateDirCheck(inst, running)).toMatchObject({status: 'pass', message: expect.stringContaining('also seen read-only by backup: not a writer')})
    expect(sharedDirChecks([inst], running)[0]).toMatchObject({status: 'pass', message: expect.stringContaining('read-only by backup')})
  })
  it('two writers fail, named', () => {
    const running = [rw('c861', '/data/oc861'), rw('c862', '/data/oc861')]
    expect(sharedStateDirCheck(inst, running)).toMatchObject({status: 'fail', message: expect.stringContaining('2 running containers writably: c861, c862')})
    expect(sharedDirChecks([inst], running)[0]).toMatchObject({status: 'fail'})
  })
})

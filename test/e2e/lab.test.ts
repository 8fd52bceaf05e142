// The lab itself, end to end against the real Docker engine: a 5-instance lab (101-105) in a
// temp root, every fault injected by real processes, the simulated OpenClaw 2026.4.29 judged
// by what `docker exec ... openclaw agent` really does, and a tear-down that removes exactly the lab.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {down, instanceOf, LAB_LABEL, labContainers, loadLab, REPO_DIR, up} from '../../lab/compose.mjs'
import * as faults from '../../lab/faults.mjs'
import {docker, waitFor} from '../../lab/run.mjs'

const FIRST = 101
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'openclaw-lab-e2e-'))
const name = (id: number) => `openclaw-openclaw-gateway-${id}-1`
const lockedLine = (pid: number, lockPath: string) => `SessionWriteLockTimeoutError: session file locked (timeout 10000ms): pid=${pid} ${lockPath}`
const lines = async (args: string[]) => (await docker(args)).stdout.split('\n').filter(Boolean).sort()
const inst = (id: number) => instanceOf(loadLab(root), id)

let before: {networks: string[]}

beforeAll(async () => {
  before = {networks: await lines(['network', 'ls', '-q'])}
  const result = await up({root, first: FIRST, size: 5})
  expect(result.containers).toEqual([101, 102, 103, 104, 105].map(name))
}, 240_000)

afterAll(async () => {
  if (fs.existsSync(path.join(root, 'lab.json'))) await down({root})
  fs.rmSync(root, {recursive: true, force: true})
}, 120_000)

describe('lab bring-up', () => {
  it('runs 5 healthy gateways in two compose groups, labelled, without any network', async () => {
    expect(await lines(['network', 'ls', '-q'])).toEqual(before.networks)
    const {stdout} = await docker([
      'inspect',
      '--format',
      '{{.Name}}|{{.HostConfig.NetworkMode}}|{{.HostConfig.Init}}|{{.HostConfig.RestartPolicy.Name}}|{{.Config.User}}|{{index .Config.Labels "com.docker.compose.project"}}|{{index .Config.Labels "com.docker.compose.service"}}|{{index .Config.Labels "openclaw-fleet.lab"}}|{{.State.Health.Status}}',
      ...[101, 102, 103, 104, 105].map(name),
    ])
    expect(stdout.trim().split('\n')).toEqual(
      [101, 102, 103, 104, 105].map((id) => `/${name(id)}|none|true|unless-stopped|1000:1000|openclaw|openclaw-gateway-${id}|${root}|healthy`),
    )
    const config = fs.readFileSync(path.join(root, 'fleet.config.yml'), 'utf8')
    expect(config).toContain('instances: 101-105\n')
    expect(config).toContain(
      '  oc101-103:\n    instances: 101-103\n    projectDir: openclaw\n    composeFile: docker-compose.oc101-103.yml\n    envFile: .env.multi.oc101-103\n',
    )
    expect(config).toContain('  oc104-105:\n    instances: 104-105\n')
    for (const file of ['docker-compose.oc101-103.yml', '.env.multi.oc101-103', 'docker-compose.oc104-105.yml', '.env.multi.oc104-105'])
      expect(fs.existsSync(path.join(root, 'openclaw', file))).toBe(true)
  })

  it('runs the gateway as a small pid under docker-init, titled openclaw-gateway, and reports ready', async () => {
    const infos = await Promise.all([101, 102, 103, 104, 105].map((id) => faults.gatewayInfo(name(id))))
    for (const info of infos) {
      expect(info).toMatchObject({ppid: 1, title: 'openclaw-gateway', version: '2026.4.29', ready: true, stateDir: '/home/node/.openclaw'})
      expect(info.pid).toBeGreaterThan(1)
      expect(info.pid).toBeLessThan(16)
    }
    const {stdout} = await docker(['exec', name(101), 'openclaw', '--version'])
    expect(stdout.trim()).toBe('OpenClaw 2026.4.29 (lab0429)')
  })

  it('answers SPEED_OK on every healthy instance, embedded and through the gateway', async () => {
    const turns = await Promise.all([101, 102, 103, 104, 105].map((id) => faults.agentTurn(name(id))))
    turns.forEach((turn, i) => {
      expect(turn.code, turn.stderr).toBe(0)
      expect(turn.json.payloads[0]).toEqual({text: 'SPEED_OK', mediaUrl: null})
      expect(turn.json.meta.agentMeta.sessionId).toBe(faults.mainSession(inst(FIRST + i)).sessionId)
    })
    const viaGateway = await faults.agentTurn(name(101), {local: false, message: 'Reply exactly GATEWAY_OK'})
    expect(viaGateway.code, viaGateway.stderr).toBe(0)
    expect(viaGateway.json.result.payloads[0].text).toBe('GATEWAY_OK')
    const transcript = fs.readFileSync(path.join(inst(101).sessionsDir, `${faults.mainSession(inst(101)).sessionId}.jsonl`), 'utf8')
    expect(transcript).toContain('"text":"GATEWAY_OK"')
  })
})

describe('faults that wedge a session', () => {
  it('(b) orphan, (c) frozen, (d) previous incarnation, (g) stopped: turns fail after 10 s naming the lock pid', async () => {
    const [b, c, d, g] = await Promise.all([
      faults.orphan(102, {root}),
      faults.frozen(103, {root}),
      faults.previousIncarnation(104, {root, legacy: true}),
      faults.stoppedWithLock(105, {root}),
    ])
    // The real two-process turn: the holder `openclaw-agent` is the child of the exec'd `openclaw agent` (PPID 0).
    expect(b.process).toMatchObject({exists: true, cmdline: 'openclaw-agent'})
    const parent = await faults.procInContainer(b.container, b.process.ppid!)
    expect(parent).toMatchObject({exists: true, ppid: 0})
    expect(parent.cmdline).toContain('agent --local')
    expect(c.process).toMatchObject({pid: c.pid, state: 'T', cmdline: 'openclaw-gateway'})
    expect(d).toMatchObject({samePid: true, gatewayPid: d.pid, legacy: true})
    expect(d.lock).not.toHaveProperty('starttime')
    expect(g).toMatchObject({containerStatus: 'exited', restartedByPolicy: false})
    expect(faults.readLock(g.hostLockPath)).toEqual(g.lock)
    expect((await docker(['inspect', '--format', '{{.State.Status}}', name(105)])).stdout.trim()).toBe('exited')

    const [tb, tc, td, viaGateway] = await Promise.all([
      faults.agentTurn(b.container),
      faults.agentTurn(c.container),
      faults.agentTurn(d.container),
      faults.agentTurn(b.container, {local: false}),
    ])
    for (const [turn, fault] of [
      [tb, b],
      [tc, c],
      [td, d],
    ] as const) {
      expect(turn.code).toBe(1)
      expect(turn.stdout).toBe('')
      expect(turn.stderr.trim()).toBe(lockedLine(fault.pid, fault.lockPath))
      expect(turn.ms).toBeGreaterThanOrEqual(9000)
      expect(turn.ms).toBeLessThanOrEqual(20_000)
      expect(faults.readLock(fault.hostLockPath)).toEqual(fault.lock) // nobody reclaimed it
    }
    // Through the gateway: the gateway times out, the CLI falls back to embedded, which times out too.
    expect(viaGateway.code).toBe(1)
    expect(viaGateway.stderr).toContain(`Gateway agent failed; falling back to embedded: GatewayClientRequestError: ${lockedLine(b.pid, b.lockPath)}\n`)
    expect(viaGateway.stderr.trim().split('\n').at(-1)).toBe(lockedLine(b.pid, b.lockPath))
    expect(viaGateway.ms).toBeGreaterThanOrEqual(19_000)
    const logs = await docker(['logs', b.container])
    expect(logs.stdout).toContain(`error="${lockedLine(b.pid, b.lockPath)}"`)
    // The frozen gateway does not answer its health check either.
    await expect(docker(['exec', c.container, 'timeout', '2', 'wget', '-qO-', 'http://127.0.0.1:18789/healthz'])).rejects.toThrow()
  }, 180_000)
})

describe('stale locks that 2026.4.29 reclaims by itself', () => {
  it('(a) dead-pid: the lock stays until the next turn, which reclaims it', async () => {
    const a = await faults.deadPid(101, {root})
    expect(a.clientExitCode).toBe(137)
    expect(await faults.procInContainer(a.container, a.pid)).toEqual({pid: a.pid, exists: false})
    expect(faults.readLock(a.hostLockPath)).toEqual(a.lock)
    const turn = await faults.agentTurn(a.container)
    expect(turn.code, turn.stderr).toBe(0)
    expect(turn.json.payloads[0].text).toBe('SPEED_OK')
    expect(turn.ms).toBeLessThan(5000)
    expect(fs.existsSync(a.hostLockPath)).toBe(false)
  }, 60_000)

  it('(a) then a restart: the gateway start-up sweep removes it and logs why', async () => {
    const a = await faults.deadPid(101, {root})
    await docker(['restart', '--time', '2', a.container])
    await waitFor(async () => (await faults.gatewayInfo(a.container)).ready, {what: 'the restarted gateway to be ready'})
    const logs = (await docker(['logs', a.container])).stdout
    expect(logs).toContain(`[gateway] removed stale session lock: ${a.lockPath} (dead-pid)\n[gateway] ready`)
    expect(fs.existsSync(a.hostLockPath)).toBe(false)
  }, 60_000)

  it('(d) previous incarnation with a 2026.4.29 lock: same pid, other starttime, reclaimed (recycled-pid)', async () => {
    const d = await faults.previousIncarnation(101, {root})
    expect(d.samePid).toBe(true)
    expect(d.lock.starttime).toBe(d.oldGatewayStarttime)
    expect(d.gatewayStarttime).not.toBe(d.lock.starttime)
    const turn = await faults.agentTurn(d.container)
    expect(turn.code, turn.stderr).toBe(0)
    expect(turn.ms).toBeLessThan(5000)
  }, 90_000)
})

describe('faults that do not wedge', () => {
  it('(f) slow gateway, wrong reply and model error follow the control files at every turn', async () => {
    const f = await faults.slow(101, {root, ms: 3000})
    expect(fs.readFileSync(f.controlFile, 'utf8').trim()).toBe('3000')
    const slowTurn = await faults.agentTurn(name(101))
    expect(slowTurn.json.payloads[0].text).toBe('SPEED_OK')
    expect(slowTurn.ms).toBeGreaterThanOrEqual(3000)
    await faults.setControl(101, 'slow-ms', null, {root})

    await faults.wrongReply(101, {root, text: 'NOT_SPEED'})
    expect((await faults.agentTurn(name(101))).json.payloads[0].text).toBe('NOT_SPEED')
    await faults.setControl(101, 'reply', null, {root})

    await faults.modelError(101, {root})
    const failed = await faults.agentTurn(name(101))
    expect(failed).toMatchObject({code: 1, stdout: ''})
    expect(failed.stderr.trim()).toBe('FailoverError: No API key found for provider "openai"')
    await faults.setControl(101, 'model-error', null, {root})
    expect((await faults.agentTurn(name(101))).json.payloads[0].text).toBe('SPEED_OK')
  }, 60_000)

  it('(h) malformed, empty and truncated locks hold the fixture bytes, owned by the container user', async () => {
    const h = await faults.malformedLocks(101, {root})
    expect(h.files.map((f) => path.basename(f.hostPath))).toEqual(faults.FIXTURE_LOCKS.map((n) => `malformed-${n}.jsonl.lock`))
    for (const file of h.files) {
      expect(fs.readFileSync(file.hostPath)).toEqual(
        fs.readFileSync(path.join(REPO_DIR, 'test', 'fixtures', 'locks', `${file.sessionId.replace('malformed-', '')}.jsonl.lock`)),
      )
      if (process.getuid?.() === 0) expect(fs.statSync(file.hostPath).uid).toBe(1000)
    }
    const {stdout} = await docker(['exec', name(101), 'cat', h.files[1].lockPath])
    expect(stdout).toBe('{\n  "pid": 47')
  })

  it('(i) adds 10,000 transcripts quickly, visible in the container', async () => {
    const i = await faults.manyTranscripts(101, {root})
    expect(i.count).toBe(10_000)
    expect(i.ms).toBeLessThan(30_000)
    const {stdout} = await docker(['exec', name(101), 'sh', '-c', 'ls /home/node/.openclaw/agents/main/sessions | grep -c "\\.jsonl$"'])
    expect(Number(stdout.trim())).toBe(10_001) // + the main session's transcript
    const sample = fs
      .readFileSync(path.join(i.dir, i.sample), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(sample.map((e) => e.type)).toEqual(['session', 'message', 'message'])
    expect((await faults.agentTurn(name(101))).json.payloads[0].text).toBe('SPEED_OK')
  }, 60_000)

  it('(e) two running instances bind-mount one sessions dir', async () => {
    await faults.clearFaults(105, {root}) // it was left stopped by (g)
    const e = await faults.sharedSessions(105, {root})
    expect(e).toMatchObject({other: 104, container: name(105), otherContainer: name(104)})
    const {stdout: mounts} = await docker(['inspect', '--format', '{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}', name(105)])
    expect(mounts).toContain(`${inst(104).sessionsDir}:/home/node/.openclaw/agents/main/sessions`)
    expect(inst(105).sessionsDir).toBe(inst(104).sessionsDir) // the dir 105's container sees
    const probe = `/home/node/.openclaw/agents/main/sessions/shared-${Date.now()}.txt`
    await docker(['exec', name(105), 'sh', '-c', 'echo "written by 105" > "$1"', 'sh', probe])
    expect((await docker(['exec', name(104), 'cat', probe])).stdout).toBe('written by 105\n')
    const states = await docker(['inspect', '--format', '{{.State.Status}}', name(104), name(105)])
    expect(states.stdout.trim().split('\n')).toEqual(['running', 'running'])
  }, 90_000)
})

describe('lab tear-down', () => {
  it('removes exactly the lab: its containers and its root, nothing else', async () => {
    const sentinel = `openclaw-lab-e2e-sentinel-${process.pid}`
    await docker(['create', '--name', sentinel, '--network', 'none', '--label', `${LAB_LABEL}.sentinel=1`, loadLab(root).image])
    try {
      const others = (await lines(['ps', '-a', '--format', '{{.Names}}'])).filter((n) => !/^openclaw-openclaw-gateway-10[1-5]-1$/.test(n))
      const images = await lines(['images', '-q', '--no-trunc'])
      const result = await down({root})
      expect(result.removedContainers).toEqual([101, 102, 103, 104, 105].map(name).sort())
      expect(await labContainers(root)).toEqual([])
      expect((await docker(['ps', '-a', '-q', '--filter', `label=${LAB_LABEL}=${root}`])).stdout.trim()).toBe('')
      expect(fs.existsSync(root)).toBe(false)
      const after = await lines(['ps', '-a', '--format', '{{.Names}}'])
      expect(after).toContain(sentinel)
      expect(others.filter((n) => !after.includes(n))).toEqual([]) // every other container is still there
      expect(await lines(['network', 'ls', '-q'])).toEqual(before.networks)
      expect(await lines(['images', '-q', '--no-trunc'])).toEqual(images)
    } finally {
      await docker(['rm', '-f', sentinel], {reject: false})
    }
  }, 120_000)
})

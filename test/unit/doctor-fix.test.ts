import {describe, expect, it} from 'vitest'
import type {DockerHandle} from '../../src/docker/client.js'
import {DOCTOR_FIX_LABEL, oneOffSpec, outputTail, runDoctorFix, SERVICE_REPAIR_POLICY_ENV} from '../../src/openclaw/doctor-fix.js'
import {cureStartRefusal, type StartCureInput} from '../../src/heal/start-cure.js'
import {startRefusal} from '../../src/openclaw/start-refusals.js'
import type {RefusalKind} from '../../src/openclaw/start-refusals.js'

const INSPECT = {
  Image: 'sha256:abc',
  Name: '/openclaw-openclaw-gateway-7-1',
  Config: {Env: ['PATH=/usr/bin', 'HOME=/home/node', `${SERVICE_REPAIR_POLICY_ENV}=auto`], User: '1000:1000', WorkingDir: '/app', Hostname: 'c0ffee'},
  HostConfig: {
    Binds: ['/srv/oc7/config:/home/node/.openclaw:rw'],
    Mounts: [{Type: 'volume', Source: 'oc7-workspace', Target: '/home/node/.openclaw/workspace'}],
    NetworkMode: 'openclaw_default',
    Init: true,
    SecurityOpt: ['seccomp=unconfined'],
    CapAdd: [],
    PortBindings: {'18789/tcp': [{HostPort: '18789'}]},
    RestartPolicy: {Name: 'unless-stopped'},
  },
  Mounts: [
    {Type: 'bind', Source: '/srv/oc7/config', Destination: '/home/node/.openclaw', RW: true},
    {Type: 'volume', Name: 'oc7-workspace', Source: '/var/lib/docker/volumes/oc7-workspace/_data', Destination: '/home/node/.openclaw/workspace', RW: true},
    {Type: 'volume', Name: '3f2a', Source: '/var/lib/docker/volumes/3f2a/_data', Destination: '/data', RW: false},
  ],
  Labels: {'com.docker.compose.service': 'openclaw-gateway-7'},
} as never

describe('oneOffSpec', () => {
  const spec = oneOffSpec(INSPECT, {name: 'x-doctor-fix'})
  it('the same image (by id), user, working dir, host name and env, with the policy var set to external once', () => {
    expect(spec).toMatchObject({name: 'x-doctor-fix', Image: 'sha256:abc', User: '1000:1000', WorkingDir: '/app', Hostname: 'c0ffee'})
    expect(spec.Env).toEqual(['PATH=/usr/bin', 'HOME=/home/node', `${SERVICE_REPAIR_POLICY_ENV}=external`])
    expect(spec.Cmd).toEqual(['openclaw', 'doctor', '--fix', '--non-interactive'])
    expect(spec.Entrypoint).toBeUndefined()
  })
  it('the same binds and mounts, plus the anonymous volume by name', () => {
    expect(spec.HostConfig?.Binds).toEqual(['/srv/oc7/config:/home/node/.openclaw:rw'])
    expect(spec.HostConfig?.Mounts).toEqual([
      {Type: 'volume', Source: 'oc7-workspace', Target: '/home/node/.openclaw/workspace'},
      {Type: 'volume', Source: '3f2a', Target: '/data', ReadOnly: true},
    ])
  })
  it('no restart policy, no ports, no compose labels, kept after exit; init and security options copied; empty lists dropped', () => {
    expect(spec.HostConfig).toMatchObject({
      AutoRemove: false,
      RestartPolicy: {Name: 'no'},
      NetworkMode: 'openclaw_default',
      Init: true,
      SecurityOpt: ['seccomp=unconfined'],
    })
    expect(spec.HostConfig?.PortBindings).toBeUndefined()
    expect(spec.HostConfig?.CapAdd).toBeUndefined()
    expect(spec.Labels).toEqual({[DOCTOR_FIX_LABEL]: 'openclaw-openclaw-gateway-7-1'})
  })
  it('another container network namespace (stopped with it) becomes none', () => {
    const s = oneOffSpec({...(INSPECT as object), HostConfig: {NetworkMode: 'container:abc'}} as never, {name: 'n', command: ['sh']})
    expect(s.HostConfig?.NetworkMode).toBe('none')
    expect(s.Cmd).toEqual(['sh'])
  })
})

describe('outputTail', () => {
  it('drops ANSI colours and carriage returns, keeps the last lines and bytes', () => {
    const text = Array.from({length: 100}, (_, i) => `\x1b[32mline ${i}\x1b[39m\r`).join('\n') + '\n'
    const tail = outputTail(text, 3)
    expect(tail).toBe('line 97\nline 98\nline 99')
    expect(outputTail('x'.repeat(100), 10, 16)).toHaveLength(16)
  })
  it('drops the frame-only lines of real doctor output', () => {
    const real =
      '◇  Doctor changes ───╮\n│                   │\n│  - Tightened permissions on ~/.openclaw to 700  │\n├───────────────────╯\n│\n└  Doctor complete.\n'
    expect(outputTail(real)).toBe('◇  Doctor changes ───╮\n│  - Tightened permissions on ~/.openclaw to 700  │\n└  Doctor complete.')
  })
})

const handle404: DockerHandle = {
  label: 'fake',
  timeoutMs: 1000,
  docker: {
    getContainer: () => ({inspect: () => Promise.reject(Object.assign(new Error('no such container'), {statusCode: 404}))}),
  } as never,
}

const MIGRATIONS = startRefusal('Gateway failed to start: OpenClaw startup migrations did not complete cleanly; run openclaw doctor --fix')!
const status = (version: string | null): StartCureInput['status'] => ({
  container: 'gone',
  state: 'restarting',
  locks: [],
  openclaw: {version, storage: 'sqlite', source: 'package-json', error: null} as never,
  life: {state: 'crash-loop', why: 'restarted 4 times', refusal: MIGRATIONS} as never,
  mount: null,
})
const fleet = {
  restart: {stopTimeoutMs: 330_000},
  gateway: {startBudgetMs: 300_000, crashLoopWindowMs: 300_000, crashLoopRestarts: 3, lockErrorWindowMs: 120_000, port: 18789},
}

describe('runDoctorFix never throws', () => {
  it('a missing container: not run, nothing started', async () => {
    const r = await runDoctorFix(handle404, 'gone', {stopTimeoutMs: 1000})
    expect(r).toMatchObject({ok: false, outcome: 'not-run', oneOff: null, stop: null, start: {started: false}})
    expect(r.summary).toContain('no such container')
  })
  it('an unreachable engine: the error in the result', async () => {
    const h = {
      ...handle404,
      docker: {getContainer: () => ({inspect: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'}))})} as never,
    }
    const r = await runDoctorFix(h, 'c', {stopTimeoutMs: 1000})
    expect(r.ok).toBe(false)
    expect(r.error).toMatch(/unreachable/)
  })
})

describe('cureStartRefusal', () => {
  it('doctor-fix: records the refusal kind before it runs, so the same heal never runs it twice for it', async () => {
    const ranFor: RefusalKind[] = []
    const first = await cureStartRefusal({fleet, handle: handle404, status: status('2026.9.6'), doctorFixRanFor: ranFor})
    expect(first.decision.cure).toBe('doctor-fix')
    expect(first.run?.outcome).toBe('not-run')
    expect(ranFor).toEqual(['startup-migrations-incomplete'])
    const second = await cureStartRefusal({fleet, handle: handle404, status: status('2026.9.6'), doctorFixRanFor: ranFor})
    expect(second.decision).toMatchObject({cure: 'none'})
    expect(second.decision.why).toContain('already ran')
    expect(second.run).toBeNull()
  })
  it('no run where the decision is not doctor-fix (2026.4.29)', async () => {
    const ranFor: RefusalKind[] = []
    const r = await cureStartRefusal({fleet, handle: handle404, status: status('2026.4.29'), doctorFixRanFor: ranFor})
    expect(r).toMatchObject({decision: {cure: 'none'}, run: null})
    expect(ranFor).toEqual([])
  })
})

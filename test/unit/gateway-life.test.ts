import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {DEFAULT_LIFE_POLICY, gatewayLife, recentLockErrors, type LifeFacts} from '../../src/openclaw/gateway-life.js'
import type {ReadinessEvidence} from '../../src/openclaw/readiness.js'
import {stateMount} from '../../src/docker/state-mount.js'
import {channelSuppression, lifeLogReader, readinessFromProbe} from '../../src/openclaw/readiness.js'
import {REFUSAL_KINDS, startRefusal} from '../../src/openclaw/start-refusals.js'

const NOW = Date.parse('2026-12-04T10:00:00Z')
const READY: ReadinessEvidence = {state: 'ready', source: 'ready-line', detail: null}
const NOT_READY: ReadinessEvidence = {state: 'not-ready', source: 'readyz', detail: '/readyz 503'}
const UNKNOWN: ReadinessEvidence = {state: 'unknown', source: null, detail: 'cannot ask /readyz'}
const MIN = 60_000
const refusal = (kind: 'startup-migrations-incomplete' | 'lease-heartbeat', atMs: number) => ({
  ...startRefusal(
    kind === 'lease-heartbeat'
      ? 'Gateway failed to start: state lease heartbeat did not become ready'
      : 'OpenClaw startup migrations did not complete cleanly; run openclaw doctor --fix',
  )!,
  atMs,
})

const facts = (over: Partial<LifeFacts> = {}): LifeFacts => ({
  state: 'running',
  startedAtMs: NOW - 10 * MIN,
  finishedAtMs: null,
  exitCode: null,
  restartCount: 0,
  previousRestartCount: null,
  readiness: READY,
  refusal: null,
  lastLine: null,
  ...over,
})

describe('gatewayLife: the life-cycle state, one rule for status, heal and watch', () => {
  const table: [string, Partial<LifeFacts>, string][] = [
    ['ready line since this start', {}, 'ready'],
    ['ready by /readyz body', {readiness: {state: 'ready', source: 'readyz', detail: '/readyz 200 {"ready":true}'}}, 'ready'],
    ['up 20 s, /readyz 503', {startedAtMs: NOW - 20_000, readiness: NOT_READY}, 'starting'],
    ['up 4 min, not ready yet (a busy 2-core host)', {startedAtMs: NOW - 4 * MIN, readiness: NOT_READY}, 'starting'],
    ['up 6 min, not ready: past the start budget', {startedAtMs: NOW - 6 * MIN, readiness: NOT_READY}, 'failing'],
    ['up 6 min, readiness cannot be read', {startedAtMs: NOW - 6 * MIN, readiness: UNKNOWN}, 'unverified'],
    ['up 30 s, readiness cannot be read yet', {startedAtMs: NOW - 30_000, readiness: UNKNOWN}, 'starting'],
    [
      'crash loop caught in its running window (25 ms up, 8 restarts)',
      {startedAtMs: NOW - 25, finishedAtMs: NOW - 200, exitCode: 1, restartCount: 8, readiness: NOT_READY},
      'crash-loop',
    ],
    ['crash loop between restarts', {state: 'restarting', finishedAtMs: NOW - 2000, exitCode: 1, restartCount: 9, readiness: UNKNOWN}, 'crash-loop'],
    ['one policy restart, between restarts', {state: 'restarting', finishedAtMs: NOW - 2000, exitCode: 137, restartCount: 1, readiness: UNKNOWN}, 'restarting'],
    ['one policy restart 1 min ago, ready again', {startedAtMs: NOW - 50_000, finishedAtMs: NOW - MIN, exitCode: 137, restartCount: 1}, 'restarting'],
    ['one policy restart 10 min ago, ready since', {startedAtMs: NOW - 10 * MIN, finishedAtMs: NOW - 10 * MIN - 1000, restartCount: 1}, 'ready'],
    ['RestartCount rose since the last scan, ready now', {restartCount: 2, previousRestartCount: 1, finishedAtMs: NOW - 20 * MIN}, 'restarting'],
    ['RestartCount the same as last scan, old restarts', {restartCount: 5, previousRestartCount: 5, finishedAtMs: NOW - 30 * MIN}, 'ready'],
    [
      'a refusal a restart does not cure, in this start',
      {startedAtMs: NOW - 30_000, readiness: NOT_READY, refusal: refusal('startup-migrations-incomplete', NOW - 20_000)},
      'failing',
    ],
    [
      'a refusal that clears by waiting, in this start',
      {startedAtMs: NOW - 30_000, readiness: NOT_READY, refusal: refusal('lease-heartbeat', NOW - 20_000)},
      'starting',
    ],
    [
      'a refusal of the previous incarnation, starting now',
      {startedAtMs: NOW - 30_000, readiness: NOT_READY, refusal: refusal('startup-migrations-incomplete', NOW - 40_000)},
      'starting',
    ],
    ['exited', {state: 'exited', exitCode: 1, finishedAtMs: NOW - MIN}, 'stopped'],
    ['created, never started', {state: 'created', startedAtMs: null}, 'stopped'],
    ['paused', {state: 'paused'}, 'paused'],
    ['missing', {state: 'missing', startedAtMs: null}, 'missing'],
    ['unreachable', {state: 'unreachable', startedAtMs: null}, 'unreachable'],
  ]
  it.each(table)('%s -> %s', (_name, over, state) => {
    const life = gatewayLife(facts(over), DEFAULT_LIFE_POLICY, NOW)
    expect(life.state).toBe(state)
    expect(life.serves).toBe(state === 'ready')
    expect(life.why.length).toBeGreaterThan(0)
  })

  it('names the restart count, the last exit code and the refusal line of a crash loop', () => {
    const life = gatewayLife(
      facts({
        startedAtMs: NOW - 25,
        finishedAtMs: NOW - 300,
        exitCode: 1,
        restartCount: 8,
        readiness: NOT_READY,
        refusal: refusal('startup-migrations-incomplete', NOW - 400),
      }),
      DEFAULT_LIFE_POLICY,
      NOW,
    )
    expect(life.why).toMatch(/restarted 8 time\(s\).*exit 1.*startup migrations did not complete cleanly/)
    expect(life.restartCount).toBe(8)
    expect(life.exitCode).toBe(1)
  })

  const readinessArb = fc.constantFrom<ReadinessEvidence>(READY, NOT_READY, UNKNOWN)
  const factsArb = fc.record({
    state: fc.constantFrom('running', 'restarting', 'exited', 'paused', 'created', 'dead', 'missing'),
    startedAtMs: fc.option(fc.integer({min: NOW - 60 * MIN, max: NOW}), {nil: null}),
    finishedAtMs: fc.option(fc.integer({min: NOW - 60 * MIN, max: NOW}), {nil: null}),
    exitCode: fc.option(fc.integer({min: 0, max: 255}), {nil: null}),
    restartCount: fc.option(fc.integer({min: 0, max: 50}), {nil: null}),
    previousRestartCount: fc.option(fc.integer({min: 0, max: 50}), {nil: null}),
    readiness: readinessArb,
    refusal: fc.constant(null),
    lastLine: fc.constant(null),
  })

  it('property: only a running gateway that said it is ready serves, and serves iff its state is ready', () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const life = gatewayLife(f, DEFAULT_LIFE_POLICY, NOW)
        expect(life.serves).toBe(life.state === 'ready')
        if (life.serves) {
          expect(f.state).toBe('running')
          expect(f.readiness.state).toBe('ready')
        }
      }),
    )
  })

  it('property: a RestartCount that rose since the last scan, or a policy restart within the window, is never ready', () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const rose = f.previousRestartCount !== null && f.restartCount !== null && f.restartCount > f.previousRestartCount
        const recent = (f.restartCount ?? 0) > 0 && f.finishedAtMs !== null && NOW - f.finishedAtMs <= DEFAULT_LIFE_POLICY.crashLoopWindowMs
        if (rose || recent) expect(gatewayLife(f, DEFAULT_LIFE_POLICY, NOW).serves).toBe(false)
      }),
    )
  })
})

describe('readinessFromProbe: only a JSON body that says ready proves readiness', () => {
  const line = (o: object) => JSON.stringify(o)
  const table: [string, number | null, string, string][] = [
    ['200 {"ready":true}', 0, line({status: 200, body: '{"ready":true}'}), 'ready'],
    ['503 {"ready":false,"failing":["startup-sidecars"]}', 0, line({status: 503, body: '{"ready":false,"failing":["startup-sidecars"]}'}), 'not-ready'],
    ['catch-all 200 HTML', 0, line({status: 200, body: '<!doctype html><html>…'}), 'unknown'],
    ['200 JSON saying nothing of readiness', 0, line({status: 200, body: '{"ok":true}'}), 'unknown'],
    ['connection refused (nothing listens yet)', 3, line({error: 'ECONNREFUSED'}), 'not-ready'],
    ['the probe could not run (no node)', null, '', 'unknown'],
    ['garbage on stdout', 0, 'Segmentation fault', 'unknown'],
  ]
  it.each(table)('%s -> %s', (_n, exit, stdout, state) => {
    expect(readinessFromProbe(exit, stdout).state).toBe(state)
  })
})

describe('start refusals: each line a real gateway logs, its kind and cure', () => {
  const table: [string, string, string][] = [
    ['Gateway failed to start: OpenClaw startup migrations did not complete cleanly; run openclaw doctor --fix', 'startup-migrations-incomplete', 'doctor-fix'],
    ['Gateway failed to start: state lease heartbeat did not become ready', 'lease-heartbeat', 'wait'],
    ['startup migrations are already running for this state directory (held by pid 7)', 'startup-migrations-running', 'wait'],
    ['SQLite schema is incomplete or noncanonical; run openclaw doctor --fix', 'schema-incomplete', 'doctor-fix'],
    ['Legacy workspace setup state requires migration; run openclaw doctor --fix', 'legacy-workspace', 'doctor-fix'],
    ['Error: Agent database maintenance is in progress', 'agent-db-maintenance', 'wait'],
    ['failed to acquire gateway lock: openat2 /home/node/.openclaw/tmp: ENOSYS', 'openat2-unsupported', 'operator'],
    ['GatewayLockError: gateway already running (pid 8)', 'gateway-lock-held', 'locks'],
    ['Error: database or disk is full', 'disk-full', 'operator'],
    ['attempt to write a readonly database', 'readonly-database', 'operator'],
    ['[gateway] channel autostart suppressed by crash-loop breaker; openclaw gateway call channels.start', 'channels-suppressed', 'channels'],
    // Seen live on 2026.9.6 (a legacy cron_run_logs table in the state db): the two lines of every refused start, exit 78.
    [
      'Gateway failed to start: OpenClaw state database schema migration required (legacy-cron-run-logs) at /home/node/.openclaw/state/openclaw.sqlite; run openclaw doctor --fix to migrate it.. Stop the service with openclaw gateway stop (or its service owner), then run openclaw doctor --fix, then start it again with openclaw gateway start.',
      'maintenance-required',
      'doctor-fix',
    ],
    [
      '2026-12-04T13:40:23.553+00:00 [gateway] requires cron run history migration. Stop the service with openclaw gateway stop (or its service owner), then run openclaw doctor --fix, then start it again with openclaw gateway start.',
      'maintenance-required',
      'doctor-fix',
    ],
    // The same path for a newer database (2026.9.6 startup-maintenance.ts): its guidance is the backup, not doctor.
    [
      '[gateway] requires a newer OpenClaw build. Stop the service with openclaw gateway stop (or its service owner), then restore your pre-update backup created with openclaw backup create, then start it again with openclaw gateway start.',
      'database-newer-than-build',
      'operator',
    ],
    ['Gateway failed to start: something new', 'start-failed', 'operator'],
  ]
  it.each(table)('%s', (text, kind, cure) => {
    const r = startRefusal(`2026-12-04T10:00:00.123456789Z ${text}`)
    expect(r?.kind).toBe(kind)
    expect(r?.cure).toBe(cure)
    expect(r?.atMs).toBe(Date.parse('2026-12-04T10:00:00.123Z'))
  })
  it('ordinary lines are no refusal', () => {
    for (const l of ['[gateway] ready', '[gateway] listening on ws://0.0.0.0:18789', 'session file locked (timeout 10000ms): pid=7 /x.jsonl.lock'])
      expect(startRefusal(l)).toBeNull()
    expect(new Set(REFUSAL_KINDS).size).toBe(REFUSAL_KINDS.length)
  })
})

describe('lifeLogReader: the ready line of this start, refusals and the previous incarnation last line', () => {
  it('a ready line before this start is not readiness; the last line before it is kept', () => {
    const start = Date.parse('2026-12-04T10:00:10Z')
    const r = lifeLogReader(start)
    r.add('2026-12-04T10:00:00.000000001Z [gateway] ready')
    r.add('2026-12-04T10:00:05.000000001Z Gateway failed to start: OpenClaw startup migrations did not complete cleanly')
    r.add('2026-12-04T10:00:11.000000001Z [gateway] starting OpenClaw 2026.9.6')
    const out = r.result()
    expect(out.readyAtMs).toBeNull()
    expect(out.refusal?.kind).toBe('startup-migrations-incomplete')
    expect(out.lastLineBefore).toMatch(/startup migrations/)
    r.add('2026-12-04T10:00:40.000000001Z [gateway] ready')
    expect(r.result().readyAtMs).toBe(Date.parse('2026-12-04T10:00:40Z'))
  })
})

describe('stateMount: the container keeps its state in the configured dataDir', () => {
  const base = {
    container: 'c',
    stateDir: '/home/node/.openclaw',
    configured: '/data/oc7',
    configuredReal: '/data/oc7',
    configuredExists: true as boolean | null,
  }
  it.each([
    ['mounted where configured', {mount: {source: '/data/oc7', sourceReal: '/data/oc7', rw: true}}, null],
    ['mounted through a symlink to it', {mount: {source: '/link/oc7', sourceReal: '/data/oc7', rw: true}}, null],
    ['another dir mounted', {mount: {source: '/data/elsewhere', sourceReal: '/data/elsewhere', rw: true}}, 'other-dir'],
    ['nothing mounted at the state dir', {mount: null}, 'not-mounted'],
    ['the configured dir does not exist', {configuredExists: false, mount: {source: '/data/oc7', sourceReal: '/data/oc7', rw: true}}, 'missing-dir'],
    ['a remote host: existence unknown', {configuredExists: null, mount: {source: '/data/oc7', sourceReal: '/data/oc7', rw: true}}, null],
  ] as const)('%s', (_n, over, problem) => {
    const m = stateMount({...base, ...over})
    expect(m.problem).toBe(problem)
    expect(m.ok).toBe(problem === null)
    if (problem === 'other-dir') expect(m.why).toContain('/data/elsewhere')
    if (problem) expect(m.why).toContain('/data/oc7')
  })
})

describe('recentLockErrors: lock errors since the last good turn keep a gateway out of ok', () => {
  const at = (msAgo: number) => new Date(NOW - msAgo).toISOString()
  it.each([
    ['9 errors, the last 10 s ago', {count: 9, last: at(10_000)}, null, true],
    ['the last 3 min ago (past the 2 min window)', {count: 9, last: at(180_000)}, null, false],
    ['a good turn (fleet ping) after the last error', {count: 9, last: at(10_000)}, NOW - 5_000, false],
    ['a good turn before the last error', {count: 9, last: at(10_000)}, NOW - 20_000, true],
    ['no errors', {count: 0, last: null}, null, false],
    ['not read', null, null, false],
  ] as const)('%s', (_n, sig, good, blocks) => {
    expect(recentLockErrors(sig, NOW, DEFAULT_LIFE_POLICY.lockErrorWindowMs, good) !== null).toBe(blocks)
  })
})

describe('good turns: where fleet records the last turn it saw answer', () => {
  it('a recorded good turn reads back for the same endpoint and container only', async () => {
    const {mkdtempSync} = await import('node:fs')
    const os = await import('node:os')
    const {recordGoodTurn, lastGoodTurn} = await import('../../src/runs/good-turns.js')
    const before = process.env.FLEET_RUN_LOCK_DIR
    process.env.FLEET_RUN_LOCK_DIR = mkdtempSync(`${os.tmpdir()}/fleet-good-`)
    try {
      const inst = {docker: {host: 'unix:///var/run/docker.sock', timeoutMs: 1000}}
      expect(lastGoodTurn(inst, 'c1')).toBeNull()
      recordGoodTurn(inst, 'c1', NOW)
      expect(lastGoodTurn(inst, 'c1')).toBe(NOW)
      expect(lastGoodTurn(inst, 'c2')).toBeNull()
      expect(lastGoodTurn({docker: {host: 'tcp://127.0.0.1:2376', timeoutMs: 1000}}, 'c1')).toBeNull()
    } finally {
      if (before === undefined) delete process.env.FLEET_RUN_LOCK_DIR
      else process.env.FLEET_RUN_LOCK_DIR = before
    }
  })
})

describe('afterHeal: what heal calls serving at its end', () => {
  const life = (state: string, readiness: ReadinessEvidence['state']) =>
    ({
      state,
      why: `${state} why`,
      serves: state === 'ready',
      restartCount: 4,
      exitCode: 1,
      upMs: 1000,
      readiness: {state: readiness, source: null, detail: null},
      refusal: null,
      lastLine: null,
    }) as never
  const base = {state: 'running', health: 'healthy' as const, startedAt: null, restartCount: 4, mount: null}
  it.each([
    ['ready', 'ready', true],
    ['cured of a crash loop, ready again (status still says crash-loop for the window)', 'crash-loop', true],
    ['restarted by its policy, ready again', 'restarting', true],
    ['still starting, though it answered a turn', 'starting', false],
    ['failing: a start refusal', 'failing', false],
  ] as const)('%s', async (_n, state, serves) => {
    const {afterHeal} = await import('../../src/heal/heal.js')
    const readiness = state === 'starting' || state === 'failing' ? 'not-ready' : 'ready'
    expect(afterHeal({...base, life: life(state, readiness)}).serves).toBe(serves)
  })
  it('a container that keeps its state elsewhere is not serving, and says why', async () => {
    const {afterHeal} = await import('../../src/heal/heal.js')
    const a = afterHeal({
      ...base,
      life: life('ready', 'ready'),
      mount: {ok: false, problem: 'other-dir', configured: '/a', mounted: '/b', readOnly: false, why: 'mounts /b, not /a'},
    })
    expect(a).toMatchObject({serves: false, why: 'mounts /b, not /a'})
  })
})

describe("channels kept down by OpenClaw's crash-loop breaker (2026.9.6 line shapes)", () => {
  const hint = (p: string) => `Start a channel manually with: openclaw gateway call channels.start --params '${p}'`
  const line = (ch: string, acc?: string) =>
    `2026-12-04T06:00:01.000Z [channels/${ch}] channel autostart suppressed by crash-loop breaker; refusing automatic start for ${ch}${acc ? ` account ${acc}` : ''}. ${hint(JSON.stringify({channel: ch, ...(acc ? {accountId: acc} : {})}))}`
  it.each([
    [line('telegram'), {channel: 'telegram', accountId: null}],
    [line('telegram', 'default'), {channel: 'telegram', accountId: 'default'}],
    [line('discord', 'bot.main'), {channel: 'discord', accountId: 'bot.main'}],
    ['[gateway] gateway restart-loop breaker recovered; channel auto-start restored', 'restored'],
    ['[gateway] gateway restart-loop breaker tripped: 3 unclean boot(s) within 300000ms; suppressing channel/provider account auto-start.', null],
    ['secrets.reload requires restarting channels but channel autostart is suppressed by crash-loop breaker: telegram', null],
  ])('%s', (text, want) => expect(channelSuppression(text)).toEqual(want))

  it('this start only, each channel once, and a recovery restores them all', () => {
    const start = Date.parse('2026-12-04T06:00:00.000Z')
    const r = lifeLogReader(start)
    r.add(line('slack').replace('06:00:01', '05:59:00')) // the previous incarnation's
    r.add(line('telegram'))
    r.add(line('telegram'))
    r.add(line('telegram', 'ops'))
    expect(r.result().channelsDown).toEqual([
      {channel: 'telegram', accountId: null},
      {channel: 'telegram', accountId: 'ops'},
    ])
    r.add('2026-12-04T06:05:00.000Z [gateway] gateway restart-loop breaker recovered; channel auto-start restored')
    expect(r.result().channelsDown).toEqual([])
  })

  it('a running gateway with channels down keeps them in its life; one that is not running has none', () => {
    const f = {...facts({}), channelsDown: [{channel: 'telegram', accountId: null}]}
    expect(gatewayLife(f, DEFAULT_LIFE_POLICY, NOW).channelsDown).toHaveLength(1)
    expect(gatewayLife({...f, state: 'exited'}, DEFAULT_LIFE_POLICY, NOW).channelsDown).toEqual([])
  })
})

describe('a ready gateway and the crash-loop breaker', () => {
  const ready: ReadinessEvidence = {state: 'ready', source: 'ready-line', detail: 'ready line'}
  it('channels kept down: failing, naming them; none: ready, even after the breaker tripped', () => {
    const f = facts({readiness: ready})
    const down = gatewayLife({...f, channelsDown: [{channel: 'telegram', accountId: 'ops'}]}, DEFAULT_LIFE_POLICY, NOW)
    expect(down).toMatchObject({state: 'failing', serves: false})
    expect(down.why).toContain('telegram account ops')
    const tripped = startRefusal(
      '[gateway] gateway restart-loop breaker tripped: 3 unclean boot(s) within 300000ms; suppressing channel/provider account auto-start.',
    )
    expect(tripped?.kind).toBe('channels-suppressed')
    const noChannels = gatewayLife({...f, refusal: {...tripped!, atMs: f.startedAtMs}, channelsDown: []}, DEFAULT_LIFE_POLICY, NOW)
    expect(noChannels).toMatchObject({state: 'ready', serves: true})
  })
})

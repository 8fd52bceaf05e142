import {existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import fc from 'fast-check'
import {afterAll, describe, expect, it} from 'vitest'
import {classifyCause, lockCause, type CauseLock} from '../../src/incidents/cause.js'
import {parseEvents, parseRunDir, resolveRun, type IncidentEvent, type RunDir} from '../../src/incidents/dirs.js'
import {buildReport, sessionOfPath, summarise} from '../../src/incidents/document.js'
import {applyRetention, runsToPrune} from '../../src/incidents/retention.js'
import {renderReportMarkdown} from '../../src/report/incidents.js'
import {IncidentLog} from '../../src/incidents/log.js'
import {UsageError} from '../../src/errors.js'

const made: string[] = []
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'fleet-incidents-'))
  made.push(d)
  return d
}
afterAll(() => {
  for (const d of made) rmSync(d, {recursive: true, force: true})
})

const DAY = 86_400_000
const NOW = Date.parse('2026-12-02T12:00:00.000Z')
const nameAt = (ms: number, id: string) => `${new Date(ms).toISOString().replace(/[:.]/g, '-')}-${id}`
const runAt = (ms: number, id = ms.toString(16).slice(-8).padStart(8, '0')): RunDir => parseRunDir(nameAt(ms, id)) as RunDir

describe('lockCause: one cause per recorded verdict', () => {
  it.each<[string, CauseLock, string | null]>([
    ['dead holder', {path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['dead-pid']}, 'dead-holder'],
    ['zombie holder', {path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['zombie']}, 'dead-holder'],
    ['recycled pid', {path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['recycled-pid']}, 'dead-holder'],
    ['previous incarnation', {path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['predates-container-start']}, 'previous-incarnation'],
    ['malformed', {path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['missing-pid']}, 'malformed-lock'],
    ['invalid pid', {path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['invalid-pid']}, 'malformed-lock'],
    ['orphan exec', {path: '/s/a.jsonl.lock', verdict: 'orphan', reasons: ['agent-process', 'past-deadline']}, 'orphan-exec'],
    ['frozen gateway (hung)', {path: '/s/a.jsonl.lock', verdict: 'hung', reasons: ['hold-exceeded']}, 'frozen-gateway'],
    ['stopped holder', {path: '/s/a.jsonl.lock', verdict: 'live', reasons: ['stopped']}, 'frozen-gateway'],
    ['shared dir', {path: '/s/a.jsonl.lock', verdict: 'conflict', reasons: ['shared-sessions-dir']}, 'shared-dir'],
    [
      'stuck SQLite writer (kind recorded)',
      {path: '/a/openclaw-agent.sqlite', verdict: 'orphan', reasons: ['past-deadline'], kind: 'sqlite-writer'},
      'stuck-sqlite-writer',
    ],
    ['stuck SQLite writer (kind from the name)', {path: '/a/openclaw-agent.sqlite', verdict: 'orphan', reasons: ['client-gone']}, 'stuck-sqlite-writer'],
    ['gateway lock reuse (kind recorded)', {path: '/t/gateway.5b681173.lock', verdict: 'stale', reasons: ['dead-pid'], kind: 'gateway'}, 'gateway-lock-reuse'],
    ['gateway lock reuse (kind from the name)', {path: '/t/gateway.state.lock', verdict: 'stale', reasons: ['predates-container-start']}, 'gateway-lock-reuse'],
    ['legacy litter', {path: '/s/a.jsonl.lock', verdict: 'ignored', reasons: ['legacy-ignored', 'dead-pid']}, 'legacy-litter'],
    ['a live lock names none', {path: '/s/a.jsonl.lock', verdict: 'live', reasons: []}, null],
    ['an unknown one names none', {path: '/s/a.jsonl.lock', verdict: 'unknown', reasons: ['probe-failed']}, null],
  ])('%s', (_name, lock, cause) => {
    expect(lockCause(lock)).toBe(cause)
  })
})

describe('classifyCause: the most telling cause of the run', () => {
  const dead = {path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['dead-pid']}
  const hung = {path: '/s/b.jsonl.lock', verdict: 'hung', reasons: ['hold-exceeded']}
  const live = {path: '/s/c.jsonl.lock', verdict: 'live', reasons: []}
  it.each([
    ['one dead holder', {acted: [dead], judged: [dead, live], conflict: false, restartedAfterPing: false}, 'dead-holder', ['dead-holder']],
    [
      'a frozen gateway before a dead holder',
      {acted: [dead, hung], judged: [dead, hung], conflict: false, restartedAfterPing: false},
      'frozen-gateway',
      ['frozen-gateway', 'dead-holder'],
    ],
    ['nothing acted on: the judged locks', {acted: [], judged: [live, dead], conflict: false, restartedAfterPing: false}, 'dead-holder', ['dead-holder']],
    ['a conflict with no lock', {acted: [], judged: [live], conflict: true, restartedAfterPing: false}, 'shared-dir', ['shared-dir']],
    [
      'a restart after a failed ping, no lock',
      {acted: [], judged: [live], conflict: false, restartedAfterPing: true},
      'unresponsive-gateway',
      ['unresponsive-gateway'],
    ],
    ['nothing at all', {acted: [], judged: [], conflict: false, restartedAfterPing: false}, 'unknown', ['unknown']],
  ])('%s', (_name, input, primary, all) => {
    const c = classifyCause(input)
    expect(c.primary).toBe(primary)
    expect(c.all.map((x) => x.cause)).toEqual(all)
  })
})

describe('run dirs', () => {
  it.each([
    ['2026-12-02T01-43-59-757Z-f121d191', {runId: 'f121d191', kind: 'heal', startedMs: Date.parse('2026-12-02T01:43:59.757Z')}],
    ['2026-12-02T01-43-59-757Z-watch-0a1b2c3d', {runId: 'watch-0a1b2c3d', kind: 'watch'}],
    ['notes', null],
    ['2026-12-02T01-43-59-757Z-F121D191', null],
    ['2026-12-02T01-43-59-757Z-f121d19', null],
    ['2026-13-45T01-43-59-757Z-f121d191', null],
  ])('parseRunDir(%s)', (name, want) => {
    const r = parseRunDir(name)
    if (want === null) expect(r).toBeNull()
    else expect(r).toMatchObject(want)
  })

  const runs = [
    parseRunDir('2026-12-02T01-43-59-757Z-f121d191'),
    parseRunDir('2026-12-02T01-50-00-000Z-watch-f121d191'),
    parseRunDir('2026-12-02T02-00-00-000Z-0000aaaa'),
  ] as RunDir[]
  it('resolveRun: by dir name, run id, or 8-hex suffix; ambiguous or unknown is a UsageError', () => {
    expect(resolveRun(runs, '0000aaaa', '/d').name).toBe('2026-12-02T02-00-00-000Z-0000aaaa')
    expect(resolveRun(runs, 'watch-f121d191', '/d').kind).toBe('watch')
    expect(resolveRun(runs, '/d/2026-12-02T01-43-59-757Z-f121d191/', '/d').runId).toBe('f121d191')
    expect(() => resolveRun(runs, 'f121d191', '/d')).toThrow(/ambiguous/)
    expect(() => resolveRun(runs, 'deadbeef', '/d')).toThrow(UsageError)
    expect(() => resolveRun([], 'deadbeef', '/d')).toThrow(/holds no runs/)
  })

  it('parseEvents skips torn and foreign lines and counts them', () => {
    const r = parseEvents('{"ts":"t","event":"run-start"}\n{"ts":"t","ev\n[1]\n\n{"ts":"t","event":"lock"}\n')
    expect(r.events.map((e) => e.event)).toEqual(['run-start', 'lock'])
    expect(r.unreadable).toBe(2)
  })

  it.each([
    ['/s/abc.jsonl.lock', 'abc'],
    ['/s/sessions.json.lock', 'sessions.json'],
    ['/t/gateway.state.lock', null],
  ])('sessionOfPath(%s)', (p, s) => expect(sessionOfPath(p)).toBe(s))
})

describe('runsToPrune: kept while among the newest keepRuns or younger than keepFor', () => {
  const policy = {keepRuns: 2, keepForMs: 7 * DAY}
  const r = (days: number) => runAt(NOW - days * DAY, `0000${String(days).padStart(4, '0')}`)
  it.each([
    ['nothing old', [r(0), r(1), r(2), r(3)], []],
    ['old ones beyond the newest 2 go, oldest first', [r(0), r(10), r(20), r(30)], ['00000030', '00000020']],
    ['the newest 2 stay however old', [r(40), r(50)], []],
    ['a young run beyond the newest 2 stays', [r(0), r(1), r(2), r(30)], ['00000030']],
  ])('%s', (_name, runs, gone) => {
    expect(runsToPrune(runs, policy, NOW).map((x) => x.runId)).toEqual(gone)
  })

  it('never the current run', () => {
    const runs = [r(1), r(10), r(20)]
    expect(runsToPrune(runs, {keepRuns: 0, keepForMs: 0}, NOW, new Set([runs[2].name])).map((x) => x.runId)).toEqual(['00000010', '00000001'])
  })

  const arbRuns = fc
    .uniqueArray(fc.integer({min: 0, max: 400 * DAY}), {maxLength: 60})
    .map((ages) => ages.map((a, i) => runAt(NOW - a, i.toString(16).padStart(8, '0'))))
  const arbPolicy = fc.record({keepRuns: fc.integer({min: 0, max: 80}), keepForMs: fc.integer({min: 0, max: 400 * DAY})})

  it('property: never removes one of the newest keepRuns, one younger than keepFor, or a kept one; removes every other', () => {
    fc.assert(
      fc.property(arbRuns, arbPolicy, fc.nat(), (runs, policy, k) => {
        const keep = runs.length > 0 ? new Set([runs[k % runs.length].name]) : new Set<string>()
        const gone = new Set(runsToPrune(runs, policy, NOW, keep).map((x) => x.name))
        const newest = [...runs].sort((a, b) => b.startedMs - a.startedMs).slice(0, policy.keepRuns)
        for (const n of newest) expect(gone.has(n.name)).toBe(false)
        for (const x of runs) {
          if (NOW - x.startedMs <= policy.keepForMs) expect(gone.has(x.name)).toBe(false)
          if (keep.has(x.name)) expect(gone.has(x.name)).toBe(false)
          const protectedRun = keep.has(x.name) || NOW - x.startedMs <= policy.keepForMs || newest.includes(x)
          expect(gone.has(x.name)).toBe(!protectedRun)
        }
      }),
      {numRuns: 500},
    )
  })

  it('applyRetention removes only fleet-named run dirs; --dry-run removes none', () => {
    const base = tmp()
    const names = [nameAt(NOW - 40 * DAY, 'aaaaaaaa'), nameAt(NOW - 50 * DAY, 'watch-bbbbbbbb'), nameAt(NOW, 'cccccccc')]
    for (const n of [...names, 'notes']) mkdirSync(path.join(base, n))
    const policy = {keepRuns: 1, keepForMs: 30 * DAY}
    expect(applyRetention(base, policy, {nowMs: NOW, dryRun: true}).removed).toEqual([names[1], names[0]])
    expect(readdirSync(base)).toHaveLength(4)
    const r = applyRetention(base, policy, {nowMs: NOW})
    expect(r).toEqual({removed: [names[1], names[0]], failed: [], kept: 1})
    expect(readdirSync(base).sort()).toEqual([names[2], 'notes'])
  })
})

describe('IncidentLog: no empty incidents', () => {
  it('makes no dir until an intent; then writes what waited first, in order, with their own times', () => {
    const base = tmp()
    let t = Date.parse('2026-12-02T01:00:00.000Z')
    const log = new IncidentLog(base, 'abcd1234', {now: () => new Date((t += 1000))})
    log.write('run-start', {instances: ['oc7']})
    log.write('observed', {instance: 'oc7'})
    log.write('lock', {instance: 'oc7', path: '/s/a.jsonl.lock', content: '{"pid": 7}'})
    log.write('ping', {instance: 'oc7', ok: false})
    expect(existsSync(log.dir)).toBe(false)
    expect(log.written).toBe(false)
    log.write('intent', {instance: 'oc7', action: 'delete-lock'})
    log.write('action', {instance: 'oc7', type: 'delete-lock'})
    log.write('run-end', {})
    expect(log.written).toBe(true)
    const lines = readFileSync(log.file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines.map((l) => l.event)).toEqual(['run-start', 'observed', 'lock', 'ping', 'intent', 'action', 'run-end'])
    expect(lines.map((l) => l.ts)).toEqual([...lines.map((l) => l.ts)].sort())
    expect(lines[2].content).toBe('{"pid": 7}')
  })

  it('a run that only judged and pinged leaves nothing behind', () => {
    const base = tmp()
    const log = new IncidentLog(base, 'abcd1234')
    for (const e of ['run-start', 'observed', 'lock', 'ping', 'no-restart', 'conflict', 'run-end']) log.write(e, {})
    expect(readdirSync(base)).toEqual([])
  })

  it('a lock copy or a backup makes the dir (with the log) before it is written to', () => {
    const base = tmp()
    const log = new IncidentLog(base, 'abcd1234')
    log.write('run-start', {})
    expect(log.locksDir('oc7')).toBe(path.join(log.dir, 'locks', 'oc7'))
    expect(readFileSync(log.file, 'utf8')).toContain('"run-start"')
  })

  it('prunes past runs by the retention policy when its dir is made, never itself', () => {
    const base = tmp()
    const old = nameAt(NOW - 90 * DAY, '11111111')
    mkdirSync(path.join(base, old))
    const log = new IncidentLog(base, 'abcd1234', {retention: {keepRuns: 0, keepForMs: DAY}, now: () => new Date(NOW)})
    log.write('run-start', {})
    expect(readdirSync(base)).toEqual([old])
    log.write('intent', {})
    expect(readdirSync(base)).toEqual([path.basename(log.dir)])
  })
})

describe('buildReport: the post-incident document from the events', () => {
  const ev = (ts: string, event: string, data: Record<string, unknown> = {}): IncidentEvent => ({ts: `2026-12-02T01:${ts}Z`, run: 'f121d191', event, ...data})
  const sig = {
    count: 3,
    first: '2026-12-02T01:40:00.000Z',
    last: '2026-12-02T01:42:00.000Z',
    paths: ['/s/a.jsonl.lock'],
    bySignature: {'session-file-locked': 3, 'database-locked': 0},
  }
  const events = [
    ev('43:00.000', 'run-start', {config: '/c/fleet.yml'}),
    ev('43:00.000', 'observed', {instance: 'oc7', logSignature: sig}),
    ev('43:00.000', 'observed', {instance: 'oc8', logSignature: {...sig, count: 0, first: null, bySignature: {}}}),
    ev('43:00.001', 'lock', {instance: 'oc7', path: '/s/a.jsonl.lock', verdict: 'hung', reasons: ['hold-exceeded'], kind: 'session'}),
    ev('43:00.001', 'lock', {instance: 'oc8', path: '/s8/b.jsonl.lock', verdict: 'live', reasons: []}),
    ev('43:01.000', 'ping', {instance: 'oc7', ok: false, failure: 'lock-timeout'}),
    ev('43:01.100', 'intent', {instance: 'oc7', action: 'restart', target: 'g: svc-7'}),
    ev('43:03.100', 'action', {instance: 'oc7', at: '2026-12-02T01:43:03.100Z', type: 'restart', target: 'g: svc-7', outcome: 'done', durationMs: 2000}),
    ev('43:13.100', 'action', {instance: 'oc7', at: '2026-12-02T01:43:13.100Z', type: 'wait', target: 'c7', outcome: 'healthy', durationMs: 10000}),
    ev('43:14.000', 'intent', {instance: 'oc7', action: 'delete-lock', path: '/s/a.jsonl.lock'}),
    ev('43:14.000', 'action', {instance: 'oc7', at: '2026-12-02T01:43:14.000Z', type: 'delete-lock', target: '/s/a.jsonl.lock', outcome: 'removed'}),
    ev('43:20.000', 'ping', {instance: 'oc7', ok: true, reply: 'SPEED_OK', latencyMs: 5000}),
    ev('43:21.000', 'recurred', {instance: 'oc7', path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['dead-pid']}),
    ev('43:22.000', 'run-end', {results: [{instance: 'oc7', healed: true, restarted: true, failure: null}]}),
  ]
  const run = parseRunDir('2026-12-02T01-43-00-000Z-f121d191') as RunDir
  const r = buildReport(run, '/d/x', events)

  it('trigger, impact, detection gap', () => {
    expect(r.trigger).toEqual({at: '2026-12-02T01:40:00.000Z', instance: 'oc7', signatures: {'session-file-locked': 3}, paths: ['/s/a.jsonl.lock']})
    expect(r.detection).toEqual({firstFailureAt: '2026-12-02T01:40:00.000Z', firstObservedAt: '2026-12-02T01:43:00.000Z', gapMs: 180_000})
    expect(r.impact).toMatchObject({
      instances: ['oc7'],
      sessions: ['a'],
      failedTurnLines: 3,
      bySignature: {'session-file-locked': 3},
      to: '2026-12-02T01:43:20.000Z',
      lastedMs: 200_000,
    })
  })

  it('cause, restarts (restart + wait), recurrences, outcome', () => {
    expect(r.cause.primary).toBe('frozen-gateway')
    expect(r.restarts).toEqual([
      {
        instance: 'oc7',
        target: 'g: svc-7',
        at: '2026-12-02T01:43:03.100Z',
        outcome: 'done',
        restartMs: 2000,
        waitMs: 10000,
        waitOutcome: 'healthy',
        downMs: 12000,
      },
    ])
    expect(r.actions).toHaveLength(3)
    expect(r.recurred).toEqual([{instance: 'oc7', path: '/s/a.jsonl.lock', verdict: 'stale', reasons: ['dead-pid']}])
    expect(r.outcome).toEqual([{instance: 'oc7', healed: true, restarted: true, failure: null, notDone: []}])
    expect(r.complete).toBe(true)
    expect(summarise(r)).toMatchObject({run: 'f121d191', locksRemoved: 1, restarts: 1, cause: 'frozen-gateway', healed: true})
  })

  it('a run killed mid-way (no run-end) and a watch (no log signature) say what is missing', () => {
    const killed = buildReport(run, '/d/x', events.slice(0, 8))
    expect(killed.complete).toBe(false)
    expect(killed.outcome).toBeNull()
    expect(killed.notes.join('\n')).toContain('no run-end')
    const watch = buildReport(
      parseRunDir('2026-12-02T01-43-00-000Z-watch-0a1b2c3d') as RunDir,
      '/d/w',
      events.filter((e) => e.event !== 'observed'),
    )
    expect(watch.trigger).toBeNull()
    expect(watch.detection.gapMs).toBeNull()
    expect(watch.notes.join('\n')).toContain('no log signature')
  })

  it('Markdown: every section, values escaped, pipes kept inside their cell', () => {
    const md = renderReportMarkdown(
      buildReport(run, '/d/x', [
        ...events,
        ev('43:23.000', 'action', {instance: 'oc7', type: 'delete-lock', target: '/s/a|b\u001b[2J.lock', outcome: 'removed'}),
      ]),
    )
    for (const h of ['## Trigger', '## Impact', '## Detection gap', '## Primary cause', '## Actions', '## Restarts', '## Recurred', '## Outcome'])
      expect(md).toContain(h)
    expect(md).toContain('**frozen-gateway**')
    expect(md).toContain('/s/a\\|b\\x1b[2J.lock')
    expect(md).toContain('| 2026-12-02T01:43:03.100Z | oc7 | g: svc-7 | 2.0s | 10s | 12s | healthy |')
  })
})

describe('fleet incidents without a config (the commands in-process)', () => {
  it('list, show, report and prune read the default dir (XDG_STATE_HOME) when no config is given or found; a config given must load', async () => {
    const {fleetInProcess: runFleet} = await import('../helpers/in-process.js')
    const cwd = tmp() // no fleet config here or above
    const state = tmp()
    const env = {XDG_STATE_HOME: state, FLEET_CONFIG: undefined}
    const base = path.join(state, 'openclaw-fleet', 'incidents')
    const log = new IncidentLog(base, 'ab12cd34')
    log.write('run-start', {config: '/f.yml'})
    log.write('intent', {instance: 'oc7', action: 'delete-lock', target: '/s/a.jsonl.lock', path: '/s/a.jsonl.lock'})
    log.write('action', {instance: 'oc7', type: 'delete-lock', target: '/s/a.jsonl.lock', outcome: 'removed'})
    log.write('run-end', {results: [{instance: 'oc7', healed: true, restarted: false, failure: null, notDone: []}], interrupted: null, unreachable: null})
    const list = await runFleet(['incidents', 'list', '--json'], {cwd, env})
    expect(list.exitCode, list.stderr).toBe(0)
    expect(JSON.parse(list.stdout)).toMatchObject({dir: base, runs: [{run: 'ab12cd34', locksRemoved: 1, interrupted: null}]})
    const others = [
      ['incidents', 'show', 'ab12cd34'],
      ['incidents', 'report', 'ab12cd34'],
      ['incidents', 'prune', '--dry-run'],
    ]
    const [show, report, prune, missing] = await Promise.all([
      ...others.map((args) => runFleet(args, {cwd, env})),
      runFleet(['incidents', 'list', '--config', path.join(cwd, 'nope.yml')], {cwd, env}),
    ])
    expect(show.exitCode, show.stderr).toBe(0)
    expect(show.stdout).toContain('delete-lock')
    expect(report.exitCode, report.stderr).toBe(0)
    expect(report.stdout).toContain('# Incident ab12cd34')
    expect(prune.exitCode, prune.stderr).toBe(0)
    expect(prune.stdout).toContain(base)
    expect(missing.exitCode).toBe(2)
  })
})

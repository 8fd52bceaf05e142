// The postmortem beyond trigger and cause (contributing factors, corrective actions, timeline), what heal records for
// it (observed and probe records), the NOTES of an instance heal judged fine, and the one paused advice.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import type {Instance} from '../../src/config/model.js'
import type {IncidentEvent, RunDir} from '../../src/incidents/dirs.js'
import {parseRunDir} from '../../src/incidents/dirs.js'
import {buildReport} from '../../src/incidents/document.js'
import {CAUSE_ORDER} from '../../src/incidents/cause.js'
import {CAUSE_FIX, contributingFactors, correctiveActions, FACTOR_FIX, timeline, type FactorKind} from '../../src/incidents/postmortem.js'
import {renderReportMarkdown} from '../../src/report/incidents.js'
import {lifeCheck} from '../../src/doctor/doctor.js'
import {refusalOf, whyNotHealed, type InstanceHeal} from '../../src/heal/heal.js'
import type {PingResult} from '../../src/ping/ping.js'
import {probeLine} from '../../src/heal/probe.js'
import {observedExtras, observedRecord, probeRecord, stateFsOf} from '../../src/heal/observed.js'
import {isRemoteFs} from '../../src/doctor/io-probe.js'
import {decideRestart, observedFacts, PAUSED_ADVICE, unworkedPingDecision} from '../../src/decide/restart.js'
import {stateFsStatus, type StateFsReading} from '../../src/observe/state-fs.js'
import {instanceStatus} from '../helpers/status.js'

const ev = (ts: string, event: string, data: Record<string, unknown> = {}): IncidentEvent => ({ts: `2026-12-02T01:${ts}Z`, run: 'f121d191', event, ...data})
const observed = (instance: string, extra: Record<string, unknown> = {}) =>
  ev('43:00.000', 'observed', {
    instance,
    state: 'running',
    restartCount: 0,
    openclaw: {version: '2026.4.29', storage: 'jsonl'},
    life: {state: 'ready', why: 'ready'},
    mount: {ok: true, why: 'mounted'},
    fs: {type: 'ext4', source: '/dev/sda1', remote: false},
    warnings: [],
    ...extra,
  })

describe('contributingFactors: what fleet saw around the failure', () => {
  const kinds = (kind: 'heal' | 'watch', events: IncidentEvent[], hit = ['oc7'], gap: number | null = null) =>
    contributingFactors(kind, events, hit, gap).map((f) => f.factor)
  it.each<[string, IncidentEvent[], FactorKind[]]>([
    ['one version, a local fs, nothing else: only that no watch acted', [observed('oc7'), observed('oc8')], ['no-watch']],
    [
      'mixed OpenClaw versions across the run',
      [observed('oc7'), observed('oc8', {openclaw: {version: '2026.9.6', storage: 'sqlite'}})],
      ['mixed-versions', 'no-watch'],
    ],
    ['an unknown version', [observed('oc7', {openclaw: {version: null, storage: null}})], ['version-unknown', 'no-watch']],
    ['an older log without the reading: no version factor', [ev('43:00.000', 'observed', {instance: 'oc7'})], ['no-watch']],
    [
      'a doctor warning',
      [observed('oc7', {warnings: [{check: 'models', status: 'fail', message: 'small model', hint: 'remove it'}]})],
      ['no-watch', 'doctor-warning'],
    ],
    ['a crash loop', [observed('oc7', {life: {state: 'crash-loop', why: '3 restarts in 5m'}, restartCount: 3})], ['no-watch', 'crash-loop']],
    ['restarts before the run, no crash loop now', [observed('oc7', {restartCount: 2})], ['no-watch', 'restarts-before']],
    ['a network filesystem', [observed('oc7', {fs: {type: 'nfs4', source: 'srv:/x', remote: true}})], ['no-watch', 'remote-filesystem']],
    [
      'a storage failure class in a ping',
      [observed('oc7'), ev('43:01.000', 'ping', {instance: 'oc7', ok: false, failure: 'storage-full'})],
      ['no-watch', 'storage'],
    ],
    [
      'a storage failure class in a probe',
      [observed('oc7'), ev('43:01.000', 'probe', {instance: 'oc7', ok: false, failure: 'storage-io'})],
      ['no-watch', 'storage'],
    ],
    ['a lock timeout is no storage factor', [observed('oc7'), ev('43:01.000', 'ping', {instance: 'oc7', ok: false, failure: 'lock-timeout'})], ['no-watch']],
    ['a state mount that differs', [observed('oc7', {mount: {ok: false, why: 'mounts /other at the state dir'}})], ['no-watch', 'state-mount']],
  ])('%s', (_name, events, want) => {
    expect(kinds('heal', events)).toEqual(want)
  })

  it('per-instance factors only of the instances hit (all observed when none was); versions across all', () => {
    const events = [
      observed('oc7'),
      observed('oc8', {
        restartCount: 2,
        openclaw: {version: '2026.9.6', storage: 'sqlite'},
        warnings: [{check: 'models', status: 'fail', message: 'm', hint: null}],
      }),
    ]
    expect(kinds('heal', events, ['oc7'])).toEqual(['mixed-versions', 'no-watch'])
    expect(kinds('heal', events, [])).toEqual(['mixed-versions', 'doctor-warning', 'restarts-before'])
  })

  it('a watch acted itself: no no-watch factor; a heal says how long the failure waited', () => {
    expect(kinds('watch', [observed('oc7')])).toEqual([])
    const f = contributingFactors('heal', [observed('oc7')], ['oc7'], 180_000)
    expect(f[0]).toMatchObject({factor: 'no-watch', instances: ['oc7']})
    expect(f[0].detail).toContain('waited 3m')
  })

  it('mixed versions name every version with its instances', () => {
    const f = contributingFactors('heal', [observed('oc7'), observed('oc8', {openclaw: {version: '2026.9.6', storage: 'sqlite'}})], [], null)
    expect(f).toEqual([expect.objectContaining({factor: 'mixed-versions', instances: ['oc7', 'oc8']})])
    expect(f[0].detail).toContain('2026.4.29: oc7; 2026.9.6: oc8')
  })
})

describe('correctiveActions: the fix for each cause and factor, with its proof', () => {
  it('one per cause (primary first) and factor; owner and due left empty; a doctor warning is its own hint', () => {
    const factors = contributingFactors(
      'heal',
      [observed('oc7', {warnings: [{check: 'models', status: 'fail', message: 'm', hint: 'remove m from the fallbacks'}]})],
      ['oc7'],
      null,
    )
    const a = correctiveActions(
      [
        {cause: 'orphan-exec', locks: ['/s/a.jsonl.lock']},
        {cause: 'dead-holder', locks: []},
      ],
      factors,
      ['oc7'],
    )
    expect(a.map((x) => x.addresses)).toEqual(['orphan-exec', 'dead-holder', 'no-watch', 'doctor-warning'])
    expect(a[0]).toEqual({
      addresses: 'orphan-exec',
      instances: ['oc7'],
      action: CAUSE_FIX['orphan-exec'].action,
      signal: CAUSE_FIX['orphan-exec'].signal,
      owner: null,
      due: null,
    })
    expect(a[3]).toMatchObject({action: 'remove m from the fallbacks (fleet doctor: models)', signal: '`fleet doctor` passes its models check'})
  })

  it('the same fix for two instances is one action naming both', () => {
    const factors = contributingFactors('heal', [observed('oc7', {restartCount: 1}), observed('oc8', {restartCount: 4})], [], null)
    expect(correctiveActions([], factors, [])).toEqual([
      expect.objectContaining({addresses: 'restarts-before', instances: ['oc7', 'oc8'], action: FACTOR_FIX['restarts-before'].action}),
    ])
  })

  it('property: every cause and factor has an action and a signal', () => {
    for (const c of CAUSE_ORDER) expect(CAUSE_FIX[c].action.length * CAUSE_FIX[c].signal.length).toBeGreaterThan(0)
    fc.assert(
      fc.property(fc.subarray([...CAUSE_ORDER], {minLength: 1}), (causes) => {
        const a = correctiveActions(
          causes.map((cause) => ({cause, locks: []})),
          [],
          ['oc7'],
        )
        expect(a.map((x) => x.addresses)).toEqual(causes)
        expect(a.every((x) => x.owner === null && x.due === null && x.signal !== '')).toBe(true)
      }),
    )
  })
})

describe('timeline: the gateways’ failure lines merged with fleet’s records', () => {
  const sig = {
    count: 3,
    first: '2026-12-02T01:40:00.000Z',
    last: '2026-12-02T01:42:00.000Z',
    paths: ['/s/a.jsonl.lock'],
    bySignature: {'session-file-locked': 3},
  }
  const events = [
    ev('43:00.000', 'run-start', {instances: ['oc7', 'oc8']}),
    observed('oc7', {startedAt: '2026-12-01T09:00:00.000Z', logSignature: sig}),
    observed('oc8', {startedAt: '2026-12-01T09:00:00.000Z', logSignature: {...sig, count: 0, first: null, last: null}}),
    ev('43:00.001', 'lock', {
      instance: 'oc7',
      path: '/s/a.jsonl.lock',
      verdict: 'orphan',
      reasons: ['client-gone'],
      content: '{"pid": 26, "createdAt": "2026-12-02T01:39:50.000Z"}',
    }),
    ev('43:00.001', 'lock', {
      instance: 'oc7',
      path: '/s/b.jsonl.lock',
      verdict: 'live',
      reasons: [],
      content: '{"pid": 27, "createdAt": "2026-12-02T01:41:00.000Z"}',
    }),
    ev('43:00.002', 'probe', {
      instance: 'oc7',
      at: '2026-12-02T01:42:30.000Z',
      ok: false,
      failure: 'lock-timeout',
      durationMs: 10_000,
      restart: {restart: true, why: 'ping still fails (lock-timeout)'},
    }),
    ev('43:00.100', 'intent', {instance: 'oc7', action: 'end-holder', target: 'pid 26'}),
    ev('43:01.000', 'action', {instance: 'oc7', at: '2026-12-02T01:43:00.100Z', type: 'end-holder', target: 'pid 26', outcome: 'terminated', durationMs: 900}),
    ev('43:05.000', 'ping', {instance: 'oc7', ok: true, reply: 'SPEED_OK', latencyMs: 4000}),
    ev('43:06.000', 'run-end', {}),
  ]
  const t = timeline(events, ['oc7'])

  it('in time order: container start, lock taken, failed lines, probe, fleet, action, ping, end', () => {
    expect(t.map((x) => [x.at.slice(11, 23), x.source, x.instance])).toEqual([
      ['09:00:00.000', 'gateway', 'oc7'],
      ['01:39:50.000', 'gateway', 'oc7'],
      ['01:40:00.000', 'gateway', 'oc7'],
      ['01:42:00.000', 'gateway', 'oc7'],
      ['01:42:30.000', 'fleet', 'oc7'],
      ['01:43:00.000', 'fleet', null],
      ['01:43:00.100', 'fleet', 'oc7'],
      ['01:43:05.000', 'fleet', 'oc7'],
      ['01:43:06.000', 'fleet', null],
    ])
    expect(t[1].what).toBe('lock a.jsonl.lock taken by pid 26 (later judged orphan: client-gone)')
    expect(t[2].what).toContain('first failed-lock line in its log (3 line(s) since its start: 3 session-file-locked)')
    expect(t[4].what).toBe('probe: FAIL lock-timeout in 10s; restart rule: restart (ping still fails (lock-timeout))')
    expect(t[6].what).toBe('end-holder pid 26: terminated in 900ms')
    expect(t[7].what).toBe('ping: SPEED_OK in 4.0s')
  })

  it('leaves out live locks, intents, instances not hit (their start), bad times, and unreadable lock content', () => {
    expect(t.some((x) => x.what.includes('b.jsonl.lock') || x.what.includes('intent'))).toBe(false)
    const odd = timeline(
      [
        ev('43:00.001', 'lock', {instance: 'oc7', path: '/s/c.jsonl.lock', verdict: 'stale', reasons: ['dead-pid'], content: 'not json'}),
        {...ev('x', 'ping', {ok: true}), ts: 'nope'},
      ],
      ['oc7'],
    )
    expect(odd).toEqual([])
  })

  it('property: always sorted by time, whatever the order of the records', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(events), (subset) => {
        const times = timeline(subset, ['oc7']).map((x) => Date.parse(x.at))
        expect(times).toEqual([...times].sort((a, b) => a - b))
      }),
    )
  })
})

describe('buildReport and its Markdown follow the template', () => {
  const run = parseRunDir('2026-12-02T01-43-00-000Z-f121d191') as RunDir
  const events = [
    ev('43:00.000', 'run-start', {instances: ['oc7']}),
    observed('oc7', {
      logSignature: {count: 1, first: '2026-12-02T01:40:00.000Z', last: '2026-12-02T01:40:00.000Z', paths: [], bySignature: {'session-file-locked': 1}},
    }),
    observed('oc8', {openclaw: {version: '2026.9.6', storage: 'sqlite'}}),
    ev('43:00.001', 'lock', {
      instance: 'oc7',
      path: '/s/a.jsonl.lock',
      verdict: 'stale',
      reasons: ['dead-pid'],
      content: '{"pid": 9, "createdAt": "2026-12-02T01:39:00.000Z"}',
    }),
    ev('43:00.100', 'intent', {instance: 'oc7', action: 'delete-lock', path: '/s/a.jsonl.lock', target: '/s/a.jsonl.lock'}),
    ev('43:00.200', 'action', {instance: 'oc7', at: '2026-12-02T01:43:00.200Z', type: 'delete-lock', target: '/s/a.jsonl.lock', outcome: 'removed'}),
    ev('43:01.000', 'run-end', {results: [{instance: 'oc7', healed: true, restarted: false, failure: null}]}),
  ]
  const r = buildReport(run, '/d/x', events)

  it('the JSON carries factors, corrective actions and the timeline', () => {
    expect(r.factors.map((f) => f.factor)).toEqual(['mixed-versions', 'no-watch'])
    expect(r.corrective.map((a) => a.addresses)).toEqual(['dead-holder', 'mixed-versions', 'no-watch'])
    expect(r.timeline[0]).toMatchObject({at: '2026-12-02T01:39:00.000Z', source: 'gateway', instance: 'oc7'})
    expect(r.timeline.at(-1)).toMatchObject({source: 'fleet', what: 'fleet ended'})
  })

  it('Markdown: Contributing factors, Timeline and Corrective actions with owner and due left to fill', () => {
    const md = renderReportMarkdown(r)
    for (const h of ['## Contributing factors', '## Timeline', '## Corrective actions']) expect(md).toContain(h)
    expect(md).toContain('- **mixed-versions** (oc7, oc8): 2 OpenClaw versions')
    expect(md).toContain('| 2026-12-02T01:40:00.000Z | gateway | oc7 | first failed-lock line')
    expect(md).toContain('| ACTION | FOR | INSTANCES | PROVEN BY | OWNER | DUE |')
    expect(md).toMatch(/\| dead-holder \| oc7 \| [^|]+ \| {3}\| {3}\|/)
    expect(md.indexOf('## Contributing factors')).toBeLessThan(md.indexOf('## Timeline'))
  })
})

describe('what heal records for the postmortem', () => {
  it('observed: version, life, mount, filesystem and doctor warnings beside the container facts', () => {
    const st = instanceStatus([], {startedAt: '2026-12-01T09:00:00.000Z'})
    const warn = {check: 'models', instance: 'oc7', status: 'fail' as const, message: 'm', hint: 'h'}
    expect(observedRecord(st, {warnings: [warn]})).toMatchObject({
      instance: 'oc7',
      startedAt: '2026-12-01T09:00:00.000Z',
      openclaw: {version: st.openclaw.version},
      life: {state: 'ready'},
      mount: {ok: true},
      fs: {type: 'ext4', source: '/dev/sda1', mountPoint: '/', remote: false},
      warnings: [{check: 'models', status: 'fail', message: 'm', hint: 'h'}],
    })
    expect(observedRecord(st, undefined)).toMatchObject({fs: {type: 'ext4'}, warnings: []})
  })

  // The record names the filesystem status read (InstanceStatus.stateFs), not this host's mount table: the state dirs
  // below are not mounted here (nothing is on nfs4 at /srv/data), so a second read of /proc would name another fs.
  const observedOn = (dir: string, facts: Partial<StateFsReading> | null) => instanceStatus([], {stateFs: stateFsStatus(facts && {...reading(dir), ...facts})})
  const reading = (dir: string): StateFsReading => ({
    path: dir,
    mountPoint: null,
    fsType: null,
    source: null,
    freeBytes: 5 * 1024 ** 3,
    totalBytes: 10 * 1024 ** 3,
    readOnly: false,
    error: null,
  })
  it.each<[string, Partial<StateFsReading> | null, object | null]>([
    [
      '/srv/data/oc7',
      {fsType: 'nfs4', source: 'srv:/data', mountPoint: '/srv/data'},
      {type: 'nfs4', source: 'srv:/data', mountPoint: '/srv/data', remote: true},
    ],
    ['/home/x', {fsType: 'ext4', source: '/dev/sda1', mountPoint: '/'}, {type: 'ext4', source: '/dev/sda1', mountPoint: '/', remote: false}],
    ['/mnt/fuse/a', {fsType: 'fuse.sshfs', source: 'u@h:/', mountPoint: '/mnt/fuse'}, {type: 'fuse.sshfs', mountPoint: '/mnt/fuse', remote: true}],
    ['/srv/oc821/config', {fsType: 'tmpfs', source: 'fleet-lab-821', mountPoint: '/srv/oc821/config', freeBytes: 0}, {type: 'tmpfs', remote: false}],
    // The mount table could not be read: space only, no filesystem to name.
    ['/srv/data/oc7', {error: 'cannot read the mount table: EACCES'}, null],
    // Not read at all (remote engine, lockAccess docker, no state dir).
    ['/srv/data/oc7', null, null],
  ])('the record fs of %s observed as %j: %j', (dir, facts, fs) => {
    const st = observedOn(dir, facts)
    expect(observedRecord(st, {warnings: []}).fs).toEqual(fs === null ? null : expect.objectContaining(fs))
    expect(stateFsOf(st.stateFs)).toEqual(observedRecord(st, undefined).fs)
  })

  it('property: the record fs is the observed mount, field for field, and null exactly when none was read', () => {
    const text = fc.option(fc.string({minLength: 1, maxLength: 12}), {nil: null})
    fc.assert(
      fc.property(text, text, text, (fsType, source, mountPoint) => {
        const st = observedOn('/d', {fsType, source, mountPoint})
        const fs = observedRecord(st, undefined).fs
        if (fsType === null || mountPoint === null) expect(fs).toBeNull()
        else expect(fs).toEqual({type: fsType, source, mountPoint, remote: isRemoteFs(fsType)})
      }),
    )
  })

  it('observedExtras reads no filesystem: only the doctor warnings of local state dirs', () => {
    const inst = {id: 7, lockAccess: 'docker', dataDir: '/nonexistent/oc7'} as Instance
    expect(observedExtras([inst]).get(7)).toEqual({warnings: []})
  })

  const ping = (ok: boolean, failure: PingResult['failure']): PingResult =>
    ({
      id: 7,
      name: 'oc7',
      container: 'c',
      ok,
      failure,
      warnings: [],
      reply: ok ? 'SPEED_OK' : null,
      detail: null,
      lockPid: null,
      lockPath: null,
      latencyMs: 2000,
      p50Ms: null,
      p95Ms: null,
      attempts: [],
      path: null,
    }) as PingResult

  it('probe: class, duration and the restart rule’s answer as observed', () => {
    const st = instanceStatus([])
    expect(probeRecord({ping: ping(false, 'lock-timeout'), at: '2026-12-02T01:42:30.000Z', durationMs: 10_000}, st, false, 'needed')).toEqual({
      instance: 'oc7',
      at: '2026-12-02T01:42:30.000Z',
      ok: false,
      failure: 'lock-timeout',
      detail: null,
      durationMs: 10_000,
      restart: {restart: true, why: 'ping still fails (lock-timeout)', hint: null},
    })
    expect(probeRecord({ping: ping(false, 'auth'), at: 'x', durationMs: 1}, st, false, 'needed').restart).toMatchObject({restart: false})
    expect(probeRecord({ping: ping(true, null), at: 'x', durationMs: 1}, st, false, 'never').restart).toMatchObject({restart: false, why: '--no-restart'})
  })

  it('the probe line while and after it runs (raw: the progress view makes every line printable, test/unit/progress-view.test.ts)', () => {
    expect(probeLine({ping: ping(true, null), at: 'x', durationMs: 2100})).toBe('probe oc7: SPEED_OK (2.1s)')
    expect(probeLine({ping: {...ping(false, 'timeout'), detail: 'no answer\u001b[2J'}, at: 'x', durationMs: 18_000})).toBe(
      'probe oc7: FAIL timeout: no answer\u001b[2J (18s)',
    )
  })
})

describe('NOTES: the restart rule’s answer without --probe too', () => {
  const st = instanceStatus([])
  const rule = (failure: PingResult['failure']) => decideRestart({...observedFacts(st), pingFailure: failure, acted: false}, 'needed')
  it.each<[string, PingResult['failure'], boolean, RegExp]>([
    [
      'a curable failure, not probed: why not, and --probe',
      'timeout',
      false,
      /judged fine and not probed before the heal.*rule would now restart it: ping still fails \(timeout\).*fleet heal --probe/,
    ],
    ['a curable failure after a passing probe: heal again', 'no-reply', true, /its probe answered before the heal.*heal it again/],
    ['a failure a restart does not cure: the rule’s own answer', 'auth', false, /ping fails with auth: a restart does not cure that \(no usable credentials/],
  ])('%s', (_name, failure, probed, want) => {
    const d = unworkedPingDecision(rule(failure), probed)
    expect(d.restart).toBe(false)
    const r = {healed: false, recurred: [], steps: [], ping: {ok: false, failure, detail: null}, restartDecision: d, after: null} as unknown as InstanceHeal
    expect(whyNotHealed(r)).toMatch(want)
  })
})

describe('a paused container: one advice for doctor and heal', () => {
  it('heal’s refusal and doctor’s gateway-life hint both say docker unpause it', () => {
    const paused = instanceStatus([], {state: 'paused', life: {...instanceStatus([]).life, state: 'paused', why: 'paused', serves: false}})
    expect(refusalOf(paused, [paused], false)?.message).toContain(`(${PAUSED_ADVICE})`)
    expect(lifeCheck({name: 'oc7', id: 7} as Instance, paused.life).hint).toBe(PAUSED_ADVICE)
    expect(decideRestart({...observedFacts(paused), pingFailure: null, acted: false}, 'needed')).toMatchObject({restart: false, hint: PAUSED_ADVICE})
    expect(PAUSED_ADVICE).toMatch(/^docker unpause it/)
  })
})

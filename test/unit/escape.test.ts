import fc from 'fast-check'
import {XMLParser} from 'fast-xml-parser'
import {instanceStatus} from '../helpers/status.js'
import {noVerdicts} from '../../src/locks/types.js'
import {describe, expect, it} from 'vitest'
import {renderDoctor, doctorDocument} from '../../src/report/doctor.js'
import {renderFleet, type FleetDescription} from '../../src/report/fleet-config.js'
import type {HealDocument} from '../../src/heal/document.js'
import {renderHeal, renderPlan} from '../../src/report/heal.js'
import type {InstanceHeal} from '../../src/heal/heal.js'
import {pingJunit} from '../../src/report/junit.js'
import {pingLine, renderPingSummary, type PingDocument} from '../../src/report/ping.js'
import {renderStatus, type StatusDocument} from '../../src/report/status.js'
import {table} from '../../src/report/table.js'
import type {InstanceStatus, LockReport} from '../../src/observe/observe.js'
import type {PingResult} from '../../src/ping/ping.js'
import {printable} from '../../src/util/escape.js'

/** Characters that must never reach the terminal: C0, DEL, C1, bidi overrides/isolates/marks, U+2028/9. */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/

/** The inverse of printable(): exists only to prove that the mapping loses nothing. */
function unprintable(s: string): string {
  return s.replace(/\\(\\|n|r|t|x[0-9a-f]{2}|u[0-9a-f]{4})/g, (_m, e: string) => {
    if (e === '\\') return '\\'
    if (e === 'n') return '\n'
    if (e === 'r') return '\r'
    if (e === 't') return '\t'
    return String.fromCharCode(Number.parseInt(e.slice(1), 16))
  })
}

/** Strings dense in the troublesome characters, and in the text of the escapes themselves. */
const nasty = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      '\\',
      'x',
      'u',
      'n',
      'r',
      't',
      '1',
      'b',
      '2',
      'e',
      '0',
      '\u001b',
      '\n',
      '\r',
      '\t',
      '\b',
      '\u0000',
      '\u007f',
      '\u0085',
      '\u009b',
      '\u202e',
      '\u2066',
      '\u2069',
      '\u200f',
      '\u2028',
      '\ud800',
      '\udc00',
      'é',
      '中',
      '😀',
      '\u200d',
    ),
    fc.integer({min: 0, max: 0x2070}).map((c) => String.fromCharCode(c)),
  ),
  maxLength: 40,
})
const anything = fc.oneof(nasty, fc.string({unit: 'binary', maxLength: 40}))

describe('printable()', () => {
  it('never outputs a control, bidi override or lone surrogate', () => {
    fc.assert(
      fc.property(anything, (s) => {
        const p = printable(s)
        expect(p).not.toMatch(FORBIDDEN)
        expect(p).not.toMatch(LONE_SURROGATE)
      }),
      {numRuns: 2000},
    )
  })

  it('is injective: distinct inputs give distinct outputs (and unprintable() reverses it)', () => {
    fc.assert(
      fc.property(anything, (s) => {
        expect(unprintable(printable(s))).toBe(s)
      }),
      {numRuns: 2000},
    )
    fc.assert(
      fc.property(anything, anything, (a, b) => {
        fc.pre(a !== b)
        expect(printable(a)).not.toBe(printable(b))
      }),
      {numRuns: 2000},
    )
  })

  it('writes the usual escapes', () => {
    expect(printable('x\u001b[2J.jsonl.lock')).toBe('x\\x1b[2J.jsonl.lock')
    expect(printable('a\nb\rc\td\be\u0000f\u007f')).toBe('a\\nb\\rc\\td\\x08e\\x00f\\x7f')
    expect(printable('\u0085\u009b31m')).toBe('\\x85\\x9b31m')
    expect(printable('evil\u202etxt.lock')).toBe('evil\\u202etxt.lock')
    expect(printable('\u2066\u2067\u2068\u2069\u202a')).toBe('\\u2066\\u2067\\u2068\\u2069\\u202a')
    expect(printable('a\u2028b')).toBe('a\\u2028b')
    expect(printable('\ud800x')).toBe('\\ud800x')
  })

  it('doubles a backslash, so a file literally named x\\x1b does not print like x+ESC', () => {
    expect(printable('x\\x1b')).toBe('x\\\\x1b')
    expect(printable('x\\x1b')).not.toBe(printable('x\u001b'))
    expect(printable('C:\\dir\\file')).toBe('C:\\\\dir\\\\file')
  })

  it('leaves ordinary text and UTF-8 unchanged', () => {
    for (const s of [
      '',
      '/data/oc7/agents/main/sessions/9e051a52.jsonl.lock',
      'café déjà vu',
      '中文会话',
      '日本語のファイル',
      'emoji 😀🚀',
      'family 👨‍👩‍👧 flag 🇩🇪',
      'עברית and العربية',
      'node /app/openclaw.mjs gateway --port 18789',
      '~!@#$%^&*()_+-={}[]|:";\'<>?,./`',
    ]) {
      expect(printable(s)).toBe(s)
    }
    fc.assert(
      fc.property(fc.string({unit: 'grapheme', maxLength: 30}), (s) => {
        fc.pre(!FORBIDDEN.test(s) && !s.includes('\\'))
        expect(printable(s)).toBe(s)
      }),
    )
  })
})

const FORGED = 'a\nOC99 running ok.jsonl.lock'

describe('table()', () => {
  it('a forged-row file name renders as exactly one row', () => {
    const out = table(['INSTANCE', 'FILE', 'RESULT'], [['oc7', FORGED, 'NOT OK']])
    const lines = out.split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[1]).toBe('oc7       a\\nOC99 running ok.jsonl.lock  NOT OK')
  })

  it('no cell can inject a control and columns stay aligned', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anything, anything), {maxLength: 5}), (rows) => {
        const out = table(['A', 'B'], rows)
        expect(out.split('\n')).toHaveLength(rows.length + 1)
        expect(out.replaceAll('\n', '')).not.toMatch(FORBIDDEN)
        for (const [i, line] of out.split('\n').slice(1).entries()) expect(line.startsWith(printable(rows[i][0]))).toBe(true)
      }),
    )
  })

  it('leaves UTF-8 cells unchanged', () => {
    expect(table(['NAME', 'X'], [['中文', 'é😀']])).toBe('NAME  X\n中文    é😀')
  })
})

function lock(session: string, extra: Partial<LockReport> = {}): LockReport {
  return {
    path: `/data/oc7/agents/main/sessions/${session}.jsonl.lock`,
    containerPath: `/home/node/.openclaw/agents/main/sessions/${session}.jsonl.lock`,
    kind: 'session',
    agent: 'main',
    session,
    size: 60,
    mtime: '2026-01-01T00:00:00.000Z',
    suspicious: null,
    raw: null,
    readError: null,
    pid: 42,
    createdAt: null,
    starttime: 100,
    payloadProblems: [],
    verdict: 'orphan',
    reasons: ['pid-not-running' as LockReport['reasons'][number]],
    ageMs: 60_000,
    evidence: {
      container: 'c\u001b[2J',
      containerRunning: true,
      containerStartedAt: null,
      mountedBy: [],
      process: {pid: 42, exists: true, state: 'S', starttime: 100, cmdline: ['node', 'x\u001b]0;pwned\u0007', 'a\nOC99 ok'], isMain: false, isAgent: true},
      probeError: null,
    },
    ...extra,
  } as LockReport
}

function instance(over: Partial<InstanceStatus> = {}): InstanceStatus {
  return instanceStatus([lock('a\nOC99   main  x  -  1m  live  -  ok')], {
    group: null,
    container: 'openclaw-oc7\u001b[2J',
    service: 'gateway',
    uptimeMs: 1000,
    image: null,
    foundBy: null,
    counts: {...noVerdicts(), orphan: 1},
    worst: 'orphan',
    sharedWith: ['evil\nOC98 running ok'],
    errors: ['probe failed: \u001b[31mred\u001b[0m\r\nOC97 ok'],
    ok: false,
    ...over,
  })
}

const clean = (out: string) => {
  expect(out.replaceAll('\n', '')).not.toMatch(FORBIDDEN)
  return out.split('\n')
}

describe('renderers escape text from disk, containers and the engine', () => {
  it('status: one instance row, one lock row, one line per note', () => {
    const doc: StatusDocument = {
      instances: [instance()],
      unreachable: [],
      summary: {instances: 1, ok: 0, notOk: 1, locks: {...noVerdicts(), orphan: 1}, lockTimeoutsInLogs: 0},
      durationMs: 5,
      ok: false,
    }
    const lines = clean(renderStatus(doc, {locks: true}))
    // instance table (2) + blank + lock table (2) + blank + 2 notes + blank + summary
    expect(lines).toHaveLength(10)
    expect(lines.filter((l) => l.startsWith('OC9'))).toEqual([])
    expect(lines[1]).toContain('openclaw-oc7\\x1b[2J')
    expect(lines[4]).toContain('a\\nOC99')
    expect(lines[4]).toContain('x\\x1b]0;pwned\\x07 a\\nOC99 ok')
    expect(lines[6]).toBe('oc7: sessions dir also mounted by evil\\nOC98 running ok')
    expect(lines[7]).toBe('oc7: probe failed: \\x1b[31mred\\x1b[0m\\r\\nOC97 ok')
  })

  it('doctor: the hint is its own continuation row; a finding cannot add rows', () => {
    const doc = doctorDocument([{check: 'mounts', instance: 'oc7', status: 'fail', message: `lock ${FORGED}`, hint: 'remove \u001b[2J it'}])
    const lines = clean(renderDoctor(doc))
    expect(lines.slice(0, 3)).toEqual([
      'STATUS  CHECK   INSTANCE  FINDING',
      'FAIL    mounts  oc7       lock a\\nOC99 running ok.jsonl.lock',
      '                            fix: remove \\x1b[2J it',
    ])
  })

  it('heal: one plan line per action, escaped conflicts and incident log', () => {
    const at = '2026-01-01T00:00:00.000Z'
    const p = {
      id: 7,
      name: 'oc7',
      container: 'c\u202etxt',
      before: {state: 'running', health: 'healthy', worst: 'orphan', counts: {}},
      plan: {deleteLocks: [], endHolders: [], untouched: [], sharedWith: [], restart: null, restartIfPingFails: false},
      steps: [],
      actions: [
        {at, type: 'delete-lock', target: `/s/${FORGED}`, outcome: 'planned', detail: 'orphan: pid-not-running'},
        {
          at,
          type: 'end-holder',
          target: 'pid 9 (node\n  delete lock /etc/passwd)',
          outcome: 'planned',
          detail: 'of /s/x.lock: SIGTERM, then SIGKILL after 5000 ms',
        },
        {at, type: 'ping', target: 'c7', outcome: 'planned', if: 'only if\nOC99'},
      ],
    } as unknown as InstanceHeal
    const plan = clean(renderPlan([p]))
    expect(plan).toEqual([
      'DRY RUN: nothing will be changed. Plan:',
      'oc7 (c\\u202etxt, running):',
      '  delete lock /s/a\\nOC99 running ok.jsonl.lock (orphan: pid-not-running)',
      '  end holder pid 9 (node\\n  delete lock /etc/passwd) of /s/x.lock: SIGTERM, then SIGKILL after 5000 ms',
      '  then, only if\\nOC99:',
      '    ping c7',
    ])
    const doc = {
      runId: 'r',
      dryRun: false,
      incidentLog: '/tmp/i\u001b[2J',
      instances: [],
      summary: {instances: 0, healed: 0, failed: 0, restarted: 0, locksRemoved: 0, holdersEnded: 0, conflicts: ['shared\nOC99 healed']},
      verify: null,
      interrupted: null,
      unreachable: null,
      durationMs: 1,
      ok: true,
    } satisfies HealDocument
    const heal = clean(renderHeal(doc))
    expect(heal).toContain('conflict: shared\\nOC99 healed')
    expect(heal).toContain('incident log: /tmp/i\\x1b[2J')
  })

  const pingResult = (over: Partial<PingResult>): PingResult =>
    ({
      id: 7,
      name: 'oc7',
      container: 'c7',
      ok: false,
      failure: 'model-error',
      warnings: [],
      reply: null,
      detail: 'Error\n\u001b[2Joc8: SPEED_OK',
      lockPid: null,
      lockPath: null,
      latencyMs: 10,
      p50Ms: null,
      p95Ms: null,
      attempts: [],
      ...over,
    }) as PingResult

  it('ping: one line per instance whatever the reply or detail holds', () => {
    expect(pingLine(pingResult({}))).toBe('oc7: FAIL model-error in 10ms: Error\\n\\x1b[2Joc8: SPEED_OK')
    expect(pingLine(pingResult({ok: true, failure: null, reply: 'SPEED_OK\noc8: SPEED_OK', detail: null}))).toMatch(/^oc7: SPEED_OK\\noc8: SPEED_OK in /)
    const doc = {
      results: [pingResult({}), pingResult({failure: 'lock-timeout', lockPath: `/s/${FORGED}`, lockPid: 3})],
      summary: {instances: 2, passed: 0, failed: 2, p50Ms: null, p95Ms: null, byFailure: {}},
      durationMs: 1,
      ok: false,
    } as unknown as PingDocument
    expect(clean(renderPingSummary(doc))).toHaveLength(3)
  })

  it('config: the file name and warnings', () => {
    const d: FleetDescription = {file: '/etc/fleet\u001b[2J.yml', instances: [], groups: [], warnings: ['groups.0.envFile: missing /x\nOC99']}
    const lines = clean(renderFleet(d))
    expect(lines[0]).toBe('config: /etc/fleet\\x1b[2J.yml')
    expect(lines.at(-1)).toBe('  - groups.0.envFile: missing /x\\nOC99')
  })

  it('junit: values are escaped visibly inside the XML, the body keeps one line per part', () => {
    const xml = pingJunit([pingResult({name: 'oc7\u001b[2J', failure: 'lock-timeout', lockPath: `/s/${FORGED}`, lockPid: 3})])
    expect(xml).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
    const tc = new XMLParser({ignoreAttributes: false}).parse(xml).testsuites.testsuite.testcase
    expect(tc['@_name']).toBe('oc7\\x1b[2J (c7)')
    expect(tc.failure['#text'].split('\n')).toEqual(['Error\\n\\x1b[2Joc8: SPEED_OK', 'lock /s/a\\nOC99 running ok.jsonl.lock pid=3'])
  })
})

import fc from 'fast-check'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {loadFleet} from '../../src/config/load.js'
import {
  bootEnd,
  breakerWarning,
  composeRestartVerb,
  parseBootRows,
  readBootHistory,
  restartCallTimeoutMs,
  stopOutcome,
  stopSeconds,
  type BootRow,
} from '../../src/docker/restart-gateway.js'

const made: string[] = []
afterAll(() => {
  for (const d of made) rmSync(d, {recursive: true, force: true})
})
async function fleetWith(yaml: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-restart-'))
  made.push(dir)
  writeFileSync(path.join(dir, 'fleet.config.yml'), `instances: 7\ndataDir: d/{id}\n${yaml}`)
  return loadFleet({configPath: path.join(dir, 'fleet.config.yml'), env: {}})
}

describe('restart with the drain budget', () => {
  it('restart.stopTimeout defaults to 330 s (OpenClaw 2026.9 stop policy) and is read from the config', async () => {
    expect((await fleetWith('')).restart.stopTimeoutMs).toBe(330_000)
    expect((await fleetWith('restart:\n  stopTimeout: 6m\n')).restart.stopTimeoutMs).toBe(360_000)
  })

  it.each([
    ['zero', 'restart:\n  stopTimeout: 0\n', /restart.stopTimeout \(line 4\): expected a duration above 0/],
    ['below a second', 'restart:\n  stopTimeout: 500ms\n', /restart.stopTimeout \(line 4\): expected between 1s and 1h/],
    ['above an hour', 'restart:\n  stopTimeout: 2h\n', /restart.stopTimeout \(line 4\): expected between 1s and 1h/],
    ['not a duration', 'restart:\n  stopTimeout: soon\n', /restart.stopTimeout \(line 4\): expected a duration/],
    ['an unknown key', 'restart:\n  drain: 5m\n', /restart.drain|drain/],
  ])('a bad restart.stopTimeout is a config error: %s', async (_name, yaml, message) => {
    await expect(fleetWith(yaml)).rejects.toThrow(message)
  })

  it('compose restart gets -t in whole seconds, rounded up, before the services', () => {
    expect(composeRestartVerb(['openclaw-gateway-7'], 330_000)).toEqual(['restart', '-t', '330', 'openclaw-gateway-7'])
    expect(composeRestartVerb([], 1_500)).toEqual(['restart', '-t', '2'])
    expect(stopSeconds(1)).toBe(1)
  })

  it('property: the -t is never below the budget, and the call may last the whole stop plus a start', () => {
    fc.assert(
      fc.property(fc.integer({min: 1_000, max: 3_600_000}), fc.integer({min: 1, max: 600_000}), (stop, compose) => {
        expect(stopSeconds(stop) * 1000).toBeGreaterThanOrEqual(stop)
        expect(stopSeconds(stop) * 1000 - stop).toBeLessThan(1000)
        expect(restartCallTimeoutMs({restart: {stopTimeoutMs: stop}, compose: {command: 'auto', timeoutMs: compose}})).toBeGreaterThanOrEqual(stop + compose)
      }),
    )
  })
})

// Rows as OpenClaw 2026.9.6 wrote them in the lab (docker restart -t 330 with a turn in flight: clean_stop / stop (SIGTERM)).
const T = 1_796_354_069_151
const row = (over: Partial<BootRow>): BootRow => ({
  bootId: 'b',
  pid: 7,
  startedAtMs: T,
  completedAtMs: null,
  outcome: null,
  startupReason: null,
  reason: null,
  ...over,
})

describe('boot history', () => {
  it('parses the reader output (real row) and refuses other shapes', () => {
    const real = JSON.stringify({
      rows: [
        {
          boot_id: '064d8abe-c5a9-48b9-8121-6990556edbe0',
          pid: 7,
          started_at_ms: T,
          completed_at_ms: 1796354408780,
          outcome: 'clean_stop',
          startup_reason: null,
          reason: 'stop (SIGTERM)',
        },
      ],
    })
    expect(parseBootRows(real)).toEqual({
      rows: [
        {
          bootId: '064d8abe-c5a9-48b9-8121-6990556edbe0',
          pid: 7,
          startedAtMs: T,
          completedAtMs: 1796354408780,
          outcome: 'clean_stop',
          startupReason: null,
          reason: 'stop (SIGTERM)',
        },
      ],
      error: null,
    })
    expect(parseBootRows('{"rows":[],"error":"disk I/O error"}')).toEqual({rows: [], error: 'disk I/O error'})
    for (const bad of ['', 'nope', '[]', '{"rows":{}}', '{"rows":[{"pid":7}]}', '{"rows":[{"boot_id":"x","pid":"7","started_at_ms":1}]}'])
      expect(parseBootRows(bad), bad).toBeNull()
  })

  it.each([
    ['clean_stop', {completedAtMs: T + 1, outcome: 'clean_stop'}, false, 'clean'],
    ['planned_restart (in-process restart)', {completedAtMs: T + 1, outcome: 'planned_restart'}, false, 'clean'],
    ['forced_stop (close failed)', {completedAtMs: T + 1, outcome: 'forced_stop'}, false, 'forced'],
    ['startup_failed', {completedAtMs: T + 1, outcome: 'startup_failed'}, false, 'startup-failed'],
    ['no completion, not the running boot (SIGKILLed)', {}, false, 'unclean'],
    ['no completion, the running boot', {}, true, 'running'],
    ['safe_mode_stable', {completedAtMs: T + 1, outcome: 'safe_mode_stable'}, false, 'other'],
  ])('%s', (_name, over, current, end) => {
    expect(bootEnd(row(over), current)).toBe(end)
  })

  it('the running boot is not unclean; the last stop is the newest ended boot', () => {
    const rows = [
      row({bootId: 'old', startedAtMs: T, completedAtMs: T + 100, outcome: 'clean_stop', reason: 'stop (SIGTERM)'}),
      row({bootId: 'now', pid: 7, startedAtMs: T + 200}),
    ]
    const h = readBootHistory(rows, {nowMs: T + 300, runningPid: 7})
    expect(h.boots.map((b) => [b.bootId, b.end])).toEqual([
      ['now', 'running'],
      ['old', 'clean'],
    ])
    expect(h.lastStop).toMatchObject({bootId: 'old', end: 'clean', reason: 'stop (SIGTERM)'})
    expect(h).toMatchObject({uncleanInWindow: 0, nearBreaker: false})
    // No gateway running: the open row is a boot that never recorded its end.
    expect(readBootHistory(rows, {nowMs: T + 300, runningPid: null}).lastStop).toMatchObject({bootId: 'now', end: 'unclean'})
  })

  it("counts unclean boots in OpenClaw's 5 minute breaker window, maintenance start-ups excluded", () => {
    const now = T + 1_000_000
    const rows = [
      row({bootId: 'killed-old', startedAtMs: now - 400_000}), // outside the window
      row({bootId: 'killed-1', startedAtMs: now - 200_000}),
      row({bootId: 'failed', startedAtMs: now - 150_000, completedAtMs: now - 149_000, outcome: 'startup_failed'}),
      row({
        bootId: 'maint',
        startedAtMs: now - 120_000,
        completedAtMs: now - 119_000,
        outcome: 'startup_failed',
        startupReason: 'gateway.agent_media_migration_required',
      }),
      row({bootId: 'clean', startedAtMs: now - 100_000, completedAtMs: now - 90_000, outcome: 'clean_stop'}),
      row({bootId: 'running', pid: 8, startedAtMs: now - 50_000}),
    ]
    const h = readBootHistory(rows, {nowMs: now, runningPid: 8})
    expect(h.uncleanInWindow).toBe(2)
    expect(h.nearBreaker).toBe(true)
    expect(readBootHistory(rows.slice(0, 1), {nowMs: now, runningPid: null})).toMatchObject({uncleanInWindow: 0, nearBreaker: false})
  })
})

describe('what a restart says of the boot history (breakerWarning, stopOutcome)', () => {
  const r0 = T + 600_000
  it.each([
    [
      'a drained stop (real 2026.9.6: clean_stop, stop (SIGTERM))',
      [row({bootId: 'new', startedAtMs: r0 + 5000}), row({bootId: 'old', completedAtMs: r0 + 3000, outcome: 'clean_stop', reason: 'stop (SIGTERM)'})],
      'clean',
      /clean_stop \(stop \(SIGTERM\)\)/,
    ],
    ["Docker's 10 s SIGKILL: no completion", [row({bootId: 'new', startedAtMs: r0 + 5000}), row({bootId: 'old'})], 'unclean', /no completion recorded/],
    [
      'a failed close: forced_stop',
      [row({bootId: 'new', startedAtMs: r0 + 5000}), row({bootId: 'old', completedAtMs: r0 + 1, outcome: 'forced_stop'})],
      'forced',
      /forced_stop/,
    ],
    [
      "read before the new gateway wrote its row: the killed boot's open row (same pid 7) is the stopped one",
      [row({bootId: 'old'}), row({bootId: 'older', startedAtMs: T - 60_000, completedAtMs: T - 1000, outcome: 'clean_stop'})],
      'unclean',
      /no completion recorded/,
    ],
    ['nothing read (older version, unreadable db)', [], 'unknown', /no boot row/],
  ])('%s', (_what, rows, end, detail) => {
    const h = readBootHistory(rows, {nowMs: r0 + 10_000, runningPid: 7})
    const s = stopOutcome(h, r0)
    expect(s.end).toBe(end)
    expect(s.detail).toMatch(detail)
  })

  it('warns before a restart only when one more unclean boot trips the breaker', () => {
    const now = T + 100_000
    const open = (id: string, at: number) => row({bootId: id, startedAtMs: at, pid: 9})
    const two = readBootHistory([row({bootId: 'cur', startedAtMs: now - 1000}), open('a', now - 60_000), open('b', now - 30_000)], {nowMs: now, runningPid: 7})
    expect(breakerWarning(two)).toMatch(/^2 unclean boot\(s\) in OpenClaw's 5 min crash-loop breaker window/)
    const one = readBootHistory([row({bootId: 'cur', startedAtMs: now - 1000}), open('a', now - 60_000)], {nowMs: now, runningPid: 7})
    expect(breakerWarning(one)).toBeNull()
  })
})

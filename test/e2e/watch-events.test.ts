// fleet watch reacting to the engine and the lock dirs, against the real engine: a dead-pid lock (the exec'd holder
// SIGKILLed inside the container) is cleared a second or so after the kill, long before the next interval scan (60 s),
// because the exec's end (exec_die) names the instance and the lock is confirmed one second later; with --no-react the
// same fault waits for the interval scans. Both times go to the test output (and the issue note); no timing is asserted
// beyond "before the next interval scan", which is what proves the reaction.
import {execa, type ResultPromise} from 'execa'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {waitFor} from '../../lab/run.mjs'
import {BIN} from '../helpers/cli.js'
import {eventsIn, labDown, labUp, type Lab} from './helpers.js'

let lab: Lab
const times: Record<string, number> = {}
const running: ResultPromise[] = []

beforeAll(async () => {
  lab = await labUp(441, 4)
}, 300_000)
afterAll(async () => {
  for (const w of running) w.kill('SIGTERM')
  await Promise.allSettled(running)
  console.log(`[watch-events] fault to cleared (ms): ${JSON.stringify(times)}`)
  await labDown(lab)
}, 120_000)

const events = eventsIn

function watch(id: number, args: string[]) {
  const file = path.join(lab.root, `events-${id}-${Date.now()}.jsonl`)
  const w = execa('node', [BIN, 'watch', '--config', lab.configFile, '--no-ping', '--events', file, '--instances', String(id), ...args], {
    cwd: lab.root,
    reject: false,
  })
  running.push(w)
  return {w, file}
}

async function clearedAfterKill(id: number, args: string[]) {
  const {w, file} = watch(id, args)
  await waitFor(() => events(file).some((e) => e.event === 'scan'), {what: 'the first scan', timeoutMs: 60_000, intervalMs: 100})
  const fault = await faults.deadPid(id, {root: lab.root})
  const killedAt = Date.now()
  await waitFor(() => !existsSync(fault.hostLockPath), {what: `${fault.hostLockPath} to be cleared`, timeoutMs: 120_000, intervalMs: 50})
  const ms = Date.now() - killedAt
  w.kill('SIGTERM')
  const r = await w
  const ev = events(file)
  // From the exec's end as the engine reported it (the holder's death) to the lock-cleared event, when events were on.
  const died = ev.find((e) => e.event === 'trigger' && /^exec_die /.test(e.detail))
  const cleared = ev.find((e) => e.event === 'lock-cleared')
  const fromEvents = died && cleared ? Date.parse(cleared.ts) - Date.parse(died.ts) : null
  return {ms, fromEvents, events: ev, exitCode: r.exitCode}
}

describe('fleet watch reacts to the engine', () => {
  it('clears a dead-pid lock right after the exec ends, long before the next interval scan', async () => {
    const {ms, fromEvents, events: ev, exitCode} = await clearedAfterKill(441, ['--interval', '60s'])
    times.withEventsAfterFaultReturned = ms
    times.withEventsExecDieToCleared = fromEvents ?? -1
    expect(exitCode).toBe(0)
    // Before the second interval scan (60 s after the first): only an event can have made it happen.
    expect(ev.filter((e) => e.event === 'scan' && e.reason === 'interval')).toHaveLength(1)
    expect(ev.some((e) => e.event === 'trigger' && e.source === 'engine' && /^exec_die /.test(e.detail))).toBe(true)
    expect(ev.some((e) => e.event === 'lock-cleared')).toBe(true)
    expect(ev.filter((e) => e.event === 'scan' && e.reason === 'event').length).toBeGreaterThanOrEqual(2) // seen, then confirmed
  }, 180_000)

  it('--no-react: the same fault waits for the interval scans (seen on one, cleared on the next)', async () => {
    const {ms, events: ev} = await clearedAfterKill(442, ['--interval', '5s', '--no-react'])
    times.pollingEvery5s = ms
    expect(ev.some((e) => e.event === 'trigger')).toBe(false)
    expect(ev.filter((e) => e.event === 'scan' && e.reason === 'event')).toEqual([])
    expect(ev.some((e) => e.event === 'lock-cleared')).toBe(true)
  }, 180_000)

  // No event announces that a turn is past its deadline or that a gateway's turn has been held past maxHold: the
  // watch keeps the clock (src/locks/verdict-timing.ts) and judges the instance at that moment.
  it('ends an orphan the moment it is past its --timeout plus deadlineMargin, not at the next interval', async () => {
    const {w, file} = watch(443, ['--interval', '60s'])
    await waitFor(() => events(file).some((e) => e.event === 'scan'), {what: 'the first scan', timeoutMs: 60_000, intervalMs: 100})
    const fault = await faults.orphan(443, {root: lab.root}) // --timeout 1; the lab's deadlineMargin is 4 s
    const at = Date.now()
    await waitFor(() => events(file).some((e) => e.event === 'holder-ended'), {what: 'the orphan to be ended', timeoutMs: 50_000, intervalMs: 100})
    times.orphanEndedAfterFault = Date.now() - at
    w.kill('SIGTERM')
    await w
    const ev = events(file)
    expect(ev.filter((e) => e.event === 'scan' && e.reason === 'interval')).toHaveLength(1)
    expect(ev.find((e) => e.event === 'holder-ended')?.pid).toBe(fault.pid)
    // Not before its deadline (1 s) plus the margin (4 s): the clock, not an early guess, ended it.
    const ended = Date.parse(ev.find((e) => e.event === 'holder-ended').ts)
    expect(ended - Date.parse(fault.lock.createdAt)).toBeGreaterThanOrEqual(5000)
  }, 120_000)

  it('with --auto-restart, restarts a frozen gateway by a timed scan once its lock passes maxHold', async () => {
    const {w, file} = watch(444, ['--interval', '60s', '--auto-restart'])
    await waitFor(() => events(file).some((e) => e.event === 'scan'), {what: 'the first scan', timeoutMs: 60_000, intervalMs: 100})
    const fault = await faults.frozen(444, {root: lab.root}) // the gateway SIGSTOPped mid-turn; the lab's maxHold is 20 s
    await waitFor(() => events(file).some((e) => e.event === 'restarted' || e.event === 'restart-failed'), {
      what: 'the frozen gateway to be restarted',
      timeoutMs: 55_000,
      intervalMs: 200,
    })
    w.kill('SIGTERM')
    await w
    const ev = events(file)
    expect(ev.filter((e) => e.event === 'scan' && e.reason === 'interval')).toHaveLength(1)
    expect(ev.some((e) => e.event === 'scan' && e.reason === 'timed')).toBe(true)
    const restart = ev.find((e) => e.event === 'restart')
    expect(restart?.reason).toMatch(/hung/)
    expect(ev.some((e) => e.event === 'restarted')).toBe(true)
    const restartedAfter = Date.parse(restart.ts) - Date.parse(fault.lock.createdAt)
    times.frozenRestartAfterLock = restartedAfter
    expect(restartedAfter).toBeGreaterThanOrEqual(20_000)
  }, 150_000)
})

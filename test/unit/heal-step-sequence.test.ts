// heal's steps in order (heal/step-sequence.ts), as progress events and step records: a step runs only when its
// condition holds at its turn; after a signal only the last step (evenIfStopped) runs; a step that threw stops the
// instance's heal (its line fails); a step that ran to its end and failed (a ping that got FAIL) does not.
import {describe, expect, it} from 'vitest'
import type {ProgressEvent} from '../../src/progress-events.js'
import type {StepRecord} from '../../src/heal/heal.js'
import {runSteps, type HealStep} from '../../src/heal/step-sequence.js'

async function run(steps: HealStep[], stopped: string | null = null, dryRun = false) {
  const events: ProgressEvent[] = []
  const records: StepRecord[] = []
  const errors: unknown[] = []
  const hard = await runSteps(steps, {
    progress: (e) => events.push(e),
    parent: 'heal/7',
    instance: 'oc7',
    dryRun,
    stopped: () => stopped,
    records,
    onDone: () => undefined,
    onError: (e) => errors.push(e),
  })
  const finished = events.flatMap((e) => (e.type === 'finished' ? [`${e.outcome} ${e.title.replace(/ \(\d+ms\)$/, '')}`] : []))
  return {hard, events, records, finished, errors}
}

const ok = (name: string, detail?: string): HealStep => ({name, enabled: () => true, run: async () => detail})
const boom = (name: string): HealStep => ({
  name,
  enabled: () => true,
  run: async () => {
    throw new Error('engine gone')
  },
})

describe('heal steps in order', () => {
  it('runs the enabled steps, each started then finished under the instance, with its detail', async () => {
    const r = await run([ok('side files'), {...ok('backup'), enabled: () => false}, ok('act', '1 lock(s) removed')])
    expect(r.hard).toBe(false)
    expect(r.finished).toEqual(['ok side files', 'ok act: 1 lock(s) removed'])
    expect(r.events[0]).toEqual({type: 'started', id: 'heal/7/0', parent: 'heal/7', instance: 'oc7', title: 'side files'})
    expect(r.records.map((x) => [x.step, x.status])).toEqual([
      ['side files', 'done'],
      ['act', 'done'],
    ])
  })

  it('a step that threw stops the heal: failed, with the error, and nothing after it runs', async () => {
    const r = await run([boom('act'), ok('ping'), {...ok('result'), evenIfStopped: true}])
    expect(r.hard).toBe(true)
    expect(r.finished).toEqual(['failed act: engine gone'])
    expect(r.records).toMatchObject([{step: 'act', status: 'failed', detail: 'engine gone'}])
    expect(r.errors).toHaveLength(1)
  })

  it('a step that ran to its end and failed (a FAIL ping) is failed, never ok, and the next steps run', async () => {
    const r = await run([{...ok('ping', 'FAIL wrong-reply'), failed: () => true}, ok('re-check')])
    expect(r.hard).toBe(false)
    expect(r.finished).toEqual(['failed ping: FAIL wrong-reply', 'ok re-check'])
    expect(r.records.map((x) => x.status)).toEqual(['failed', 'done'])
  })

  it('after a signal only the last step runs; the others are skipped and say why', async () => {
    const r = await run([ok('act'), {...ok('result'), evenIfStopped: true}], 'SIGINT')
    expect(r.finished).toEqual(['skipped act: not started (interrupted by SIGINT)', 'ok result'])
    expect(r.records[0]).toMatchObject({step: 'act', status: 'skipped', detail: 'not started: interrupted by SIGINT'})
  })

  it('a dry run: a step that ran is planned, not ok', async () => {
    const r = await run([ok('restart', 'planned')], null, true)
    expect(r.finished).toEqual(['planned restart: planned'])
  })

  it('a condition is read when its turn comes (after the steps before it ran)', async () => {
    let restart = false
    const r = await run([
      {name: 'ping', enabled: () => true, run: async () => void (restart = true)},
      {name: 'restart', enabled: () => restart, run: async () => 'restarted'},
    ])
    expect(r.finished).toEqual(['ok ping', 'ok restart: restarted'])
  })
})

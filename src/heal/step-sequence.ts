/**
 * An instance's heal steps run one after the other, each reported as a progress step under the instance's and
 * recorded (StepRecord). A step runs only when its condition holds when its turn comes; after a signal a step does not
 * start (skipped), except the last one (evenIfStopped), which says the instance was not healed. A step that threw stops
 * the instance's heal there; one that ran to its end and `failed` (a ping that got FAIL) is failed and the next steps
 * still run.
 */
import {formatDuration} from '../config/duration.js'
import {errorMessage} from '../errors.js'
import type {ProgressSink} from '../progress-events.js'
import type {StepRecord} from './heal.js'

export interface HealStep {
  name: string
  enabled: () => boolean
  /** The step; what it answers is its detail (the line after its name). */
  run: () => Promise<string | void>
  evenIfStopped?: boolean
  /** Whether the step, though it ran to its end, failed (the next steps still run). */
  failed?: () => boolean
}

export interface StepSequence {
  progress: ProgressSink
  /** The instance's progress id and name. */
  parent: string
  instance: string
  dryRun: boolean
  /** The signal that interrupted the run, once one did. */
  stopped: () => string | null
  records: StepRecord[]
  /** A step ran to its end. */
  onDone: () => void
  /** A step threw this. */
  onError: (error: unknown) => void
}

/** Runs the steps; true when one threw and stopped the instance's heal (its line is then failed). */
export async function runSteps(steps: readonly HealStep[], c: StepSequence): Promise<boolean> {
  for (const [i, step] of steps.entries()) {
    if (!step.enabled()) continue
    const id = `${c.parent}/${i}`
    const failed = step.failed ?? (() => false)
    c.progress({type: 'started', id, parent: c.parent, instance: c.instance, title: step.name})
    const signal = c.stopped()
    if (signal && !step.evenIfStopped) {
      c.records.push({step: step.name, status: 'skipped', durationMs: 0, detail: `not started: interrupted by ${signal}`})
      c.progress({type: 'finished', id, outcome: 'skipped', title: `${step.name}: not started (interrupted by ${signal})`})
      continue
    }
    const t0 = Date.now()
    try {
      const detail = await step.run()
      c.records.push({step: step.name, status: failed() ? 'failed' : 'done', durationMs: Date.now() - t0, detail: detail ?? undefined})
      c.onDone()
      const outcome = failed() ? 'failed' : c.dryRun ? 'planned' : 'ok'
      c.progress({type: 'finished', id, outcome, title: `${step.name}${detail ? `: ${detail}` : ''} (${formatDuration(Date.now() - t0)})`})
    } catch (error) {
      c.onError(error)
      c.records.push({step: step.name, status: c.stopped() ? 'interrupted' : 'failed', durationMs: Date.now() - t0, detail: errorMessage(error)})
      c.progress({type: 'finished', id, outcome: 'failed', title: `${step.name}: ${errorMessage(error)} (${formatDuration(Date.now() - t0)})`})
      if (!failed()) return true
    }
  }
  return false
}

/**
 * `fleet heal --probe`: a SPEED_OK ping of every selected instance before anything is judged, to find silent gateways
 * without lock trouble too. Each probe is a line of its own while it runs (`probe oc7: ping …`), then its answer; a
 * probe that fails is ✖. The answers go to heal's plan (probeFailed) and its incident log (`probe` records).
 */
import type {Fleet, Instance} from '../config/model.js'
import {formatDuration} from '../config/duration.js'
import {errorMessage} from '../errors.js'
import {pingInstance} from '../ping/ping.js'
import type {ProbeAnswer} from './observed.js'
import type {ProgressSink} from '../progress-events.js'

/** Pure: the line of a probe once it answered (raw: the progress view makes it printable). */
export function probeLine(a: ProbeAnswer): string {
  const took = formatDuration(a.durationMs)
  const p = a.ping
  if (p.ok) return `probe ${p.name}: ${p.reply ?? 'answered'} (${took})`
  return `probe ${p.name}: FAIL ${p.failure ?? 'unknown'}${p.detail ? `: ${p.detail.slice(0, 120)}` : ''} (${took})`
}

/** Pings every instance at once, each a step of the progress; the answers in id order. */
export async function probeInstances(fleet: Fleet, instances: readonly Instance[], progress: ProgressSink): Promise<ProbeAnswer[]> {
  const id = (inst: Instance) => `probe/${inst.id}`
  const title = (inst: Instance) => `probe ${inst.name}: ping …`
  for (const inst of instances) progress({type: 'queued', id: id(inst), title: title(inst)})
  let thrown: unknown = null
  const answers = await Promise.all(
    instances.map(async (inst) => {
      progress({type: 'started', id: id(inst), title: title(inst)})
      const at = new Date()
      try {
        const ping = await pingInstance(fleet, inst)
        const a: ProbeAnswer = {ping, at: at.toISOString(), durationMs: Date.now() - at.getTime()}
        progress({type: 'finished', id: id(inst), outcome: ping.ok ? 'ok' : 'failed', title: probeLine(a)})
        return [a]
      } catch (error) {
        thrown ??= error
        progress({type: 'finished', id: id(inst), outcome: 'failed', title: errorMessage(error)})
        return []
      }
    }),
  )
  // A ping that threw (not one that answered FAIL) ends the heal as it did before the probe had its own lines.
  if (thrown !== null) throw thrown
  return answers.flat().sort((a, b) => a.ping.id - b.ping.id)
}

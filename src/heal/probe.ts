/**
 * `fleet heal --probe`: a SPEED_OK ping of every selected instance before anything is judged, to find silent gateways
 * without lock trouble too. Each probe is a line of its own while it runs (`probe oc7: ping …`), then its answer; a
 * probe that fails is ✖. The answers go to heal's plan (probeFailed) and its incident log (`probe` records).
 */
import type {Fleet, Instance} from '../config/model.js'
import {formatDuration} from '../config/duration.js'
import {printable} from '../util/escape.js'
import {pingInstance} from '../ping/ping.js'
import type {ProbeAnswer} from './observed.js'
import {progressTree, type RendererName} from '../progress.js'

/** Pure: the line of a probe once it answered. */
export function probeLine(a: ProbeAnswer): string {
  const took = formatDuration(a.durationMs)
  const p = a.ping
  if (p.ok) return `probe ${p.name}: ${p.reply ?? 'answered'} (${took})`
  return printable(`probe ${p.name}: FAIL ${p.failure ?? 'unknown'}${p.detail ? `: ${p.detail.slice(0, 120)}` : ''} (${took})`)
}

/** Pings every instance at once, each a task of the progress tree; the answers in id order. */
export async function probeInstances(fleet: Fleet, instances: readonly Instance[], renderer: RendererName): Promise<ProbeAnswer[]> {
  const answers: ProbeAnswer[] = []
  let thrown: unknown = null
  const tasks = instances.map((inst) => ({
    title: `probe ${inst.name}: ping …`,
    task: async (_c: unknown, task: {title: string}) => {
      const at = new Date()
      const ping = await pingInstance(fleet, inst).catch((error: unknown) => {
        thrown ??= error
        throw error
      })
      const a: ProbeAnswer = {ping, at: at.toISOString(), durationMs: Date.now() - at.getTime()}
      answers.push(a)
      task.title = probeLine(a)
      if (!ping.ok) throw new Error(task.title)
    },
  }))
  await progressTree(tasks, renderer, {concurrent: true, exitOnError: false, collectErrors: false, registerSignalListeners: false})
    .run()
    .catch(() => undefined)
  // A ping that threw (not one that answered FAIL) ends the heal as it did before the probe had its own lines.
  if (thrown !== null) throw thrown
  return answers.sort((a, b) => a.ping.id - b.ping.id)
}

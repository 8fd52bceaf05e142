/**
 * What makes `fleet watch` look at an instance at once instead of at its next interval scan:
 * - the engine's events (`docker events`): a container that died, started, changed health, was paused or unpaused,
 *   and `exec_die`: a process started by `docker exec` (a turn, a holder) ended: its lock may be stale now;
 * - on this disk, the lock dirs (sessions dirs, 2026.8+ gateway lock dirs): a lock file created, changed or removed.
 * Each only names the instances to judge; the judging and every decision stay the scan's. The interval scan stays
 * as the safety net for what no event announces (a holder that dies inside a long-lived process, a lost stream).
 */
import fs from 'node:fs'
import path from 'node:path'
import type {Instance} from '../config/model.js'
import {byDockerHost} from '../docker/client.js'
import {isOwnExec} from '../docker/exec.js'
import {lockKindOf} from '../locks/parse.js'
import {lockDirs} from '../observe/observe.js'

export type Trigger = (ids: number[], source: 'engine' | 'file', detail: string) => void

export interface Source {
  stop(): void
}

/** The container events that can change a verdict. */
export const ENGINE_EVENTS = ['die', 'start', 'restart', 'health_status', 'exec_die', 'pause', 'unpause', 'oom', 'destroy'] as const
/** Also followed, to know what an exec that ends was: `exec_start: <command>`. */
const EXEC_START = 'exec_start'

/**
 * Which execs' ends matter: those that ran OpenClaw (a turn, a holder: its lock may be stale now), not the image's
 * healthcheck probes (an exec every few seconds) nor fleet's own probes and pings (reacting to those would loop). Pure
 * over the `exec_start` commands seen (execID -> command).
 */
export function execMatters(execId: string | undefined, started: ReadonlyMap<string, string>, own: (id: string) => boolean): boolean {
  if (!execId || own(execId)) return false
  const cmd = started.get(execId)
  return cmd !== undefined && /(^|[\s/])(openclaw(\.mjs)?|openclaw-agent|dist\/index\.js)(\s|$)/.test(cmd)
}

interface EngineEvent {
  Type?: string
  Action?: string
  status?: string
  id?: string
  Actor?: {ID?: string; Attributes?: Record<string, string>}
}

/** The instances an engine event is about: by container name, else by compose service label. Pure. */
export function eventTargets(
  e: EngineEvent,
  instances: readonly Pick<Instance, 'id' | 'container' | 'service'>[],
  execFilter: (execId: string | undefined) => boolean = () => true,
): number[] {
  if (e.Type !== undefined && e.Type !== 'container') return []
  const action = (e.Action ?? e.status ?? '').split(':')[0]
  if (!(ENGINE_EVENTS as readonly string[]).includes(action)) return []
  if (action === 'exec_die' && !execFilter(e.Actor?.Attributes?.execID)) return []
  const attrs = e.Actor?.Attributes ?? {}
  const name = attrs.name
  const service = attrs['com.docker.compose.service']
  return instances.filter((i) => (name !== undefined && i.container === name) || (service !== undefined && i.service === service)).map((i) => i.id)
}

/** Splits a stream of newline-delimited JSON into whole objects, keeping a partial tail. Pure. */
export function splitEvents(buffer: string): {events: EngineEvent[]; rest: string} {
  const lines = buffer.split('\n')
  const rest = lines.pop() ?? ''
  const events: EngineEvent[] = []
  for (const line of lines) {
    if (line.trim() === '') continue
    try {
      events.push(JSON.parse(line) as EngineEvent)
    } catch {
      // not an event (a proxy's noise): skipped
    }
  }
  return {events, rest}
}

/** Follows each Docker host's events; a lost stream is reopened (1 s, doubling to 30 s). */
export function followEngine(instances: Instance[], trigger: Trigger, onError: (message: string) => void): Source {
  let stopped = false
  const streams = new Set<NodeJS.ReadableStream & {destroy?: () => void}>()
  for (const {handle, instances: group} of byDockerHost(instances).values()) {
    let delay = 1000
    const open = async (): Promise<void> => {
      if (stopped) return
      try {
        const stream = (await handle.docker.getEvents({filters: {type: ['container'], event: [...ENGINE_EVENTS, EXEC_START]}})) as NodeJS.ReadableStream & {
          destroy?: () => void
        }
        streams.add(stream)
        delay = 1000
        let buffer = ''
        const started = new Map<string, string>()
        const matters = (id: string | undefined) => {
          const yes = execMatters(id, started, isOwnExec)
          if (id) started.delete(id)
          return yes
        }
        stream.on('data', (chunk: Buffer) => {
          const {events, rest} = splitEvents(buffer + chunk.toString('utf8'))
          buffer = rest
          for (const e of events) {
            const action = e.Action ?? e.status ?? ''
            const execId = e.Actor?.Attributes?.execID
            if (action.startsWith(`${EXEC_START}:`) && execId) {
              started.set(execId, action.slice(EXEC_START.length + 1).trim())
              if (started.size > 5000) started.delete(started.keys().next().value as string)
              continue
            }
            const detail = `${action.split(':')[0]} ${e.Actor?.Attributes?.name ?? e.id ?? ''}`.trim()
            // An exec started before this watch: what it ran is asked of the engine (best effort: it may be gone).
            if (action === 'exec_die' && execId && !started.has(execId) && !isOwnExec(execId)) {
              void handle.docker
                .getExec(execId)
                .inspect()
                .then((x: {ProcessConfig?: {entrypoint?: string; arguments?: string[]}}) => {
                  started.set(execId, [x.ProcessConfig?.entrypoint ?? '', ...(x.ProcessConfig?.arguments ?? [])].join(' '))
                  const late = eventTargets(e, group, matters)
                  if (late.length > 0) trigger(late, 'engine', detail)
                })
                .catch(() => undefined)
              continue
            }
            const ids = eventTargets(e, group, matters)
            if (ids.length > 0) trigger(ids, 'engine', detail)
          }
        })
        const again = (why: string) => {
          streams.delete(stream)
          if (stopped) return
          onError(`engine events of ${handle.label} ${why}; reopening in ${delay / 1000} s (the interval scan goes on)`)
          setTimeout(() => void open(), delay).unref()
          delay = Math.min(delay * 2, 30_000)
        }
        stream.on('error', (error: Error) => again(`failed: ${error.message}`))
        stream.on('end', () => again('ended'))
      } catch (error) {
        if (stopped) return
        onError(`cannot follow the engine events of ${handle.label}: ${(error as Error).message}; retrying in ${delay / 1000} s`)
        setTimeout(() => void open(), delay).unref()
        delay = Math.min(delay * 2, 30_000)
      }
    }
    void open()
  }
  return {
    stop() {
      stopped = true
      for (const s of streams) s.destroy?.()
      streams.clear()
    },
  }
}

/** Watches the lock dirs of instances on this disk (inotify): a lock file that appears or changes and is still there settleMs later. */
export function followLockDirs(instances: Instance[], trigger: Trigger, onError: (message: string) => void, settleMs = 150): Source {
  const watchers: fs.FSWatcher[] = []
  // One timer per lock file: a burst of events on it (create, write, rename) is one look, settleMs after the last.
  const timers = new Map<string, NodeJS.Timeout>()
  for (const inst of instances.filter((i) => i.lockAccess === 'host')) {
    for (const d of lockDirs(inst)) {
      try {
        const w = fs.watch(d.hostDir, {persistent: false}, (_type, name) => {
          if (typeof name !== 'string' || lockKindOf(name) === null) return
          const file = path.join(d.hostDir, name)
          clearTimeout(timers.get(file))
          timers.set(
            file,
            setTimeout(() => {
              timers.delete(file)
              // A lock that came and went within the settle time was a turn that finished: nothing to judge. Every
              // turn takes and drops its lock, so judging on each event would scan the instance on every turn.
              if (fs.existsSync(file)) trigger([inst.id], 'file', `${name} in ${d.hostDir}`)
            }, settleMs).unref(),
          )
        })
        w.on('error', (error) => onError(`watching ${d.hostDir} stopped: ${error.message}`))
        watchers.push(w)
      } catch (error) {
        // A dir that does not exist yet (no session so far) has no lock to watch; the interval scan covers it.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') onError(`cannot watch ${d.hostDir}: ${(error as Error).message}`)
      }
    }
  }
  return {
    stop() {
      for (const w of watchers) w.close()
      for (const t of timers.values()) clearTimeout(t)
    },
  }
}

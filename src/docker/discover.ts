/**
 * Container discovery for the selected instances: one container listing per Docker host (covering every
 * instance on it), then an inspect of each found container for what the list does not carry
 * (StartedAt, RestartCount, health). Found by the name template, else by compose labels.
 */
import type {Instance} from '../config/model.js'
import {engineCall, type DockerHandle} from './client.js'
import {mapLimit} from '../util/concurrency.js'

export interface MountInfo {
  type: string
  source: string
  destination: string
  rw: boolean
}

export interface ContainerInfo {
  id: string
  name: string
  /** running, exited, restarting, paused, created, dead */
  state: string
  /** healthy, unhealthy, starting, or none (no healthcheck) */
  health: 'healthy' | 'unhealthy' | 'starting' | 'none'
  startedAt: string | null
  startedAtMs: number | null
  finishedAt: string | null
  restartCount: number
  /** Host pid of the container's pid 1, as the engine sees it (0 when not running). */
  pid: number
  image: string
  compose: {project?: string; service?: string; configFiles?: string; workingDir?: string}
  mounts: MountInfo[]
  /** How it was found: by name template, or by compose labels. */
  foundBy: 'name' | 'labels'
}

export interface Discovery {
  /** Instance id -> its container, or null when missing. */
  byInstance: Map<number, ContainerInfo | null>
  /** Every running container on the host with its bind mounts (for shared-sessions-dir detection). */
  running: {name: string; mounts: MountInfo[]}[]
}

const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  configFiles: 'com.docker.compose.project.config_files',
  workingDir: 'com.docker.compose.project.working_dir',
}

export async function discover(handle: DockerHandle, instances: Instance[]): Promise<Discovery> {
  const list = await engineCall(handle, 'list containers', () => handle.docker.listContainers({all: true}))
  const byName = new Map(list.map((c) => [(c.Names[0] ?? '').replace(/^\//, ''), c]))
  const running = list
    .filter((c) => c.State === 'running')
    .map((c) => ({name: (c.Names[0] ?? '').replace(/^\//, ''), mounts: (c.Mounts ?? []).map(toMount)}))
  const chosen = instances.map((inst) => {
    const named = byName.get(inst.container)
    if (named) return {inst, summary: named, foundBy: 'name' as const}
    const labelled = list.find((c) => c.Labels?.[LABEL.service] === inst.service)
    return {inst, summary: labelled, foundBy: 'labels' as const}
  })
  const infos = await mapLimit(chosen, 8, async ({inst, summary, foundBy}) => {
    if (!summary) return [inst.id, null] as const
    const info = await inspectContainer(handle, summary.Id, foundBy)
    return [inst.id, info] as const
  })
  return {byInstance: new Map(infos), running}
}

export async function inspectContainer(handle: DockerHandle, idOrName: string, foundBy: ContainerInfo['foundBy'] = 'name'): Promise<ContainerInfo | null> {
  let c
  try {
    c = await engineCall(handle, `inspect ${idOrName}`, () => handle.docker.getContainer(idOrName).inspect())
  } catch (error) {
    if ((error as {statusCode?: number}).statusCode === 404) return null
    throw error
  }
  const started = c.State.StartedAt && !c.State.StartedAt.startsWith('0001-') ? c.State.StartedAt : null
  const finished = c.State.FinishedAt && !c.State.FinishedAt.startsWith('0001-') ? c.State.FinishedAt : null
  const labels = c.Config.Labels ?? {}
  const health = (c.State as {Health?: {Status?: string}}).Health?.Status
  return {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    state: c.State.Status,
    health: health === 'healthy' || health === 'unhealthy' || health === 'starting' ? health : 'none',
    startedAt: started,
    startedAtMs: started ? Date.parse(started) : null,
    finishedAt: finished,
    restartCount: c.RestartCount ?? 0,
    pid: c.State.Pid ?? 0,
    image: c.Config.Image,
    compose: {project: labels[LABEL.project], service: labels[LABEL.service], configFiles: labels[LABEL.configFiles], workingDir: labels[LABEL.workingDir]},
    mounts: (c.Mounts ?? []).map(toMount),
    foundBy,
  }
}

function toMount(m: {Type?: string; Source?: string; Destination?: string; RW?: boolean}): MountInfo {
  return {type: m.Type ?? 'bind', source: m.Source ?? '', destination: m.Destination ?? '', rw: m.RW ?? true}
}

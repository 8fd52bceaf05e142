/**
 * Container discovery for the selected instances: one container listing per Docker host (covering every
 * instance on it), then an inspect of each found container for what the list does not carry
 * (StartedAt, RestartCount, health). Found by the name template, else by compose labels.
 */
import path from 'node:path'
import type {Group, Instance} from '../config/model.js'
import {engineCall, type DockerHandle} from './client.js'
import {mapLimit} from '../util/concurrency.js'
import {isPaused} from './container-state.js'

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
  /** When the previous incarnation ended, ms (null if never). */
  finishedAtMs?: number | null
  /** The exit code of the previous incarnation (null when it never ended). */
  exitCode?: number | null
  /** The previous incarnation was ended by the OOM killer. */
  oomKilled?: boolean
  /** Restarts by the restart policy since the last manual start (the engine resets it on docker start/restart). */
  restartCount: number
  /** Host pid of the container's pid 1, as the engine sees it (0 when not running). */
  pid: number
  image: string
  /** The image's id (sha256:…) the container was created from. */
  imageId?: string
  compose: {project?: string; service?: string; configFiles?: string; workingDir?: string}
  mounts: MountInfo[]
  /** How it was found: by name template, or by compose labels. */
  foundBy: 'name' | 'labels'
  /** Config.WorkingDir (the official image: /app, where OpenClaw's package.json is); null when unset. */
  workingDir?: string | null
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

type Summary = {Id: string; Names: string[]; State: string; Labels?: Record<string, string>}

/** The project name compose derives from a project dir when none is set: its base name, lower case, [a-z0-9_-] only. */
export const defaultProjectName = (projectDir: string): string =>
  path
    .basename(projectDir)
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')

/**
 * The container an instance's compose service label points to, when its name template misses (compose v1
 * names, a renamed project): of the containers labelled with the service, the one of the configured compose
 * group (its compose file among the config_files label, or its project dir as working_dir, else the project
 * name compose derives from that dir) first, then a running one over a stopped one. Pure.
 */
export function pickByLabels<T extends Summary>(list: readonly T[], service: string, group?: Pick<Group, 'projectDir' | 'composeFile'>): T | undefined {
  const score = (c: T): number => {
    const l = c.Labels ?? {}
    const files = (l[LABEL.configFiles] ?? '').split(',').map((f) => path.resolve(l[LABEL.workingDir] ?? '/', f))
    const ours = group !== undefined && (files.includes(group.composeFile) || l[LABEL.workingDir] === group.projectDir)
    const sameName = group !== undefined && l[LABEL.project] === defaultProjectName(group.projectDir)
    return (ours ? 4 : sameName ? 2 : 0) + (c.State === 'running' ? 1 : 0)
  }
  let best: T | undefined
  for (const c of list) if (c.Labels?.[LABEL.service] === service && (best === undefined || score(c) > score(best))) best = c
  return best
}

export async function discover(handle: DockerHandle, instances: Instance[], groups: readonly Group[] = []): Promise<Discovery> {
  const list = await engineCall(handle, 'list containers', () => handle.docker.listContainers({all: true}))
  const byName = new Map(list.map((c) => [(c.Names[0] ?? '').replace(/^\//, ''), c]))
  // Containers with processes (running or paused): each can hold locks in what it mounts.
  const running = list
    .filter((c) => c.State === 'running' || isPaused(c.State))
    .map((c) => ({name: (c.Names[0] ?? '').replace(/^\//, ''), mounts: (c.Mounts ?? []).map(toMount)}))
  const chosen = instances.map((inst) => {
    const named = byName.get(inst.container)
    if (named) return {inst, summary: named, foundBy: 'name' as const}
    const labelled = pickByLabels(
      list,
      inst.service,
      groups.find((g) => g.name === inst.group),
    )
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
    finishedAtMs: finished ? Date.parse(finished) : null,
    // The engine resets ExitCode to 0 when the container starts again: only a container that is not running has one.
    exitCode: finished && c.State.Status !== 'running' ? (c.State.ExitCode ?? null) : null,
    oomKilled: c.State.OOMKilled === true,
    restartCount: c.RestartCount ?? 0,
    pid: c.State.Pid ?? 0,
    image: c.Config.Image,
    imageId: c.Image,
    compose: {project: labels[LABEL.project], service: labels[LABEL.service], configFiles: labels[LABEL.configFiles], workingDir: labels[LABEL.workingDir]},
    mounts: (c.Mounts ?? []).map(toMount),
    foundBy,
    workingDir: c.Config.WorkingDir || null,
  }
}

function toMount(m: {Type?: string; Source?: string; Destination?: string; RW?: boolean}): MountInfo {
  return {type: m.Type ?? 'bind', source: m.Source ?? '', destination: m.Destination ?? '', rw: m.RW ?? true}
}

/**
 * The exit code of a container's last death since a time, from the engine's `die` events (a running container's
 * inspect no longer has it: the engine resets ExitCode at each start). Bounded; null when there is none or on error.
 */
export async function lastExitCode(handle: DockerHandle, id: string, sinceMs: number): Promise<number | null> {
  const filters = JSON.stringify({container: [id], event: ['die']})
  const stream = (await engineCall(handle, `events of ${id}`, () =>
    handle.docker.getEvents({since: Math.floor(sinceMs / 1000), until: Math.ceil(Date.now() / 1000), filters}),
  ).catch(() => null)) as NodeJS.ReadableStream | null
  if (!stream) return null
  const text = await new Promise<string>((resolve) => {
    let out = ''
    const timer = setTimeout(() => done(), handle.timeoutMs)
    const done = () => {
      clearTimeout(timer)
      ;(stream as unknown as {destroy?: () => void}).destroy?.()
      resolve(out)
    }
    stream.on('data', (d: Buffer) => {
      out += d.toString('utf8')
      if (out.length > 1_000_000) done()
    })
    stream.on('end', done)
    stream.on('error', done)
  })
  const codes = text
    .split('\n')
    .map((l) => {
      try {
        return Number((JSON.parse(l) as {Actor?: {Attributes?: {exitCode?: string}}}).Actor?.Attributes?.exitCode)
      } catch {
        return Number.NaN
      }
    })
    .filter((n) => Number.isInteger(n))
  return codes.at(-1) ?? null
}

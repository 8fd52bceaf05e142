/** Turns a validated raw config into the resolved Fleet: expands templates, resolves paths, checks group coverage. */
import os from 'node:os'
import path from 'node:path'
import type {RawConfig} from './schema.js'
import type {DockerTarget, Fleet, Group, Instance} from './model.js'
import {describeIds, duplicateIds, parseIdList, SelectorError} from './selector.js'

export interface ConfigIssue {
  /** Key path, e.g. ['groups', 'oc7-9', 'instances']. */
  path: (string | number)[]
  message: string
}

export class FleetBuildError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n'))
  }
}

/** heal.incidentDir when the config names none (also what `fleet incidents` reads without a config), read when asked. */
export function defaultIncidentDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'), 'openclaw-fleet', 'incidents')
}

export function buildFleet(raw: RawConfig, file: string): Fleet {
  const dir = path.dirname(file)
  const issues: ConfigIssue[] = []
  const ids = ids_(raw.instances, ['instances'], issues)
  const resolve = (p: string, base = dir) => path.resolve(base, expandHome(p))
  const certPath = (p: string | undefined) => (p ? resolve(p) : undefined)
  /** A group's Docker target: each field from the group's docker block, else the top-level one. */
  const dockerTarget = (d?: RawConfig['docker']): DockerTarget => ({
    host: d?.host ?? raw.docker.host,
    timeoutMs: d?.timeout ?? raw.docker.timeout ?? 15_000,
    certPath: certPath(d?.certPath ?? raw.docker.certPath),
    sshKey: certPath(d?.sshKey ?? raw.docker.sshKey),
    knownHosts: certPath(d?.knownHosts ?? raw.docker.knownHosts),
  })

  const groups: Group[] = []
  const owner = new Map<number, string>()
  for (const [name, g] of Object.entries(raw.groups ?? {})) {
    const gids = ids_(g.instances, ['groups', name, 'instances'], issues)
    const unknown = gids.filter((id) => !ids.includes(id))
    if (unknown.length > 0)
      issues.push({
        path: ['groups', name, 'instances'],
        message: `names instances that are not in the fleet (instances: ${raw.instances}): ${unknown.join(', ')}`,
      })
    for (const id of gids) {
      const other = owner.get(id)
      if (other) issues.push({path: ['groups', name, 'instances'], message: `instance ${id} is also in group "${other}": groups must not overlap`})
      else owner.set(id, name)
    }
    const projectDir = resolve(g.projectDir)
    groups.push({
      name,
      ids: gids,
      projectDir,
      composeFile: resolve(g.composeFile, projectDir),
      envFile: g.envFile ? resolve(g.envFile, projectDir) : undefined,
      docker: dockerTarget(g.docker),
    })
  }
  if (raw.groups) {
    const orphans = ids.filter((id) => !owner.has(id))
    if (orphans.length > 0)
      issues.push({
        path: ['groups'],
        message: `instance${orphans.length > 1 ? 's' : ''} ${orphans.join(', ')} ${orphans.length > 1 ? 'are' : 'is'} in no group: every instance needs a compose group to be restarted`,
      })
  }
  if (issues.length > 0) throw new FleetBuildError(issues)

  const defaultDocker = dockerTarget()
  const instances: Instance[] = ids.map((id) => {
    const fill = (t: string) => t.replaceAll('{id}', String(id))
    const group = groups.find((g) => g.ids.includes(id))
    const dataDir = resolve(fill(raw.dataDir))
    const docker = group?.docker ?? defaultDocker
    return {
      id,
      name: `oc${id}`,
      container: fill(raw.container),
      service: fill(raw.service),
      dataDir,
      stateDir: raw.stateDir,
      sessions: raw.agents.map((agent) => ({
        agent,
        hostDir: path.join(dataDir, 'agents', agent, 'sessions'),
        containerDir: path.posix.join(raw.stateDir, 'agents', agent, 'sessions'),
      })),
      group: group?.name,
      docker,
      lockAccess: raw.locks.access === 'auto' ? (isLocalHost(docker.host ?? process.env.DOCKER_HOST) ? 'host' : 'docker') : raw.locks.access,
    }
  })
  const names = new Map<string, number>()
  for (const i of instances) {
    if (names.has(i.container))
      issues.push({path: ['container'], message: `instances ${names.get(i.container)} and ${i.id} get the same container name "${i.container}"`})
    names.set(i.container, i.id)
  }
  if (issues.length > 0) throw new FleetBuildError(issues)

  return {
    file,
    ids,
    instances,
    groups,
    compose: {command: raw.compose.command, timeoutMs: raw.compose.timeout},
    restart: {stopTimeoutMs: raw.restart.stopTimeout},
    ping: {...raw.ping, timeoutMs: raw.ping.timeout},
    locks: {
      maxHoldMs: raw.locks.maxHold,
      orphanAfterMs: raw.locks.orphanAfter,
      deadlineMarginMs: raw.locks.deadlineMargin,
      execClients: raw.locks.execClients,
      clockSkewMs: raw.locks.clockSkew,
      malformedGraceMs: raw.locks.malformedGrace,
      probeTimeoutMs: raw.locks.probeTimeout,
      probe: raw.locks.probe,
    },
    gateway: {
      startBudgetMs: raw.gateway.startBudget,
      crashLoopWindowMs: raw.gateway.crashLoopWindow,
      crashLoopRestarts: raw.gateway.crashLoopRestarts,
      lockErrorWindowMs: raw.gateway.lockErrorWindow,
      port: raw.gateway.port,
    },
    heal: {
      waitTimeoutMs: raw.heal.waitTimeout,
      concurrency: raw.heal.concurrency,
      incidentDir: raw.heal.incidentDir ? resolve(raw.heal.incidentDir) : defaultIncidentDir(),
      termGraceMs: raw.heal.termGrace,
      incidentRetention: {keepRuns: raw.heal.incidentRetention.keepRuns, keepForMs: raw.heal.incidentRetention.keepFor},
    },
    watch: {alertRecoveryMs: raw.watch.alertRecovery},
  }
}

function ids_(value: RawConfig['instances'], keyPath: string[], issues: ConfigIssue[]): number[] {
  try {
    const ids = parseIdList(value)
    if (ids.length === 0) issues.push({path: keyPath, message: 'selects no instance'})
    const twice = duplicateIds(value)
    if (twice.length > 0) {
      const which = twice.length > 1 ? `instances ${describeIds(twice)} are` : `instance ${twice[0]} is`
      issues.push({path: keyPath, message: `${which} listed more than once (in ${JSON.stringify(value)}): name each id once`})
    }
    return ids
  } catch (error) {
    if (!(error instanceof SelectorError)) throw error
    issues.push({path: keyPath, message: error.message})
    return []
  }
}

/** A Docker host on this machine (its bind-mount sources are on this disk). */
export function isLocalHost(host: string | undefined): boolean {
  return host === undefined || host === '' || host.startsWith('unix://') || host.startsWith('/') || host.startsWith('npipe:')
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p
}

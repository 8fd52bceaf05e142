/** The `fleet config` view of a resolved fleet (JSON shape and table). */
import type {ConfigIssue} from '../config/build.js'
import type {DockerTarget, Fleet, Instance} from '../config/model.js'
import {dockerEndpoint} from '../docker/client.js'
import {errorMessage} from '../errors.js'
import {printable} from '../util/escape.js'
import {table} from './table.js'

export interface FleetDescription {
  file: string
  instances: {
    id: number
    name: string
    container: string
    service: string
    group: string | null
    projectDir: string | null
    composeFile: string | null
    envFile: string | null
    dataDir: string
    sessionsDirs: {agent: string; hostDir: string; containerDir: string}[]
    dockerHost: string
  }[]
  groups: {name: string; instances: number[]; projectDir: string; composeFile: string; envFile: string | null; dockerHost: string}[]
  warnings: string[]
}

/** The engine endpoint fleet will use for this target (DOCKER_HOST, DOCKER_CONTEXT or the local socket when the config names none). */
function endpoint(target: DockerTarget, env: NodeJS.ProcessEnv): string {
  try {
    return dockerEndpoint(target, env).host
  } catch (error) {
    // A context that cannot be read: the name as configured, and why.
    return `${target.host ?? env.DOCKER_CONTEXT ?? '?'} (${errorMessage(error)})`
  }
}

export function describeFleet(fleet: Fleet, selected: Instance[], pathIssues: ConfigIssue[], env: NodeJS.ProcessEnv = process.env): FleetDescription {
  return {
    file: fleet.file,
    instances: selected.map((i) => {
      const g = fleet.groups.find((x) => x.name === i.group)
      return {
        id: i.id,
        name: i.name,
        container: i.container,
        service: i.service,
        group: i.group ?? null,
        projectDir: g?.projectDir ?? null,
        composeFile: g?.composeFile ?? null,
        envFile: g?.envFile ?? null,
        dataDir: i.dataDir,
        sessionsDirs: i.sessions.map((s) => ({...s})),
        dockerHost: endpoint(i.docker, env),
      }
    }),
    groups: fleet.groups
      .filter((g) => g.ids.some((id) => selected.some((i) => i.id === id)))
      .map((g) => ({
        name: g.name,
        instances: g.ids,
        projectDir: g.projectDir,
        composeFile: g.composeFile,
        envFile: g.envFile ?? null,
        dockerHost: endpoint(g.docker, env),
      })),
    warnings: pathIssues.map((i) => `${i.path.join('.')}: ${i.message}`),
  }
}

export function renderFleet(d: FleetDescription): string {
  const rows = d.instances.map((i) => [
    i.name,
    i.container,
    i.group ?? '-',
    i.composeFile ?? '-',
    i.envFile ?? '-',
    i.sessionsDirs.map((s) => s.hostDir).join(', '),
    i.dockerHost,
  ])
  const out = [`config: ${printable(d.file)}`, '', table(['INSTANCE', 'CONTAINER', 'GROUP', 'COMPOSE FILE', 'ENV FILE', 'SESSIONS DIRS', 'DOCKER HOST'], rows)]
  if (d.warnings.length > 0) out.push('', 'warnings (run `fleet config --validate` before heal):', ...d.warnings.map((w) => `  - ${printable(w)}`))
  return out.join('\n')
}

/**
 * docker compose runner (execa, argv arrays only): `docker compose` (v2) or `docker-compose` (v1), per
 * compose.command or detected, with the group's env file, compose file and project name.
 */
import {execa} from 'execa'
import type {Fleet, Group} from '../config/model.js'
import {EXIT, FleetError} from '../errors.js'
import {withContext} from './client.js'

let detected: Promise<string[]> | undefined

export async function composeCommand(setting: Fleet['compose']['command']): Promise<string[]> {
  if (Array.isArray(setting)) return setting
  if (setting === 'docker compose') return ['docker', 'compose']
  if (setting === 'docker-compose') return ['docker-compose']
  detected ??= (async () => {
    const v2 = await execa('docker', ['compose', 'version'], {reject: false, timeout: 10_000})
    if (v2.exitCode === 0) return ['docker', 'compose']
    const v1 = await execa('docker-compose', ['version'], {reject: false, timeout: 10_000})
    if (v1.exitCode === 0) return ['docker-compose']
    throw new FleetError('no docker compose found: neither `docker compose` (v2) nor `docker-compose` (v1) runs', {
      exitCode: EXIT.unreachable,
      code: 'NO_COMPOSE',
      hint: 'install the compose plugin or docker-compose, or set compose.command',
    })
  })()
  return detected
}

export interface ComposeRun {
  argv: string[]
  cwd: string
  exitCode: number
  stdout: string
  stderr: string
  durationMs: number
}

/** argv for `<compose> [-p project] [--env-file E] -f F <verb> [args...]` */
export function composeArgv(cmd: string[], group: Group, verb: string[], project?: string): string[] {
  return [...cmd, ...(project ? ['-p', project] : []), ...(group.envFile ? ['--env-file', group.envFile] : []), '-f', group.composeFile, ...verb]
}

export async function runCompose(fleet: Fleet, group: Group, verb: string[], project?: string): Promise<ComposeRun> {
  const cmd = await composeCommand(fleet.compose.command)
  const argv = composeArgv(cmd, group, verb, project)
  const started = Date.now()
  const target = withContext(group.docker, process.env)
  const env: Record<string, string> = target.host ? {DOCKER_HOST: target.host} : {}
  if (target.certPath) Object.assign(env, {DOCKER_CERT_PATH: target.certPath, DOCKER_TLS_VERIFY: '1'})
  // detached: its own process group, so a Ctrl-C at the terminal reaches fleet (which finishes the restart in
  // flight) and not compose (which would stop half way, leaving the service stopped).
  const r = await execa(argv[0], argv.slice(1), {cwd: group.projectDir, reject: false, timeout: fleet.compose.timeoutMs, env, stdin: 'ignore', detached: true})
  return {argv, cwd: group.projectDir, exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr, durationMs: Date.now() - started}
}

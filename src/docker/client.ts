/**
 * dockerode clients per Docker host, with errors that say which host could not be reached (exit 3).
 */
import type Docker from 'dockerode'
import DockerClient from './dockerode.js'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import type {DockerTarget} from '../config/model.js'
import {FleetError, UnreachableError} from '../errors.js'
import {defaultKnownHosts, hostCheck, privateKey} from './ssh.js'
import {isContextName, resolveContext} from './context.js'
import {withTimeout} from '../util/concurrency.js'

export interface DockerHandle {
  docker: Docker
  /** Why the SSH host key was refused, when it was. */
  sshProblem?: () => string | null
  /** Human label for messages: the host URL, or `local`. */
  label: string
  timeoutMs: number
}

const clients = new Map<string, DockerHandle>()

/** Instances grouped by the Docker host they run on (one handle per host). */
export function byDockerHost<T extends {docker: DockerTarget}>(instances: T[]): Map<string, {handle: DockerHandle; instances: T[]}> {
  const out = new Map<string, {handle: DockerHandle; instances: T[]}>()
  for (const inst of instances) {
    const handle = dockerFor(inst.docker)
    const entry = out.get(handle.label) ?? {handle, instances: []}
    entry.instances.push(inst)
    out.set(handle.label, entry)
  }
  return out
}

export function dockerFor(given: DockerTarget, env: NodeJS.ProcessEnv = process.env): DockerHandle {
  const target = withContext(given, env)
  const host = target.host ?? env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'
  const key = `${host}|${target.timeoutMs}|${target.certPath ?? ''}|${target.sshKey ?? ''}|${target.knownHosts ?? ''}`
  let handle = clients.get(key)
  if (!handle) {
    const withCerts = target.certPath ? {...env, DOCKER_CERT_PATH: target.certPath, DOCKER_TLS_VERIFY: '1'} : env
    const opts = dockerOptions(host, target.timeoutMs, withCerts)
    let sshProblem: (() => string | null) | undefined
    if (opts.protocol === 'ssh') {
      const check = hostCheck(String(opts.host), Number(opts.port), defaultKnownHosts(target))
      sshProblem = check.problem
      ;(opts as {sshOptions?: object}).sshOptions = {
        privateKey: privateKey(target, env),
        agent: target.sshKey ? undefined : env.SSH_AUTH_SOCK,
        hostVerifier: check.verify,
        readyTimeout: target.timeoutMs,
      }
    }
    handle = {docker: new DockerClient(opts), label: host, timeoutMs: target.timeoutMs, sshProblem}
    clients.set(key, handle)
  }
  return handle
}

/** A host given as a Docker context name (or DOCKER_CONTEXT when no host is set) becomes its endpoint. */
export function withContext(target: DockerTarget, env: NodeJS.ProcessEnv): DockerTarget {
  const name = target.host !== undefined ? (isContextName(target.host) ? target.host : undefined) : env.DOCKER_HOST ? undefined : env.DOCKER_CONTEXT
  if (!name) return target
  const ctx = resolveContext(name, env)
  return {...target, host: ctx.host, certPath: target.certPath ?? ctx.certPath}
}

export function dockerOptions(host: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Docker.DockerOptions {
  if (host.startsWith('unix://')) return {socketPath: host.slice('unix://'.length), timeout: timeoutMs}
  if (host.startsWith('/')) return {socketPath: host, timeout: timeoutMs}
  let url: URL
  try {
    url = new URL(host)
  } catch {
    throw new FleetError(`invalid Docker host "${host}": expected unix:///path, tcp://host:port or ssh://user@host`, {exitCode: 2, code: 'CONFIG'})
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0') || url.port === '2376'
    const opts: Docker.DockerOptions = {host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), protocol: tls ? 'https' : 'http', timeout: timeoutMs}
    if (tls && env.DOCKER_CERT_PATH) {
      const read = (f: string) => readFileSync(path.join(env.DOCKER_CERT_PATH as string, f))
      Object.assign(opts, {ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem')})
    }
    return opts
  }
  if (url.protocol === 'ssh:') {
    // No socket `timeout` here: docker-modem's SSH streams have no setTimeout (engineCall bounds each call instead).
    return {protocol: 'ssh', host: url.hostname, port: Number(url.port || 22), username: url.username || undefined} as Docker.DockerOptions
  }
  throw new FleetError(`unsupported Docker host "${host}"`, {exitCode: 2, code: 'CONFIG'})
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ECONNRESET', 'EPIPE'])

/** True when an error means the engine itself could not be reached (not: a container is missing). */
export function isUnreachable(error: unknown): boolean {
  const e = error as {code?: string; message?: string; statusCode?: number}
  if (e?.code && UNREACHABLE_CODES.has(e.code)) return true
  return /timeout|socket hang up|connect E|Timed out|All configured authentication methods failed|Host denied|handshake/i.test(e?.message ?? '') && e?.statusCode === undefined
}

/** Wraps an engine call: connection failures become UnreachableError (exit 3) naming the host. */
export async function engineCall<T>(handle: DockerHandle, what: string, fn: () => Promise<T>, timeoutMs = handle.timeoutMs): Promise<T> {
  try {
    return await withTimeout(fn(), timeoutMs + 1000, () => Object.assign(new Error(`Timed out after ${timeoutMs} ms`), {code: 'ETIMEDOUT'}))
  } catch (error) {
    const ssh = handle.sshProblem?.()
    if (ssh) throw new UnreachableError(`Docker at ${handle.label}: ${ssh}`, {hint: 'fix known_hosts (docker.knownHosts) for this host', cause: error})
    if (isUnreachable(error)) {
      throw new UnreachableError(`Docker at ${handle.label} is unreachable (${what}): ${(error as Error).message}`, {
        hint: 'is the engine running? check DOCKER_HOST / docker.host in the config (for the lab: sudo bash lab/engine.sh)',
        cause: error,
      })
    }
    throw error
  }
}

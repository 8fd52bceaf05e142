/**
 * dockerode clients per Docker host, with errors that say which host could not be reached (exit 3).
 */
import type Docker from 'dockerode'
import DockerClient from './dockerode.js'
import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type {DockerTarget} from '../config/model.js'
import {ConfigError, UnreachableError} from '../errors.js'
import {defaultKnownHosts, hostCheck, privateKey, sshTransport} from './ssh.js'
import {isContextName, resolveContext} from './context.js'
import {withTimeout} from '../util/concurrency.js'

export interface DockerHandle {
  docker: Docker
  /** Why the SSH host key was refused, when it was. */
  sshProblem?: () => string | null
  /** Human label for messages: the host URL, or `local`. */
  label: string
  timeoutMs: number
  /** Ends the handle's connections (its SSH connection); a later call opens them again. */
  close?: () => void
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

/** The engine's local socket, used when neither the config, DOCKER_HOST nor DOCKER_CONTEXT names another. */
export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock'

/** The endpoint a target resolves to: its host (a context name resolved), else DOCKER_HOST, DOCKER_CONTEXT, the local socket. */
export function dockerEndpoint(given: DockerTarget, env: NodeJS.ProcessEnv = process.env): {target: DockerTarget; host: string} {
  const target = withContext(given, env)
  return {target, host: target.host ?? env.DOCKER_HOST ?? DEFAULT_DOCKER_HOST}
}

export function dockerFor(given: DockerTarget, env: NodeJS.ProcessEnv = process.env): DockerHandle {
  const {target, host} = dockerEndpoint(given, env)
  const key = `${host}|${target.timeoutMs}|${target.certPath ?? ''}|${target.sshKey ?? ''}|${target.knownHosts ?? ''}`
  let handle = clients.get(key)
  if (!handle) {
    const withCerts = target.certPath ? {...env, DOCKER_CERT_PATH: target.certPath, DOCKER_TLS_VERIFY: '1'} : env
    const opts = dockerOptions(host, target.timeoutMs, withCerts)
    let sshProblem: (() => string | null) | undefined
    let close: (() => void) | undefined
    const ssh = sshEndpoint(host)
    if (ssh) {
      const check = hostCheck(ssh.host, ssh.port, defaultKnownHosts(target))
      sshProblem = check.problem
      const transport = sshTransport(
        {
          host: ssh.host,
          port: ssh.port,
          username: ssh.username ?? os.userInfo().username,
          privateKey: privateKey(target, env),
          agent: target.sshKey ? undefined : env.SSH_AUTH_SOCK,
          hostVerifier: check.verify,
        },
        {timeoutMs: target.timeoutMs},
      )
      ;(opts as {agent?: unknown}).agent = transport.agent
      close = transport.close
    }
    handle = {docker: new DockerClient(opts), label: host, timeoutMs: target.timeoutMs, sshProblem, close}
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
    throw new ConfigError(`invalid Docker host "${host}": expected unix:///path, tcp://host:port or ssh://user@host`)
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls =
      url.protocol === 'https:' || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0') || url.port === '2376'
    const opts: Docker.DockerOptions = {host: url.hostname, port: Number(url.port || (tls ? 2376 : 2375)), protocol: tls ? 'https' : 'http', timeout: timeoutMs}
    if (tls && env.DOCKER_CERT_PATH) {
      const read = (f: string) => readFileSync(path.join(env.DOCKER_CERT_PATH as string, f))
      Object.assign(opts, {ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem')})
    }
    return opts
  }
  if (url.protocol === 'ssh:') {
    // HTTP over `docker system dial-stdio` on the host: dockerFor gives these options the SSH transport as their
    // agent (ssh.ts). The URL the modem builds is then http://host:port/..., a valid one (the engine ignores it).
    const ssh = sshEndpoint(host) as SshEndpoint
    return {protocol: 'http', host: ssh.host.includes(':') ? 'localhost' : ssh.host, port: ssh.port, timeout: timeoutMs}
  }
  throw new ConfigError(`unsupported Docker host "${host}"`)
}

export interface SshEndpoint {
  host: string
  port: number
  username?: string
}

/** Pure: the SSH endpoint of an ssh:// Docker host (IPv6 literals without brackets), null for other hosts. */
export function sshEndpoint(host: string): SshEndpoint | null {
  if (!host.startsWith('ssh://')) return null
  let url: URL
  try {
    url = new URL(host)
  } catch {
    throw new ConfigError(`invalid Docker host "${host}": expected ssh://[user@]host[:port]`)
  }
  const name = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!name) throw new ConfigError(`invalid Docker host "${host}": no host name`)
  return {host: name, port: Number(url.port || 22), ...(url.username ? {username: decodeURIComponent(url.username)} : {})}
}

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'ECONNRESET', 'EPIPE'])

/** True when an error means the engine itself could not be reached (not: a container is missing). */
export function isUnreachable(error: unknown): boolean {
  const e = error as {code?: string; message?: string; statusCode?: number}
  if (e?.code && UNREACHABLE_CODES.has(e.code)) return true
  return (
    /timeout|socket hang up|connect E|Timed out|All configured authentication methods failed|Host denied|handshake/i.test(e?.message ?? '') &&
    e?.statusCode === undefined
  )
}

/** Wraps an engine call: connection failures become UnreachableError (exit 3) naming the host. */
export async function engineCall<T>(handle: DockerHandle, what: string, fn: () => Promise<T>, timeoutMs = handle.timeoutMs): Promise<T> {
  let call: Promise<T> | undefined
  let late = false
  try {
    call = fn()
    return await withTimeout(call, timeoutMs + 1000, () => {
      late = true
      return Object.assign(new Error(`Timed out after ${timeoutMs} ms`), {code: 'ETIMEDOUT'})
    })
  } catch (error) {
    // A stream (an exec's attach, an archive) that arrives after its call was given up is read by no one: left
    // open, its connection would never end and the process never exit.
    if (late) void call?.then(discard, () => undefined)
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

function discard(value: unknown): void {
  const v = value as {destroy?: () => void} | null
  if (v && typeof v.destroy === 'function') v.destroy()
}

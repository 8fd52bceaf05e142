/**
 * Docker context names resolved as the docker CLI resolves them: the context's meta.json under
 * $DOCKER_CONFIG/contexts/meta/<sha256(name)>/ gives Endpoints.docker.Host; its TLS files, when any, are in
 * contexts/tls/<sha256(name)>/docker/ (ca.pem, cert.pem, key.pem). `default` is DOCKER_HOST or the local socket.
 */
import {createHash} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {ConfigError} from '../errors.js'

export interface ResolvedContext {
  name: string
  host: string
  certPath?: string
  skipTlsVerify: boolean
}

/** A host setting that is a context name rather than a URL or a socket path. */
export function isContextName(host: string): boolean {
  return !host.includes('://') && !host.startsWith('/')
}

export function resolveContext(name: string, env: NodeJS.ProcessEnv = process.env): ResolvedContext {
  const configDir = env.DOCKER_CONFIG ?? path.join(os.homedir(), '.docker')
  if (name === 'default') return {name, host: env.DOCKER_HOST ?? 'unix:///var/run/docker.sock', skipTlsVerify: false}
  const id = createHash('sha256').update(name).digest('hex')
  const meta = path.join(configDir, 'contexts', 'meta', id, 'meta.json')
  if (!existsSync(meta)) {
    throw new ConfigError(
      `Docker context "${name}" not found (no ${meta})`,
      'list contexts with `docker context ls`, or give the host as unix://, tcp:// or ssh://',
    )
  }
  let doc: {Endpoints?: {docker?: {Host?: string; SkipTLSVerify?: boolean}}}
  try {
    doc = JSON.parse(readFileSync(meta, 'utf8'))
  } catch (error) {
    throw new ConfigError(`Docker context "${name}": cannot parse ${meta}: ${(error as Error).message}`)
  }
  const host = doc.Endpoints?.docker?.Host
  if (!host) throw new ConfigError(`Docker context "${name}" has no docker endpoint host in ${meta}`)
  const tls = path.join(configDir, 'contexts', 'tls', id, 'docker')
  return {name, host, certPath: existsSync(path.join(tls, 'ca.pem')) ? tls : undefined, skipTlsVerify: doc.Endpoints?.docker?.SkipTLSVerify === true}
}

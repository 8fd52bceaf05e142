/**
 * SSH to Docker hosts (ssh://user@host[:port]): the key from docker.sshKey, else the SSH agent, else
 * ~/.ssh/id_ed25519 / id_ecdsa / id_rsa; the host key checked against known_hosts (plain or hashed
 * entries). An unknown host or a changed key is refused at once, never prompted for and never hung on.
 */
import {createHmac} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export interface SshSettings {
  sshKey?: string
  knownHosts?: string
}

export interface HostCheck {
  /** For ssh2's hostVerifier: true when the presented key is known for this host. */
  verify: (key: Buffer) => boolean
  /** Why the last check refused, for the error message. */
  problem: () => string | null
}

/** The names known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsNames(host: string, port: number): string[] {
  return port === 22 ? [host] : [`[${host}]:${port}`]
}

function fieldMatches(field: string, names: string[]): boolean {
  if (field.startsWith('|1|')) {
    const [, , salt, hash] = field.split('|')
    return names.some((n) => createHmac('sha1', Buffer.from(salt, 'base64')).update(n).digest('base64') === hash)
  }
  return field.split(',').some((h) => names.includes(h))
}

/** Keys (base64 blobs) known_hosts lists for these names; revoked entries excluded. */
export function knownKeys(text: string, names: string[]): {type: string; key: string}[] {
  const out: {type: string; key: string}[] = []
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (!line || line.startsWith('#')) continue
    const parts = line.split(/\s+/)
    if (parts[0].startsWith('@')) {
      if (parts[0] === '@revoked' || parts[0] === '@cert-authority') continue
      parts.shift()
    }
    const [hosts, type, key] = parts
    if (hosts && type && key && fieldMatches(hosts, names)) out.push({type, key})
  }
  return out
}

export function hostCheck(host: string, port: number, knownHostsFile: string): HostCheck {
  let problem: string | null = null
  return {
    problem: () => problem,
    verify: (key: Buffer) => {
      const names = knownHostsNames(host, port)
      const known = existsSync(knownHostsFile) ? knownKeys(readFileSync(knownHostsFile, 'utf8'), names) : []
      const presented = key.toString('base64')
      if (known.length === 0) {
        problem = `unknown SSH host ${names[0]}: no entry in ${knownHostsFile} (add it with: ssh-keyscan -p ${port} ${host} >> ${knownHostsFile}, after checking the fingerprint)`
        return false
      }
      if (!known.some((k) => k.key === presented)) {
        problem = `SSH host key of ${names[0]} does not match ${knownHostsFile}: refusing to connect (possible man-in-the-middle, or the host was reinstalled)`
        return false
      }
      problem = null
      return true
    },
  }
}

/** The private key to use: docker.sshKey, else none when an agent runs, else the usual ~/.ssh files. */
export function privateKey(settings: SshSettings, env: NodeJS.ProcessEnv): Buffer | undefined {
  if (settings.sshKey) return readFileSync(settings.sshKey)
  if (env.SSH_AUTH_SOCK) return undefined
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    const file = path.join(os.homedir(), '.ssh', name)
    if (existsSync(file)) return readFileSync(file)
  }
  return undefined
}

export function defaultKnownHosts(settings: SshSettings): string {
  return settings.knownHosts ?? path.join(os.homedir(), '.ssh', 'known_hosts')
}

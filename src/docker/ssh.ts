/**
 * SSH to Docker hosts (ssh://user@host[:port]): the key from docker.sshKey, else the SSH agent, else
 * ~/.ssh/id_ed25519 / id_ecdsa / id_rsa; the host key checked against known_hosts (plain or hashed
 * entries). An unknown host or a changed key is refused at once, never prompted for and never hung on.
 */
import {createHmac} from 'node:crypto'
import {existsSync, readFileSync} from 'node:fs'
import http from 'node:http'
import {createRequire} from 'node:module'
import os from 'node:os'
import path from 'node:path'
import type {Client, ClientChannel, ConnectConfig} from 'ssh2'

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

/**
 * The HTTP transport to a Docker engine over SSH, as the docker CLI does it: `docker system dial-stdio` run on the
 * host, one SSH channel per HTTP connection. Unlike docker-modem's own SSH agent (a new SSH connection, handshake
 * and login for EVERY API call, never closed when a response stream is left unread, and sockets without
 * setTimeout so no idle timeout could apply), it keeps:
 * - one SSH connection per host, opened on first use and again after it is lost;
 * - at most `maxChannels` channels open on it (sshd's MaxSessions is 10 by default), the others queued;
 * - HTTP keep-alive: an idle channel serves the next call instead of a new session (dropped after `idleMs`);
 * - channels that behave as sockets for node's http: setTimeout (idle, as on TCP, so the modem's timeout bounds
 *   every call and every read), ref/unref (an idle connection never keeps the process alive), and a local
 *   destroy that closes at once even when the peer never confirms (a stalled host);
 * - a bound on opening a channel: a host that does not answer within `timeoutMs` has its connection dropped.
 * close() ends the connection and everything on it; closeSshTransports() does so for every transport.
 */
export interface SshTransportOptions {
  timeoutMs: number
  maxChannels?: number
  idleMs?: number
  /** The command that bridges a channel to the engine's socket. */
  command?: string
}

export interface SshTransport {
  agent: http.Agent
  close: () => void
  /** Channels open and calls waiting for one (for tests and diagnostics). */
  stats: () => {connected: boolean; open: number; waiting: number}
}

type Ssh2 = typeof import('ssh2')
let ssh2: Ssh2 | undefined
/** ssh2 as docker-modem resolves it (a dependency of dockerode's modem), loaded on the first SSH host only. */
function loadSsh2(): Ssh2 {
  if (!ssh2) {
    const here = createRequire(import.meta.url)
    ssh2 = createRequire(here.resolve('docker-modem'))('ssh2') as Ssh2
  }
  return ssh2
}

const transports = new Set<SshTransport>()

/** Ends every SSH connection this process opened (the commands call it when they end). */
export function closeSshTransports(): void {
  for (const t of transports) t.close()
}

/** Socket-like channel: what node's http client and agent call on a socket, beyond a Duplex. */
type SocketChannel = ClientChannel & {
  timeout?: number
  setTimeout: (ms: number, cb?: () => void) => SocketChannel
  setKeepAlive: () => SocketChannel
  setNoDelay: () => SocketChannel
  ref: () => SocketChannel
  unref: () => SocketChannel
}

export function sshTransport(connect: ConnectConfig, opts: SshTransportOptions): SshTransport {
  const maxChannels = opts.maxChannels ?? 8
  const command = opts.command ?? 'docker system dial-stdio'
  let client: Client | null = null
  let ready: Promise<Client> | null = null
  let closed = false
  let open = 0
  const waiting: (() => void)[] = []
  /** Channels and channel requests that keep the process alive (a free keep-alive channel does not). */
  const holding = new Set<object>()
  /** Channels open on the current connection: ended with it when it is lost. */
  const live = new Set<SocketChannel>()

  const sock = () => (client as unknown as {_sock?: {ref?: () => void; unref?: () => void}} | null)?._sock
  const hold = (who: object, yes: boolean) => {
    if (yes) holding.add(who)
    else holding.delete(who)
    if (holding.size > 0) sock()?.ref?.()
    else sock()?.unref?.()
  }

  const connected = (): Promise<Client> => {
    if (ready) return ready
    const c = new (loadSsh2().Client)()
    client = c
    const forget = () => {
      if (client === c) {
        client = null
        ready = null
      }
    }
    ready = new Promise<Client>((resolve, reject) => {
      c.once('ready', () => resolve(c))
      c.on('error', (error) => {
        forget()
        reject(error)
      })
      c.on('close', () => {
        forget()
        for (const s of live) s.destroy()
        reject(new Error(`SSH connection to ${connect.host}:${connect.port} closed`))
      })
    })
    // A failure reaches each waiting call; none is left unhandled.
    ready.catch(() => undefined)
    c.connect({...connect, readyTimeout: connect.readyTimeout ?? opts.timeoutMs})
    return ready
  }

  const slot = async (): Promise<void> => {
    while (open >= maxChannels) await new Promise<void>((resolve) => waiting.push(resolve))
    open++
  }
  const release = () => {
    open--
    waiting.shift()?.()
  }

  const channel = (c: Client, done: (error: Error | null, ch?: ClientChannel) => void) => {
    const timer = setTimeout(() => {
      finish(new Error(`Timed out after ${opts.timeoutMs} ms opening an SSH channel to ${connect.host}:${connect.port}`))
      c.destroy() // the host does not answer: every call on this connection would wait the same
    }, opts.timeoutMs)
    let settled = false
    const finish = (error: Error | null, ch?: ClientChannel) => {
      clearTimeout(timer)
      if (settled) {
        ch?.destroy()
        return
      }
      settled = true
      done(error, ch)
    }
    try {
      c.exec(command, (error, ch) => finish(error ?? null, ch))
    } catch (error) {
      finish(error as Error)
    }
  }

  /** Makes an ssh2 channel a socket for node's http. `free` runs once, when it is closed either way. */
  const asSocket = (ch: ClientChannel, free: () => void): SocketChannel => {
    const s = ch as SocketChannel
    let timer: NodeJS.Timeout | undefined
    let idleMs = 0
    let ended = false
    let idleFired = false
    const arm = () => {
      clearTimeout(timer)
      idleFired = false
      if (idleMs > 0 && !ended)
        timer = setTimeout(() => {
          idleFired = true
          s.emit('timeout')
        }, idleMs).unref()
    }
    const end = () => {
      if (ended) return
      ended = true
      live.delete(s)
      clearTimeout(timer)
      hold(s, false)
      free()
    }
    s.setTimeout = (ms: number, cb?: () => void) => {
      idleMs = ms
      s.timeout = ms
      if (cb) {
        if (ms > 0) s.once('timeout', cb)
        else s.removeListener('timeout', cb)
      }
      arm()
      return s
    }
    s.setKeepAlive = () => s
    s.setNoDelay = () => s
    s.ref = () => (hold(s, !ended), s)
    s.unref = () => (hold(s, false), s)
    const push = s.push.bind(s)
    s.push = (chunk: unknown, encoding?: BufferEncoding) => {
      arm()
      return push(chunk, encoding)
    }
    const write = s.write.bind(s) as (...args: unknown[]) => boolean
    s.write = ((...args: unknown[]) => {
      arm()
      return write(...args)
    }) as typeof s.write
    // 'close' once: ssh2 emits it after the peer's close; a local destroy emits it at once (see below).
    const emit = s.emit.bind(s)
    let closeEmitted = false
    s.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === 'close') {
        if (closeEmitted) return false
        closeEmitted = true
        end()
      }
      return emit(event, ...args)
    }) as typeof s.emit
    // ssh2's destroy() only asks the peer to close; a stalled peer never answers. Closed here and now.
    const destroy = s.destroy.bind(s)
    let destroyed = false
    s.destroy = ((error?: Error) => {
      if (destroyed) return s
      destroyed = true
      // Destroyed because its idle timeout fired (the modem's timeout): said as such, not as `socket hang up`.
      if (!error && idleFired) error = Object.assign(new Error(`Timed out after ${idleMs} ms: no answer from the Docker engine over SSH (${command})`), {code: 'ETIMEDOUT'})
      destroy()
      end()
      process.nextTick(() => {
        if (error && s.listenerCount('error') > 0) s.emit('error', error)
        s.emit('close', true)
      })
      return s
    }) as typeof s.destroy
    live.add(s)
    hold(s, true)
    return s
  }

  const agent = new http.Agent({keepAlive: true, maxSockets: maxChannels, timeout: opts.idleMs ?? 2000})
  // node's http calls createConnection(options, callback) when the agent needs a new socket.
  ;(agent as unknown as {createConnection: unknown}).createConnection = (_options: unknown, callback: (error: Error | null, s?: SocketChannel) => void) => {
    const request = {}
    hold(request, true)
    const fail = (error: Error) => {
      hold(request, false)
      callback(error)
    }
    if (closed) {
      fail(new Error(`SSH transport to ${connect.host}:${connect.port} is closed`))
      return undefined
    }
    slot()
      .then(connected)
      .then(
        (c) =>
          channel(c, (error, ch) => {
            if (error || !ch) {
              release()
              fail(error ?? new Error('no SSH channel'))
              return
            }
            const s = asSocket(ch, release)
            hold(request, false)
            callback(null, s)
          }),
        (error: Error) => {
          release()
          fail(error)
        },
      )
    return undefined
  }

  const transport: SshTransport = {
    agent,
    close: () => {
      closed = true
      transports.delete(transport)
      agent.destroy()
      client?.destroy()
      client = null
      ready = null
      holding.clear()
    },
    stats: () => ({connected: client !== null, open, waiting: waiting.length}),
  }
  transports.add(transport)
  return transport
}

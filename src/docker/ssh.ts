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
 * - few SSH connections per host: one, opened on first use (again after it is lost), and more (up to
 *   `maxConnections`) only while the `maxChannels` channels of each are all taken (sshd's MaxSessions is 10 by
 *   default; an exec's attach holds its channel as long as the exec runs); beyond that, calls wait (timeoutMs);
 * - HTTP keep-alive: an idle channel serves the next call instead of a new session (dropped after `idleMs`);
 * - channels that behave as sockets for node's http: setTimeout (idle, as on TCP, so the modem's timeout bounds
 *   every call and every read), ref/unref (an idle connection never keeps the process alive), and a local
 *   destroy that closes at once even when the peer never confirms (a stalled host);
 * - a bound on opening a channel: a host that does not answer within `timeoutMs` has its connection dropped.
 * close() ends the connections and everything on them; closeSshTransports() does so for every transport.
 */
export interface SshTransportOptions {
  timeoutMs: number
  /** Channels per connection (sshd's MaxSessions is 10 by default). */
  maxChannels?: number
  /** Connections to the host at most, opened as the channels of the others are all taken. */
  maxConnections?: number
  idleMs?: number
  /** The command that bridges a channel to the engine's socket. */
  command?: string
}

export interface SshTransport {
  agent: http.Agent
  close: () => void
  /** Channels open and calls waiting for one (for tests and diagnostics). */
  stats: () => {connections: number; open: number; waiting: number}
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

interface Conn {
  client: Client
  ready: Promise<Client>
  /** Slots taken on this connection. */
  busy: number
  /** Its sockets, ended with it when it is lost. */
  live: Set<SocketChannel>
  /** Forgets the connection and ends its sockets. */
  lost: () => void
}

/** Socket-like channel: what node's http client and agent call on a socket, beyond a Duplex. */
type SocketChannel = ClientChannel & {
  timeout?: number
  setTimeout: (ms: number, cb?: () => void) => SocketChannel
  setKeepAlive: () => SocketChannel
  setNoDelay: () => SocketChannel
  ref: () => SocketChannel
  unref: () => SocketChannel
  /** The connection is gone: give the slot back and close. */
  lost: () => void
}

export function sshTransport(connect: ConnectConfig, opts: SshTransportOptions): SshTransport {
  const maxChannels = opts.maxChannels ?? 8
  const maxConnections = opts.maxConnections ?? 4
  const command = opts.command ?? 'docker system dial-stdio'
  const where = `${connect.host}:${connect.port}`
  let closed = false
  /** Connections open or opening; one is dropped from here when it is lost. */
  const conns = new Set<Conn>()
  /** Channel slots taken over all connections: by calls opening one, and by channels the peer has not closed yet. */
  let busy = 0
  const waiting = new Set<() => void>()
  /** Channels and calls that keep the process alive (a free keep-alive channel does not). */
  const holding = new Set<object>()

  const hold = (who: object, yes: boolean) => {
    if (yes) holding.add(who)
    else holding.delete(who)
    for (const c of conns) {
      const sock = (c.client as unknown as {_sock?: {ref?: () => void; unref?: () => void}})._sock
      if (holding.size > 0) sock?.ref?.()
      else sock?.unref?.()
    }
  }

  const open = (): Conn => {
    const client = new (loadSsh2().Client)()
    const lost = () => {
      conns.delete(c)
      for (const s of [...c.live]) s.lost()
    }
    const c: Conn = {client, busy: 0, live: new Set(), ready: Promise.resolve(client), lost}
    c.ready = new Promise<Client>((resolve, reject) => {
      client.once('ready', () => resolve(client))
      client.on('error', (error) => {
        lost()
        reject(error)
      })
      client.on('close', () => {
        lost()
        reject(new Error(`SSH connection to ${where} closed`))
      })
    })
    // A failure reaches each call waiting on it; none is left unhandled.
    c.ready.catch(() => undefined)
    conns.add(c)
    client.connect({...connect, readyTimeout: connect.readyTimeout ?? opts.timeoutMs})
    return c
  }

  /**
   * Takes a channel slot on a connection with room (a new one when all are full), waiting at most timeoutMs when
   * every connection is full; the function returned gives the slot back, once.
   */
  const slot = async (): Promise<{conn: Conn; free: () => void}> => {
    const deadline = Date.now() + opts.timeoutMs
    while (busy >= maxChannels * maxConnections) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          clearTimeout(timer)
          waiting.delete(wake)
          resolve()
        }
        const timer = setTimeout(
          () => {
            waiting.delete(wake)
            reject(
              Object.assign(new Error(`Timed out after ${opts.timeoutMs} ms waiting for one of the ${maxChannels * maxConnections} SSH channels to ${where}`), {
                code: 'ETIMEDOUT',
              }),
            )
          },
          Math.max(0, deadline - Date.now()),
        )
        waiting.add(wake)
      })
    }
    const conn = [...conns].find((c) => c.busy < maxChannels) ?? open()
    busy++
    conn.busy++
    let given = false
    const free = () => {
      if (given) return
      given = true
      busy--
      conn.busy--
      waiting.values().next().value?.()
    }
    return {conn, free}
  }

  /** Opens a channel running `command`, within timeoutMs (a host that does not answer loses its connection). */
  const channel = (c: Client): Promise<ClientChannel> =>
    new Promise((resolve, reject) => {
      let settled = false
      const timer = setTimeout(() => {
        settled = true
        reject(Object.assign(new Error(`Timed out after ${opts.timeoutMs} ms opening an SSH channel to ${where}`), {code: 'ETIMEDOUT'}))
        c.destroy() // every call on this connection would wait the same
      }, opts.timeoutMs)
      try {
        c.exec(command, (error, ch) => {
          clearTimeout(timer)
          if (settled) ch?.destroy()
          else if (error) reject(error)
          else resolve(ch)
        })
      } catch (error) {
        clearTimeout(timer)
        reject(error as Error)
      }
    })

  /**
   * Makes an ssh2 channel a socket for node's http. Its slot is given back when the peer has closed the channel
   * (sshd counts it until then) or the connection is lost; node sees it closed at once when it destroys it.
   */
  const asSocket = (ch: ClientChannel, conn: Conn, free: () => void): SocketChannel => {
    const s = ch as SocketChannel
    let timer: NodeJS.Timeout | undefined
    let idleMs = 0
    let idleFired = false
    let shut = false // closed as far as node is concerned
    const arm = () => {
      clearTimeout(timer)
      idleFired = false
      if (idleMs > 0 && !shut)
        timer = setTimeout(() => {
          idleFired = true
          s.emit('timeout')
        }, idleMs).unref()
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
    s.ref = () => (hold(s, !shut), s)
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
    const emit = s.emit.bind(s)
    // A 'close' through emit is ssh2's: the peer closed the channel. Node sees one close, the first.
    s.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event !== 'close') return emit(event, ...args)
      conn.live.delete(s)
      free()
      if (shut) return false
      shut = true
      clearTimeout(timer)
      hold(s, false)
      return emit(event, ...args)
    }) as typeof s.emit
    const closeHere = (error?: Error) => {
      if (shut) return
      shut = true
      clearTimeout(timer)
      hold(s, false)
      process.nextTick(() => {
        if (error && s.listenerCount('error') > 0) emit('error', error)
        emit('close', true)
      })
    }
    // ssh2's destroy() only asks the peer to close (a stalled one never answers): node sees it closed now, and
    // whatever still arrives is drained so that ssh2 sees the peer's close and the slot is given back.
    const destroy = s.destroy.bind(s)
    let destroyed = false
    s.destroy = ((error?: Error) => {
      if (destroyed) return s
      destroyed = true
      // Destroyed because its idle timeout fired (the modem's timeout): said as such, not as `socket hang up`.
      if (!error && idleFired)
        error = Object.assign(new Error(`Timed out after ${idleMs} ms: no answer from the Docker engine over SSH (${command})`), {code: 'ETIMEDOUT'})
      destroy()
      s.removeAllListeners('data')
      s.resume()
      closeHere(error)
      return s
    }) as typeof s.destroy
    s.lost = () => {
      conn.live.delete(s)
      free()
      if (!destroyed) s.destroy()
    }
    conn.live.add(s)
    hold(s, true)
    return s
  }

  const agent = new http.Agent({keepAlive: true, maxSockets: maxChannels * maxConnections, timeout: opts.idleMs ?? 2000})
  // node's http calls createConnection(options, callback) when the agent needs a new socket.
  ;(agent as unknown as {createConnection: unknown}).createConnection = (_options: unknown, callback: (error: Error | null, s?: SocketChannel) => void) => {
    const call = {}
    hold(call, true)
    const socket = async (): Promise<SocketChannel> => {
      if (closed) throw new Error(`SSH transport to ${where} is closed`)
      const {conn, free} = await slot()
      try {
        return asSocket(await channel(await conn.ready), conn, free)
      } catch (error) {
        free()
        throw error
      }
    }
    socket().then(
      (s) => {
        hold(call, false)
        callback(null, s)
      },
      (error: Error) => {
        hold(call, false)
        callback(error)
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
      for (const c of [...conns]) {
        c.client.destroy()
        c.lost()
      }
      holding.clear()
    },
    stats: () => ({connections: conns.size, open: busy, waiting: waiting.size}),
  }
  transports.add(transport)
  return transport
}

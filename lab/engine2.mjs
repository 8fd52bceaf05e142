// A second Docker engine on this machine, reached over TCP+TLS on 127.0.0.1 with certificates made here:
// its own socket, data-root, exec-root and pidfile (so it shares nothing with the first engine but the
// kernel and the disk). Used by the multi-host e2e tests; the lab image is loaded into it offline.
//   start({dir, port}) -> {host, socket, certPath, pid}; stop({dir}); loadImage(image, {socket})
import fs from 'node:fs'
import path from 'node:path'
import {spawn} from 'node:child_process'
import {run, sleep, waitFor} from './run.mjs'

const openssl = (args, cwd) => run('openssl', args, {cwd, timeoutMs: 60_000})

/** CA, a server certificate for 127.0.0.1/localhost, and a client certificate, as docker expects them. */
export async function makeCerts(dir) {
  fs.mkdirSync(dir, {recursive: true})
  if (fs.existsSync(path.join(dir, 'key.pem'))) return dir
  await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=fleet-lab-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem'], dir)
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n')
  for (const [name, cn, ext] of [['server', 'localhost', 'server.ext'], ['client', 'fleet', 'client.ext']]) {
    await openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`], dir)
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', `${name}-cert.pem`], dir)
  }
  fs.copyFileSync(path.join(dir, 'client-cert.pem'), path.join(dir, 'cert.pem'))
  fs.copyFileSync(path.join(dir, 'client-key.pem'), path.join(dir, 'key.pem'))
  return dir
}

export async function start({dir, port}) {
  const certs = await makeCerts(path.join(dir, 'certs'))
  const socket = path.join(dir, 'docker.sock')
  const args = [
    '--host', `unix://${socket}`, '--host', `tcp://127.0.0.1:${port}`,
    '--tlsverify', '--tlscacert', path.join(certs, 'ca.pem'), '--tlscert', path.join(certs, 'server-cert.pem'), '--tlskey', path.join(certs, 'server-key.pem'),
    '--data-root', path.join(dir, 'data-root'), '--exec-root', path.join(dir, 'exec'), '--pidfile', path.join(dir, 'docker.pid'),
    '--bridge=none', '--iptables=false', '--ip-masq=false',
  ]
  const log = fs.openSync(path.join(dir, 'dockerd.log'), 'a')
  const child = spawn('dockerd', args, {detached: true, stdio: ['ignore', log, log]})
  child.unref()
  await waitFor(async () => (await run('docker', ['-H', `unix://${socket}`, 'info'], {reject: false, timeoutMs: 10_000})).code === 0, {timeoutMs: 60_000, what: `the second dockerd (log: ${path.join(dir, 'dockerd.log')})`})
  return {host: `tcp://127.0.0.1:${port}`, socket: `unix://${socket}`, certPath: certs, pid: child.pid}
}

export async function loadImage(image, {socket}) {
  const save = spawn('docker', ['save', image], {stdio: ['ignore', 'pipe', 'inherit']})
  const load = spawn('docker', ['-H', socket, 'load'], {stdio: ['pipe', 'ignore', 'inherit']})
  save.stdout.pipe(load.stdin)
  const code = await new Promise((resolve) => load.on('close', resolve))
  if (code !== 0) throw new Error(`docker load into ${socket} failed (${code})`)
}

/** Stops the second engine (SIGTERM, then SIGKILL) and waits for its pid to go. */
export async function stop({dir, signal = 'SIGTERM'}) {
  const pidFile = path.join(dir, 'docker.pid')
  if (!fs.existsSync(pidFile)) return
  const pid = Number(fs.readFileSync(pidFile, 'utf8'))
  const alive = () => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  }
  try {
    process.kill(pid, signal)
  } catch {
    return
  }
  await waitFor(() => !alive(), {timeoutMs: 30_000, what: `dockerd ${pid} to stop`}).catch(() => process.kill(pid, 'SIGKILL'))
}

/**
 * Removes every trace of a second engine that did not stop cleanly (e.g. dockerd SIGKILLed): its containerd,
 * the shims and the container processes under them, the mounts under its dir, then the dir.
 */
export async function cleanup({dir}) {
  const procs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)
  const info = new Map()
  for (const pid of procs) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      info.set(pid, {ppid, cmd: fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1')})
    } catch {}
  }
  // Never this process or its ancestors (their command lines may name the dir too).
  const mine = new Set()
  for (let pid = process.pid; pid > 1 && !mine.has(pid); pid = info.get(pid)?.ppid ?? 0) mine.add(pid)
  const roots = [...info].filter(([pid, p]) => !mine.has(pid) && p.cmd.includes(dir)).map(([pid]) => pid)
  const doomed = new Set(roots)
  for (let grew = true; grew; ) {
    grew = false
    for (const [pid, p] of info) if (!doomed.has(pid) && doomed.has(p.ppid)) doomed.add(pid), (grew = true)
  }
  for (const pid of doomed) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {}
  }
  await sleep(500)
  const mounts = fs.readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && m.startsWith(dir)).reverse()
  for (const m of mounts) await run('umount', ['-l', m], {reject: false})
  fs.rmSync(dir, {recursive: true, force: true})
}

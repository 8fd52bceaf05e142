// An sshd on 127.0.0.1 for the multi-host tests: its own host key, config, pid file and port; root logs in
// with a key made here. Through it, `docker system dial-stdio` reaches this machine's engine, which is how
// Docker (and fleet, through dockerode) talks to ssh:// hosts. Installs openssh-server when missing (root).
//   start({dir, port, forceCommand}) -> {host, port, user, key, knownHosts, badKnownHosts, pid}; stop({dir})
// forceCommand: every session runs it instead of what the client asked (e.g. `sleep 600`: an SSH host that logs
// in and then never answers the Docker API, a stalled engine behind a live sshd).
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import {spawn} from 'node:child_process'
import {run, waitFor} from './run.mjs'

async function ensureSshd() {
  if (fs.existsSync('/usr/sbin/sshd')) return
  await run('apt-get', ['update', '-q'], {timeoutMs: 300_000, env: {DEBIAN_FRONTEND: 'noninteractive'}})
  await run('apt-get', ['install', '-y', '-q', '--no-install-recommends', 'openssh-server', 'openssh-client'], {timeoutMs: 300_000, env: {DEBIAN_FRONTEND: 'noninteractive'}})
}

export async function start({dir, port, forceCommand}) {
  await ensureSshd()
  fs.mkdirSync(dir, {recursive: true})
  fs.mkdirSync('/run/sshd', {recursive: true})
  const file = (n) => path.join(dir, n)
  for (const [name, type] of [['host_key', 'ed25519'], ['id_ed25519', 'ed25519'], ['other_host_key', 'ed25519']]) {
    if (!fs.existsSync(file(name))) await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', `fleet-lab-${name}`, '-f', file(name)])
  }
  fs.copyFileSync(file('id_ed25519.pub'), file('authorized_keys'))
  fs.chmodSync(file('authorized_keys'), 0o600)
  const pub = (n) => fs.readFileSync(file(`${n}.pub`), 'utf8').trim().split(/\s+/).slice(0, 2).join(' ')
  fs.writeFileSync(file('known_hosts'), `[127.0.0.1]:${port} ${pub('host_key')}\n`)
  fs.writeFileSync(file('known_hosts.bad'), `[127.0.0.1]:${port} ${pub('other_host_key')}\n`)
  fs.writeFileSync(file('known_hosts.empty'), '')
  fs.writeFileSync(file('sshd_config'), [
    `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${file('host_key')}`, `PidFile ${file('sshd.pid')}`,
    `AuthorizedKeysFile ${file('authorized_keys')}`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no',
    'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'PrintMotd no', 'AllowTcpForwarding no', 'X11Forwarding no',
    // bash reads ~/.bashrc for commands run by sshd unless SHLVL says it is a nested shell; root's ~/.bashrc on a
    // dev machine (pyenv init, …) cost 3 s per session under load, 0.1 s without: a Docker host's account is lean.
    'SetEnv SHLVL=1',
    ...(forceCommand ? [`ForceCommand ${forceCommand}`] : []), '',
  ].join('\n'))
  const log = fs.openSync(file('sshd.log'), 'a')
  const child = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', file('sshd_config')], {detached: true, stdio: ['ignore', log, log]})
  child.unref()
  if (forceCommand) await waitFor(() => banner(port), {timeoutMs: 30_000, what: `sshd on 127.0.0.1:${port} (log: ${file('sshd.log')})`})
  else await waitFor(async () => (await run('ssh', ['-p', String(port), '-i', file('id_ed25519'), '-o', `UserKnownHostsFile=${file('known_hosts')}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', 'root@127.0.0.1', 'docker', 'version', '--format', '{{.Server.Version}}'], {reject: false, timeoutMs: 15_000})).code === 0, {timeoutMs: 30_000, what: `sshd on 127.0.0.1:${port} (log: ${file('sshd.log')})`})
  return {host: `ssh://root@127.0.0.1:${port}`, port, user: 'root', key: file('id_ed25519'), knownHosts: file('known_hosts'), badKnownHosts: file('known_hosts.bad'), emptyKnownHosts: file('known_hosts.empty'), pid: child.pid}
}

/** True once something on 127.0.0.1:port greets with an SSH banner. */
function banner(port) {
  return new Promise((resolve) => {
    const sock = net.connect({host: '127.0.0.1', port})
    const done = (ok) => {
      sock.destroy()
      resolve(ok)
    }
    sock.setTimeout(2000, () => done(false))
    sock.once('data', (d) => done(String(d).startsWith('SSH-')))
    sock.once('error', () => done(false))
  })
}

export async function stop({dir}) {
  const pidFile = path.join(dir, 'sshd.pid')
  if (fs.existsSync(pidFile)) {
    try {
      process.kill(Number(fs.readFileSync(pidFile, 'utf8')), 'SIGTERM')
    } catch {}
  }
  fs.rmSync(dir, {recursive: true, force: true})
}

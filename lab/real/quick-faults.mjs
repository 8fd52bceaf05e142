// Cheaper variants of lab/real/faults.mjs faults, for benchmarks that inject a mix several times on busy machines.
//
// quickPreviousIncarnation: the same end state as faults.mjs realPreviousIncarnation({legacy: true}) (a 2026.2-shape
// session lock, {pid, createdAt} without starttime, naming the pid the current gateway has again, written before the
// container's current start), without its real gateway turn stuck on the model: on 2026.4.29 under load a gateway
// turn took over 3 min to reach the model, once per attempt. Here the lock is taken with OpenClaw's own
// acquireSessionWriteLock by an exec'd holder (fault-agent.mjs hold-lock, ~0.5 s), the holder SIGKILLed, and its
// payload rewritten to the 2026.2 shape naming the gateway's pid while the container is stopped; the container is
// SIGKILLed and started until the new gateway has the pid of the one before it again (the pid is 6-8 here).
import fs from 'node:fs'
import {instanceOf, inspectStates, loadLab, versionOf} from '../compose.mjs'
import {docker, sleep, waitFor} from '../run.mjs'
import {gatewayPid, killInContainer, mainSessionFile, startExecHolder} from './faults.mjs'
import {usesGatewayTurns} from './gateway.mjs'

export async function quickPreviousIncarnation(instance, {root, attempts = 12} = {}) {
  const lab = loadLab(root)
  const inst = instanceOf(lab, instance)
  const version = versionOf(lab, inst.id)
  if (version === 'sim' || usesGatewayTurns(version)) throw new Error(`previous-incarnation needs real OpenClaw up to 2026.7 (instance ${inst.id} runs ${version})`)
  const session = await mainSessionFile(inst, version, {root})
  const held = await startExecHolder(inst.container, 'hold-lock', {sessionFile: session.sessionFile})
  const taken = fs.readFileSync(session.hostLockPath, 'utf8')
  await killInContainer(inst.container, [held.holder.pid, held.parentPid])
  await held.client.exited
  // The pid of the incarnation about to be killed: the lock names it. When the next one gets another pid, that one is
  // killed in turn and named (a first start after `compose up` is often pid 6, later starts 7).
  let oldGatewayPid = await gatewayPid(inst.container)
  const {starttime, ...rest} = JSON.parse(taken)
  let legacy = JSON.stringify({...rest, pid: oldGatewayPid}, null, 2)
  const pids = []
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await docker(['kill', '-s', 'KILL', inst.container], {reject: false, timeoutMs: 60_000})
    await waitFor(async () => (await inspectStates([inst.container]))[0]?.status !== 'running', {timeoutMs: 60_000, what: `${inst.container} to stop`})
    // Written while the container is down: the lock predates its next start, as a previous incarnation's does.
    fs.writeFileSync(session.hostLockPath, legacy)
    fs.chownSync(session.hostLockPath, 1000, 1000)
    // Older than the start by more than fleet's locks.clockSkew (2 s), as a crashed incarnation's lock is.
    await sleep(3000)
    await docker(['start', inst.container], {timeoutMs: 60_000})
    const pid = await waitFor(() => gatewayPid(inst.container), {timeoutMs: 60_000, intervalMs: 100, what: `the new gateway of ${inst.container}`})
    pids.push(pid)
    if (pid === oldGatewayPid) {
      const {stdout} = await docker(['inspect', '-f', '{{.State.StartedAt}}', inst.container])
      return {fault: 'previous-incarnation', instance: inst.id, container: inst.container, version, ...session, pid, lock: JSON.parse(legacy), taken, legacy: true, via: held.holder.via, oldGatewayPid, gatewayPid: pid, samePid: true, attempts: attempt, pidsSeen: pids, containerStartedAt: stdout.trim()}
    }
    oldGatewayPid = pid
    legacy = JSON.stringify({...rest, pid}, null, 2)
  }
  throw new Error(`${inst.container}: the gateway did not get pid ${oldGatewayPid} again in ${attempts} starts (${pids.join(', ')})`)
}

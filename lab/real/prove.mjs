#!/usr/bin/env node
// Prove one real OpenClaw version end to end and measure it:
//   node lab/real/prove.mjs <version> [--no-force] [--keep] [--dir DIR]
// 1. build the image twice (the first with --force unless --no-force: a cold docker import; npm
//    installs only when the cache lacks them), 2. `docker run -d --init --network none --name
//    ocreal-<version> -v <dir>:/home/node/.openclaw`, 3. wait for `[gateway] ready`, 4. two smoke
//    turns (`openclaw agent [--local] --agent main --message "Reply exactly SPEED_OK" --thinking low
//    --json`; --local up to 2026.7, through the gateway from 2026.8), sampling the process tree,
//    the session lock files and the SQLite files while they run, 5. one turn over the other
//    transport (through the gateway up to 2026.7; --local from 2026.8, which is refused),
//    6. `docker restart` to the next `[gateway] ready` and one more turn, 7. print a JSON report
//    (also written to <dir>/../ocreal-report-<version>.json) and remove the container (unless --keep).
import fs from 'node:fs'
import path from 'node:path'
import {docker, sleep} from '../run.mjs'
import {buildRealImage} from './build.mjs'
import {agentTurn, findFiles, gatewayGet, prepareStateDir, procInfo, processTree, removeContainer, sessionLocks, startGateway, turnArgs, usesGatewayTurns, waitReady} from './gateway.mjs'

const args = process.argv.slice(2)
const version = args.find((a) => !a.startsWith('--') && args[args.indexOf(a) - 1] !== '--dir')
if (!version) {
  console.error('usage: node lab/real/prove.mjs <version> [--no-force] [--keep] [--dir DIR]')
  process.exit(2)
}
const dirAt = args.indexOf('--dir')
const log = (line) => console.error(`[real:prove ${version}] ${line}`)

async function sampleWhile(promise, container, stateDir, {intervalMs = 1500} = {}) {
  const samples = []
  let done = false
  promise.finally(() => (done = true))
  while (!done) {
    const at = Date.now()
    const [ps, locks] = [await processTree(container), sessionLocks(stateDir)]
    const sample = {at, ps, locks}
    const holderPid = locks.find((l) => l.json?.pid)?.json.pid
    if (holderPid) sample.holder = await procInfo(container, holderPid)
    samples.push(sample)
    await Promise.race([promise.catch(() => {}), sleep(intervalMs)])
  }
  return samples
}

function summarizeSamples(samples) {
  const withLock = samples.find((s) => s.locks.length)
  const busiest = [...samples].sort((a, b) => b.ps.length - a.ps.length)[0]
  return {
    samples: samples.length,
    firstLock: withLock ? {locks: withLock.locks, holder: withLock.holder, ps: withLock.ps} : null,
    busiestProcessTree: busiest?.ps ?? [],
    lockSeenInSamples: samples.filter((s) => s.locks.length).length,
  }
}

const report = {version, at: new Date().toISOString(), host: {cpus: (await import('node:os')).cpus().length}}
let container
try {
  log('build (first)')
  const first = await buildRealImage(version, {force: !args.includes('--no-force'), log})
  log('build (cached)')
  const cached = await buildRealImage(version, {log})
  report.build = {first: {ms: first.ms, built: first.built, bytes: first.bytes, install: first.install}, cached: {ms: cached.ms, built: cached.built}, image: cached.image, entries: cached.entries}

  const stateDir = prepareStateDir(version, {stateDir: dirAt >= 0 ? args[dirAt + 1] : undefined})
  log(`state dir ${stateDir}`)
  const g = await startGateway(version, {stateDir, image: cached.image})
  container = g.container
  const ready = await waitReady(container, {sinceMs: g.startedMs, timeoutMs: 400_000})
  log(`ready after ${ready.ms} ms (${ready.via})`)
  const [readyz, healthz] = [await gatewayGet(container, '/readyz'), await gatewayGet(container, '/healthz')]
  const idleTree = await processTree(container)
  report.gateway = {container, stateDir, startedAt: g.startedAt, runMs: g.runMs, readyMs: ready.ms, readyVia: ready.via, readyLine: ready.logLine, readyz, healthz, idleProcessTree: idleTree}

  report.turns = []
  for (const n of [1, 2]) {
    log(`turn ${n}: docker exec ${container} ${turnArgs(version).join(' ')}`)
    const turnPromise = agentTurn(container, version, {timeoutMs: 900_000})
    const samples = await sampleWhile(turnPromise, container, stateDir)
    const turn = await turnPromise
    log(`turn ${n}: exit ${turn.code}, ${turn.ms} ms, reply ${JSON.stringify(turn.text)}`)
    report.turns.push({n, code: turn.code, ms: turn.ms, text: turn.text, ok: turn.text === 'SPEED_OK', meta: turn.json?.meta ?? turn.json?.result?.meta ? {durationMs: (turn.json?.meta ?? turn.json?.result?.meta)?.durationMs, transport: (turn.json?.meta ?? turn.json?.result?.meta)?.transport, sessionId: (turn.json?.meta ?? turn.json?.result?.meta)?.agentMeta?.sessionId} : undefined, stderrTail: turn.stderr.split('\n').slice(-8).join('\n'), ...summarizeSamples(samples)})
  }

  // the other transport: through the gateway up to 2026.7 (fleet's non-local ping), --local from 2026.8 (refused)
  const other = !usesGatewayTurns(version)
  log(`other transport: ${turnArgs(version, {local: !other}).join(' ')}`)
  const alt = await agentTurn(container, version, {local: !other, timeoutMs: 900_000})
  report.otherTransport = {local: !other, code: alt.code, ms: alt.ms, text: alt.text, transport: (alt.json?.meta ?? alt.json?.result?.meta)?.transport, fallbackFrom: (alt.json?.meta ?? alt.json?.result?.meta)?.fallbackFrom, stdoutHead: alt.json ? undefined : alt.stdout.slice(0, 400), stderrTail: alt.stderr.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter(Boolean).slice(-4).join('\n')}
  log(`other transport: exit ${alt.code}, ${alt.ms} ms, reply ${JSON.stringify(alt.text)}`)

  report.files = {
    sessions: findFiles(stateDir, /\.jsonl$|sessions\.json$/).slice(0, 20),
    locksAfter: sessionLocks(stateDir),
    sqlite: findFiles(stateDir, /\.sqlite(-wal|-shm)?$/),
    gatewayLocks: findFiles(stateDir, /^gateway\..*lock/),
    containerTmp: (await docker(['exec', container, 'sh', '-c', 'find /tmp -maxdepth 4 \\( -name "*.lock*" -o -name "*.sqlite*" -o -name "*.log" \\) 2>/dev/null | head -40'], {reject: false})).stdout.split('\n').filter(Boolean),
    modelLog: (await docker(['exec', container, 'sh', '-c', 'cat /tmp/ocreal-model.log | tail -5'], {reject: false})).stdout.split('\n').filter(Boolean),
    pnpmLog: (await docker(['exec', container, 'sh', '-c', 'cut -c1-400 /tmp/ocreal-pnpm.log 2>/dev/null | grep -v argv | tail -5'], {reject: false})).stdout.split('\n').filter(Boolean),
  }
  // docker restart: time to the next `[gateway] ready`, the new gateway pid, then one more turn
  const readyLines = async () => (await docker(['logs', container], {reject: false})).stdout.replace(/\x1b\[[0-9;]*m/g, '').split('\n').filter((l) => /\[gateway\] ready/.test(l)).length
  const before = await readyLines()
  const restartAt = Date.now()
  await docker(['restart', container], {timeoutMs: 180_000})
  while ((await readyLines()) <= before) {
    if (Date.now() - restartAt > 400_000) throw new Error('no [gateway] ready after docker restart')
    await sleep(500)
  }
  const restartReadyMs = Date.now() - restartAt
  const afterRestart = await agentTurn(container, version, {timeoutMs: 900_000})
  report.restart = {readyMs: restartReadyMs, processTree: (await processTree(container)).filter((p) => !/ps -o/.test(p.args)), turn: {code: afterRestart.code, ms: afterRestart.ms, text: afterRestart.text}}
  log(`restart: ready after ${restartReadyMs} ms; turn exit ${afterRestart.code}, ${afterRestart.ms} ms, reply ${JSON.stringify(afterRestart.text)}`)

  const logs = await docker(['logs', container], {reject: false})
  fs.writeFileSync(path.join(path.dirname(stateDir), `ocreal-docker-logs-${version}.txt`), `${logs.stdout}\n--- stderr ---\n${logs.stderr}`)
  report.ok = report.turns.every((t) => t.ok) && report.restart.turn.text === 'SPEED_OK'
} catch (error) {
  report.error = error.message
  report.ok = false
  log(`FAILED: ${error.message}`)
  if (container) {
    const logs = await docker(['logs', '--tail', '40', container], {reject: false})
    report.logTail = `${logs.stdout}\n${logs.stderr}`.replace(/\x1b\[[0-9;]*m/g, '').split('\n').slice(-40)
  }
} finally {
  if (container && !args.includes('--keep')) await removeContainer(container)
}
const out = JSON.stringify(report, null, 2)
if (report.gateway?.stateDir) fs.writeFileSync(path.join(path.dirname(report.gateway.stateDir), `ocreal-report-${version}.json`), out + '\n')
console.log(out)
process.exit(report.ok ? 0 : 1)

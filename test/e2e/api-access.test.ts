// Locks on a host that is not this machine's disk are listed, read, judged and removed through the Docker
// API only (exec in the running container, a helper container from the instance's image when it is
// stopped). Proof: fleet runs in a mount namespace where the lab's data dir is an empty tmpfs, so any read
// of the real path on disk would find nothing; the verdicts and the heal are still right.
import {execa} from 'execa'
import {existsSync, readdirSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import * as faults from '../../lab/faults.mjs'
import {BIN} from '../helpers/cli.js'
import {configVariant, containerFacts, containerName, labDown, labUp, lockFiles, sleep, type Lab} from './helpers.js'

let lab: Lab
let config: string
const injected: Record<string, any> = {}

/** fleet in a private mount namespace where <root>/data is hidden behind an empty tmpfs. */
function hiddenFleet(args: string[]) {
  const data = path.join(lab.root, 'data')
  const script = `mount -t tmpfs tmpfs "$1" && shift && [ -z "$(ls -A "$DATA")" ] && exec node "$@"`
  return execa('unshare', ['-m', 'sh', '-c', script.replace('$DATA', data), 'sh', data, BIN, ...args, '--config', config], {
    reject: false,
    env: {CI: 'true'},
    stdin: 'ignore',
  })
}

beforeAll(async () => {
  lab = await labUp(451, 4)
  config = configVariant(lab, 'fleet.api.yml', (y) => `${y.replace('locks:\n', 'locks:\n  access: docker\n')}heal:\n  incidentDir: incidents\n`)
  const root = lab.root
  injected.a = await faults.deadPid(451, {root})
  injected.h = await faults.malformedLocks(452, {root})
  injected.g = await faults.stoppedWithLock(453, {root})
  await sleep(5_500)
}, 300_000)

afterAll(() => labDown(lab), 300_000)

describe('lock access through the Docker API only', () => {
  it('status judges every lock with the data dir hidden from fleet', async () => {
    const r = await hiddenFleet(['status', '--json'])
    const doc = JSON.parse(r.stdout)
    expect(r.exitCode, r.stderr).toBe(1)
    const by = (id: number) => doc.instances.find((i: {id: number}) => i.id === id)
    expect(by(451).locks).toHaveLength(1)
    expect(by(451).locks[0]).toMatchObject({verdict: 'stale', pid: injected.a.pid, path: injected.a.hostLockPath})
    expect(by(451).locks[0].reasons).toContain('dead-pid')
    expect(by(452).locks.map((l: {verdict: string}) => l.verdict)).toEqual(['stale', 'stale', 'stale', 'stale'])
    expect(by(452).locks.find((l: {session: string}) => l.session === 'malformed-truncated').raw).toBe('{\n  "pid": 47')
    // Stopped container: read through a helper container with the same bind mount.
    expect(by(453)).toMatchObject({state: 'exited'})
    expect(by(453).locks[0]).toMatchObject({verdict: 'stale', pid: injected.g.pid})
    expect(by(454)).toMatchObject({locks: [], ok: true})
  })

  it('heal removes them through the API, keeps copies, and leaves no helper container', async () => {
    const r = await hiddenFleet(['heal', '--instances', '451-454', '--json'])
    expect(r.exitCode, r.stderr + r.stdout.slice(0, 2000)).toBe(0)
    const doc = JSON.parse(r.stdout)
    expect(doc.summary.locksRemoved).toBe(6)
    for (const id of [451, 452, 453]) expect(lockFiles(lab, id)).toEqual([])
    const copies = readdirSync(path.join(path.dirname(doc.incidentLog), 'locks', 'oc452'))
    expect(copies.sort()).toEqual(injected.h.files.map((f: {hostPath: string}) => path.basename(f.hostPath)).sort())
    expect(existsSync(path.join(path.dirname(doc.incidentLog), 'locks', 'oc453', path.basename(injected.g.hostLockPath)))).toBe(true)
    const {stdout} = await execa('docker', ['ps', '-a', '--filter', 'label=openclaw-fleet.helper', '--format', '{{.Names}}'])
    expect(stdout.trim()).toBe('')
    const facts = await containerFacts([containerName(453)])
    expect(facts[containerName(453)].state).toBe('running')
  })
})

// Two fleet processes meet at the run lock: what only real processes show (a watch holding its lock while it runs,
// a second command refused with the holder named, the lock let go on SIGTERM). The lock logic is in
// test/unit/remove-and-runlock.test.ts.
import {execa} from 'execa'
import {existsSync, mkdtempSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {planRunLocks, runLockPlace} from '../../src/runs/run-lock.js'
import {BIN, fleet as runFleet} from '../helpers/cli.js'

const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'fleet-rm-'))

describe('fleet run lock (the built CLI)', () => {
  it('through the CLI: a heal through a symlinked config, under another XDG_STATE_HOME, while a watch runs exits 1 naming the watch; the watch lets go on SIGTERM', async () => {
    const dir = tmp()
    const real = path.join(dir, 'fleet.config.yml')
    writeFileSync(real, 'instances: 7\ndataDir: d/oc{id}\n')
    const link = path.join(dir, 'other-name.yml')
    symlinkSync(real, link)
    // No engine at this socket (its name is this test's own, so no other run shares the key): the watch's scans
    // fail (error events) but it runs and holds its lock; nothing reaches Docker.
    const socket = `unix:///nonexistent/${path.basename(dir)}.sock`
    const base = {CI: 'true', FLEET_CONFIG: undefined, FLEET_RUN_LOCK_DIR: undefined, DOCKER_HOST: socket, DOCKER_CONTEXT: undefined}
    // Two operators (or a service unit and an operator): each with its own state dir. They meet in the shared place.
    const watchEnv = {...base, XDG_STATE_HOME: path.join(dir, 'state-watch')}
    const healEnv = {...base, XDG_STATE_HOME: path.join(dir, 'state-heal')}
    const place = runLockPlace(watchEnv)
    expect(place.shared).toBe(true)
    expect(runLockPlace(healEnv).dir).toBe(place.dir)
    const mine = planRunLocks(place.dir, [{name: 'oc7', container: 'openclaw-openclaw-gateway-7-1', docker: {timeoutMs: 1000}}], watchEnv)[0].path
    const held = () => existsSync(mine)
    const watch = execa('node', [BIN, 'watch', '--config', real, '--interval', '1s', '--no-ping', '--events', path.join(dir, 'events.jsonl')], {
      reject: false,
      env: watchEnv,
      extendEnv: true,
    })
    try {
      for (let i = 0; i < 200 && !held(); i++) await new Promise((r) => setTimeout(r, 50))
      expect(held()).toBe(true)
      const heal = await runFleet(['heal', '--config', link], {env: healEnv})
      const err = heal.stderr.replace(/\s*\n\s*›\s*/g, ' ')
      expect(heal.exitCode, heal.stderr).toBe(1)
      expect(err).toMatch(
        new RegExp(
          `fleet watch \\(pid ${watch.pid}, since \\S+, config ${real.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\) holds oc7 \\(container openclaw-openclaw-gateway-7-1 on ${socket.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`,
        ),
      )
      expect(err).toContain('stop that watch (SIGINT/SIGTERM) or restart it with --report-only, then heal')
    } finally {
      watch.kill('SIGTERM')
    }
    expect((await watch).exitCode).toBe(0)
    expect(held()).toBe(false)
  })
})

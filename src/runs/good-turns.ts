/**
 * When fleet last saw a turn answer on a gateway (its own SPEED_OK ping, from `fleet ping`, heal or watch), kept where
 * every fleet run on this host meets it (the shared run-lock dir, keyed like the run locks on the Docker endpoint and
 * the container). status reads it so that lock errors logged before a good turn no longer keep a healed gateway out of
 * `ok` ("lock errors since the last good turn"). Best effort both ways: a failure to write or read only means the
 * lock-error window alone decides.
 */
import {readFileSync, renameSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import type {Instance} from '../config/model.js'
import {dockerEndpoint, runLockDir, runLockKey} from './run-lock.js'

export function goodTurnPath(dir: string, endpoint: string, container: string): string {
  return path.join(dir, `${runLockKey(endpoint, container).slice(0, 24)}.good-turn`)
}

/** Records a good turn (never throws). */
export function recordGoodTurn(inst: Pick<Instance, 'docker'>, container: string, atMs: number): void {
  try {
    const file = goodTurnPath(runLockDir(), dockerEndpoint(inst.docker), container)
    const tmp = `${file}.${process.pid}.tmp`
    writeFileSync(tmp, `${JSON.stringify({atMs, container})}\n`, {mode: 0o644})
    renameSync(tmp, file)
  } catch {
    // best effort
  }
}

/** The last good turn recorded for a container, ms; null when none or unreadable. */
export function lastGoodTurn(inst: Pick<Instance, 'docker'>, container: string): number | null {
  try {
    const doc = JSON.parse(readFileSync(goodTurnPath(runLockDir(), dockerEndpoint(inst.docker), container), 'utf8')) as {atMs?: unknown}
    return typeof doc.atMs === 'number' && Number.isFinite(doc.atMs) ? doc.atMs : null
  } catch {
    return null
  }
}

/**
 * Who started a fleet exec: every `docker exec` fleet makes carries FLEET_EXEC_ID (its own marker) and
 * FLEET_EXEC_OWNER=<hostname>:<pid>:<starttime> of the fleet process waiting for it. A turn whose owner is
 * provably gone (same host, and that pid is dead or now another process) has nobody waiting for it.
 */
import os from 'node:os'
import {localStat} from './proc-stat.js'

let self: string | undefined
/** This process's owner marker. */
export function ownerMarker(): string {
  self ??= `${os.hostname()}:${process.pid}:${localStat(process.pid)?.starttime ?? ''}`
  return self
}

/** Parses `<hostname>:<pid>:<starttime>`; null when malformed. */
export function parseOwner(marker: string): {host: string; pid: number; starttime: number | null} | null {
  const m = /^(.+):(\d{1,10}):(\d*)$/.exec(marker)
  if (!m) return null
  return {host: m[1], pid: Number(m[2]), starttime: m[3] === '' ? null : Number(m[3])}
}

/**
 * true: the owner runs (same pid and starttime on this host); false: provably gone (this host, pid dead, a
 * zombie, or a different starttime); null: cannot be told from here (another host, a malformed marker, or
 * no starttime to compare with a live pid).
 */
export function ownerAlive(
  marker: string | null | undefined,
  hostname = os.hostname(),
  stat: (pid: number) => {state: string; starttime: number} | null = localStat,
): boolean | null {
  const o = marker ? parseOwner(marker) : null
  if (!o || o.host !== hostname || process.platform !== 'linux') return null
  const s = stat(o.pid)
  if (!s || s.state === 'Z') return false
  if (o.starttime === null) return null
  return s.starttime === o.starttime
}

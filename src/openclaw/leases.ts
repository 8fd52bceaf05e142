/**
 * Lease rows of OpenClaw 2026.8+ (the state db `state/openclaw.sqlite`): `agent_database_leases` (who has an agent db
 * open: owner_pid, owner_start_time) and `state_leases` (scope/key leases such as `gateway-owner`, with the owner's
 * {pid, startedAt} in payload_json, a heartbeat and an expiry). Read in the container, read-only (a read transaction
 * never blocks a writer), with the owners' /proc as the container's PID namespace shows it: the namespace OpenClaw
 * itself judges them in.
 *
 * Report only: fleet never writes into OpenClaw's db. OpenClaw reclaims a lease whose owner is dead or recycled by
 * itself; what fleet adds is the name of a live owner that is not the gateway (a stale `openclaw doctor`, upstream
 * #135383) and how long it has held.
 */
import type {Instance} from '../config/model.js'
import type {DockerHandle} from '../docker/client.js'
import type {ContainerInfo} from '../docker/discover.js'
import {execIn} from '../docker/exec.js'
import {PARSE_STAT_JS} from '../util/proc-stat.js'

export interface LeaseOwner {
  pid: number
  exists: boolean
  starttime: number | null
  cmdline: string[]
}

export interface LeaseRow {
  table: 'agent_database_leases' | 'state_leases'
  /** agent id (agent db leases) or `<scope>/<lease_key>` (state leases). */
  key: string
  ownerPid: number | null
  ownerStartTime: number | null
  /** opened_at / created_at, epoch ms. */
  sinceMs: number | null
  expiresAtMs: number | null
  heartbeatAtMs: number | null
  owner: LeaseOwner | null
}

export type LeaseVerdict = 'held' | 'dead-owner' | 'recycled-owner' | 'expired' | 'unknown'

export interface LeaseReport extends LeaseRow {
  verdict: LeaseVerdict
  /** A live owner that is not the gateway's main process holding past orphanAfter (e.g. a stale `openclaw doctor`). */
  longHeld: boolean
}

/** Pure: a lease's owner as the container's PID namespace sees it. */
export function judgeLease(row: LeaseRow, ctx: {nowMs: number; gatewayPid: number | null; orphanAfterMs: number}): LeaseReport {
  const out = (verdict: LeaseVerdict, longHeld = false): LeaseReport => ({...row, verdict, longHeld})
  if (row.expiresAtMs !== null && row.expiresAtMs < ctx.nowMs) return out('expired')
  if (row.ownerPid === null || !row.owner) return out('unknown')
  if (!row.owner.exists) return out('dead-owner')
  if (row.ownerStartTime !== null && row.owner.starttime !== null && row.ownerStartTime !== row.owner.starttime) return out('recycled-owner')
  const notGateway = ctx.gatewayPid !== null && row.ownerPid !== ctx.gatewayPid
  const age = row.sinceMs !== null ? ctx.nowMs - row.sinceMs : 0
  return out('held', notGateway && age > ctx.orphanAfterMs)
}

const READ_JS = `
const fs = require('fs');
${PARSE_STAT_JS}
const out = { rows: [] };
let sqlite; try { sqlite = require('node:sqlite'); } catch (e) { out.error = 'no node:sqlite in this node (' + process.version + ')'; }
const owner = (pid) => {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  let st = null; try { st = parseStat(fs.readFileSync('/proc/' + pid + '/stat', 'latin1')); } catch {}
  if (!st) return { pid, exists: false, starttime: null, cmdline: [] };
  let cmd = []; try { cmd = fs.readFileSync('/proc/' + pid + '/cmdline', 'latin1').split('\\0').filter(Boolean); } catch {}
  return { pid, exists: true, starttime: st.starttime, cmdline: cmd };
};
const num = (v) => (typeof v === 'number' || typeof v === 'bigint') ? Number(v) : null;
if (sqlite && fs.existsSync(process.argv[1])) {
  let db;
  try {
    db = new sqlite.DatabaseSync(process.argv[1], { readOnly: true });
    try { for (const r of db.prepare('SELECT agent_id, owner_pid, owner_start_time, opened_at FROM agent_database_leases').all())
      out.rows.push({ table: 'agent_database_leases', key: String(r.agent_id), ownerPid: num(r.owner_pid), ownerStartTime: num(r.owner_start_time), sinceMs: num(r.opened_at), expiresAtMs: null, heartbeatAtMs: null, owner: owner(num(r.owner_pid)) }); } catch (e) { if (!/no such table/.test(e.message)) out.error = e.message; }
    try { for (const r of db.prepare('SELECT scope, lease_key, payload_json, created_at, expires_at, heartbeat_at FROM state_leases').all()) {
      let p = {}; try { p = JSON.parse(r.payload_json || '{}') || {}; } catch {}
      const o = (p && p.owner) || {};
      const pid = num(o.pid);
      out.rows.push({ table: 'state_leases', key: r.scope + '/' + r.lease_key, ownerPid: pid, ownerStartTime: num(o.startedAt ?? o.startTime), sinceMs: num(r.created_at), expiresAtMs: num(r.expires_at), heartbeatAtMs: num(r.heartbeat_at), owner: owner(pid) });
    } } catch (e) { if (!/no such table/.test(e.message)) out.error = e.message; }
  } catch (e) { out.error = e.message; } finally { try { db && db.close(); } catch {} }
}
process.stdout.write(JSON.stringify(out));
`

/** The state db's lease rows with their owners, by one exec in the running container. Never throws. */
export async function readLeases(handle: DockerHandle, inst: Instance, c: ContainerInfo, timeoutMs: number): Promise<{rows: LeaseRow[]; error: string | null}> {
  try {
    const r = await execIn(handle, c.name, ['node', '-e', READ_JS, `${inst.stateDir}/state/openclaw.sqlite`], {timeoutMs})
    if (r.timedOut || r.exitCode !== 0)
      return {rows: [], error: `lease read in ${c.name}: ${r.timedOut ? 'timed out' : `exit ${r.exitCode}`} ${(r.stderr || r.stdout).trim().slice(0, 200)}`}
    const data = JSON.parse(r.stdout) as {rows: LeaseRow[]; error?: string}
    return {rows: data.rows, error: data.error ? `lease read in ${c.name}: ${data.error}` : null}
  } catch (error) {
    return {rows: [], error: `lease read in ${c.name}: ${(error as Error).message}`}
  }
}

/**
 * Evidence from inside a container's PID namespace: ONE exec per container covering all its lock pids.
 * For each pid: does /proc/<pid> exist, its state, ppid, starttime (field 22) and cmdline; plus the
 * container's own clock (for skew). Uses the container's `node` (every OpenClaw image has it). For local
 * engines observe() reads the same evidence from the host's /proc instead (host-proc.ts) when it can.
 */
import type {ProcessEvidence} from '../locks/types.js'
import type {DockerHandle} from './client.js'
import {execIn} from './exec.js'
import {PARSE_BOOT_TIME_JS, PARSE_STAT_JS} from '../util/proc-stat.js'

export interface ProbeResult {
  ok: boolean
  error?: string
  /** Container clock at probe time (epoch ms), for skew. */
  nowMs?: number
  processes: Map<number, ProcessEvidence>
  /** Every process in the container (pid, ppid, state, cmdline), for reports and orphan search. */
  table?: ProcessEvidence[]
  /** Where the evidence came from: an exec in the container, or the host's /proc (local engines). */
  source: 'exec' | 'host-proc'
  /** FLEET_EXEC_* variables in the environment of each asked pid (absent: unreadable). */
  marks?: Map<number, Record<string, string>>
  /** Host pids of `docker exec` clients on this host naming the container; absent when this host's processes were not seen. */
  clients?: number[]
  /** The kernel's boot time (epoch ms, /proc/stat btime), for process ages; absent when unknown. */
  bootTimeMs?: number
}

export const NODE_PROBE = `
const fs = require('fs');
${PARSE_STAT_JS}
const read = (p) => { try { return fs.readFileSync(p, 'latin1'); } catch { return null; } };
const proc = (pid) => {
  const text = read('/proc/' + pid + '/stat');
  const stat = text === null ? null : parseStat(text);
  if (stat === null) return { pid, exists: false };
  const cmd = read('/proc/' + pid + '/cmdline');
  return { pid, exists: true, state: stat.state, ppid: stat.ppid, starttime: stat.starttime, cmdline: cmd === null ? [] : cmd.split('\\0').filter(Boolean) };
};
const marks = (pid) => {
  const env = read('/proc/' + pid + '/environ');
  if (env === null) return undefined;
  const out = {};
  for (const kv of env.split('\\0')) if (kv.startsWith('FLEET_EXEC_')) { const i = kv.indexOf('='); out[kv.slice(0, i)] = kv.slice(i + 1); }
  return out;
};
const all = fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).map(Number).filter((p) => p !== process.pid).map(proc).filter((p) => p.exists);
const asked = process.argv.slice(1).map(Number);
${PARSE_BOOT_TIME_JS}
process.stdout.write(JSON.stringify({ now: Date.now(), btime: parseBootTime(read('/proc/stat') || '') ?? undefined, table: all, asked: asked.map(proc), marks: Object.fromEntries(asked.map((p) => [p, marks(p)])) }));
`

const INITS = /(^|\/)(docker-init|tini|dumb-init|catatonit|s6-svscan)$/

/** Marks the gateway's main process and `openclaw agent` processes. */
export function classify(p: ProcessEvidence, pid1: ProcessEvidence | undefined): ProcessEvidence {
  if (!p.exists) return p
  const argv0 = pid1?.cmdline?.[0] ?? ''
  const pid1IsInit = INITS.test(argv0)
  const isMain = p.pid === 1 ? !pid1IsInit : pid1IsInit && p.ppid === 1
  const text = (p.cmdline ?? []).join(' ')
  const isAgent = /(^|[\s/])openclaw-agent(\s|$)/.test(text) || (/(openclaw(\.mjs)?|dist\/index\.js)(\s|$)/.test(text) && /(^|\s)agent(\s|$)/.test(text))
  return {...p, isMain, isAgent}
}

export async function probePids(handle: DockerHandle, container: string, pids: number[], timeoutMs: number): Promise<ProbeResult> {
  const unique = [...new Set(pids)].filter((p) => Number.isSafeInteger(p) && p > 0)
  try {
    const r = await execIn(handle, container, ['node', '-e', NODE_PROBE, ...unique.map(String)], {timeoutMs})
    if (r.timedOut) return {ok: false, error: `probe timed out after ${timeoutMs} ms`, processes: new Map(), source: 'exec'}
    if (r.exitCode !== 0)
      return {ok: false, error: `probe exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`, processes: new Map(), source: 'exec'}
    const data = JSON.parse(r.stdout) as {
      now: number
      btime?: number
      table: ProcessEvidence[]
      asked: ProcessEvidence[]
      marks?: Record<string, Record<string, string> | null>
    }
    const pid1 = data.table.find((p) => p.pid === 1)
    return {
      ok: true,
      nowMs: data.now,
      ...(typeof data.btime === 'number' ? {bootTimeMs: data.btime} : {}),
      processes: new Map(data.asked.map((p) => [p.pid, classify(p, pid1)])),
      table: data.table.map((p) => classify(p, pid1)),
      source: 'exec',
      marks: new Map(Object.entries(data.marks ?? {}).flatMap(([pid, m]) => (m ? [[Number(pid), m] as const] : []))),
    }
  } catch (error) {
    return {ok: false, error: (error as Error).message, processes: new Map(), source: 'exec'}
  }
}

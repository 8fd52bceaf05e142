/**
 * The work in flight inside an OpenClaw 2026.8+ gateway, as the gateway itself reports it.
 *
 * From 2026.8 a turn sent through the gateway (`openclaw agent` without `--local`, channels, cron) runs inside the
 * gateway process: no exec'd holder, no lock file. Only the gateway knows it. The source read here is the gateway's
 * own restart preflight, `openclaw gateway call gateway.restart.preflight --json`, run by the container's CLI (read
 * in the 2026.9.6 package: `createSafeGatewayRestartPreflight`, a read-only snapshot of the counts the SIGTERM drain
 * waits on: queue, pending replies, embedded runs, cron runs, background exec sessions, gateway requests, background
 * tasks, each task with its id, run id, status, runtime and title). The method is documented as deprecated but kept
 * (`compatibilityRestored`); `gateway.suspend.status` needs a suspension id and `status` counts only tasks, so
 * neither is a full source. Seen live on 2026.9.6 with one turn in a slow model: `totalActive: 5` (queueSize 2,
 * embeddedRuns 1, rootRequests 1 `ws:agent`, activeTasks 1); idle: `totalActive: 0`.
 *
 * Missing evidence is unknown, never 0: no answer, a non-zero exit, output that is not the preflight's shape, or
 * counts that contradict each other.
 */
import type {DockerHandle} from '../docker/client.js'
import {execIn} from '../docker/exec.js'
import {parseJson} from '../util/json.js'
import {parseOpenClawVersion, versionCan} from './version.js'

export const GATEWAY_WORK_SOURCE = 'gateway.restart.preflight'
/** argv run in the container (the CLI reads the gateway's port and token from the container's own config). */
export const GATEWAY_WORK_ARGV = ['openclaw', 'gateway', 'call', GATEWAY_WORK_SOURCE, '--json']

/** One task the gateway runs (a turn through the gateway is a task with runtime `cli`). */
export interface GatewayTask {
  taskId: string
  runId: string | null
  status: string | null
  runtime: string | null
  title: string | null
}

/** One blocker as the gateway names it (`kind`: queue, embedded-run, root-request, task, cron-run, reply, background-exec, ...). */
export interface GatewayWorkItem {
  kind: string
  count: number
  message: string
  task: GatewayTask | null
}

interface Known {
  known: true
  /** OpenClaw's own total (`counts.totalActive`): 0 means its drain would end at once. Categories overlap: one turn counts several. */
  active: number
  /** The count per category, as OpenClaw reports them. */
  counts: Record<string, number>
  items: GatewayWorkItem[]
  /** The tasks among the items (a turn through the gateway is one). */
  tasks: GatewayTask[]
  summary: string | null
  source: typeof GATEWAY_WORK_SOURCE
}

interface Unknown {
  known: false
  active: null
  counts: null
  items: []
  tasks: []
  /** Why it is unknown (the gateway did not answer, the method is missing, the output was not understood). */
  reason: string
  source: typeof GATEWAY_WORK_SOURCE
}

export type GatewayWork = Known | Unknown

export type GatewayWorkReading = GatewayWork & {durationMs: number}

const unknown = (reason: string): Unknown => ({known: false, active: null, counts: null, items: [], tasks: [], reason, source: GATEWAY_WORK_SOURCE})

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null)
const oneLine = (text: string, max = 300) => text.replace(/\s+/g, ' ').trim().slice(0, max)

function taskOf(v: unknown): GatewayTask | null {
  if (!v || typeof v !== 'object') return null
  const t = v as Record<string, unknown>
  const taskId = str(t.taskId)
  if (!taskId) return null
  return {taskId, runId: str(t.runId), status: str(t.status), runtime: str(t.runtime), title: str(t.title)}
}

/**
 * Pure: the preflight's JSON (`{safe, counts: {…, totalActive}, blockers: [{kind, count, message, task?}], summary}`)
 * into what fleet knows. Anything else is unknown.
 */
export function parsePreflight(doc: unknown): GatewayWork {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return unknown('the preflight answer is not a JSON object')
  const d = doc as Record<string, unknown>
  const counts = d.counts
  if (!counts || typeof counts !== 'object' || Array.isArray(counts)) return unknown('the preflight answer has no counts')
  const entries = Object.entries(counts as Record<string, unknown>)
  const bad = entries.filter(([, v]) => !isCount(v)).map(([k]) => k)
  if (bad.length > 0) return unknown(`the preflight counts are not counts: ${bad.join(', ')}`)
  const all = Object.fromEntries(entries) as Record<string, number>
  if (!('totalActive' in all)) return unknown('the preflight answer has no counts.totalActive')
  const {totalActive: active, ...parts} = all
  const sum = Object.values(parts).reduce((a, b) => a + b, 0)
  // totalActive is the sum of the parts in 2026.9.6; a total below a part, or work in parts under a zero total, contradicts it.
  if (Object.values(parts).some((v) => v > active) || (active === 0 && sum > 0))
    return unknown(`the preflight counts contradict their total (${active}): ${JSON.stringify(parts)}`)
  if (typeof d.safe === 'boolean' && d.safe !== (active === 0)) return unknown(`the preflight says safe=${d.safe} with ${active} active`)
  if (d.blockers !== undefined && !Array.isArray(d.blockers)) return unknown('the preflight blockers are not a list')
  const items: GatewayWorkItem[] = []
  for (const b of (d.blockers as unknown[] | undefined) ?? []) {
    const x = (b ?? {}) as Record<string, unknown>
    if (typeof x.kind !== 'string' || !isCount(x.count)) return unknown(`a preflight blocker is not {kind, count}: ${oneLine(JSON.stringify(b), 200)}`)
    items.push({kind: x.kind, count: x.count, message: typeof x.message === 'string' ? x.message : '', task: taskOf(x.task)})
  }
  if (active > 0 && items.length === 0 && d.blockers !== undefined) return unknown(`the preflight counts ${active} active but names no blocker`)
  return {
    known: true,
    active,
    counts: all,
    items,
    tasks: items.map((i) => i.task).filter((t): t is GatewayTask => t !== null),
    summary: typeof d.summary === 'string' ? d.summary : null,
    source: GATEWAY_WORK_SOURCE,
  }
}

/**
 * Pure: one run of `openclaw gateway call gateway.restart.preflight --json` (exit code, stdout, stderr, timed out)
 * into what fleet knows. Only exit 0 with the preflight's JSON on stdout is evidence.
 */
export function parseGatewayWork(run: {exitCode: number | null; stdout: string; stderr: string; timedOut?: boolean}): GatewayWork {
  if (run.timedOut) return unknown('the gateway did not answer the preflight in time')
  if (run.exitCode !== 0) {
    // The CLI's own failure JSON: {"ok": false, "error": {"type", "kind", "message"}} (e.g. ECONNREFUSED while starting).
    const error = (parseJson(run.stdout) as {error?: {message?: unknown}} | undefined)?.error?.message
    const text = oneLine(typeof error === 'string' ? error : `${run.stderr}\n${run.stdout}`)
    return unknown(`the preflight call failed (exit ${run.exitCode ?? 'none'})${text ? `: ${text}` : ''}`)
  }
  const doc = parseJson(run.stdout)
  if (doc === undefined) return unknown(`the preflight printed no JSON${run.stdout.trim() ? `: ${oneLine(run.stdout, 200)}` : ''}`)
  return parsePreflight(doc)
}

/** Pure: whether fleet asks the gateway (2026.8+, where turns run inside it) or not (older: turns are exec'd processes). Unknown versions are asked. */
export function gatewayRunsTurns(version: string | null): boolean {
  if (version === null) return true
  const v = parseOpenClawVersion(version)
  return v === null || versionCan(v, 'turns-in-gateway')
}

/**
 * The gateway's active work, by one bounded exec of the container's CLI (argv, no shell). null for OpenClaw before
 * 2026.8 (its turns are exec'd processes fleet sees already). Never throws: any failure is unknown.
 * A CLI cold start took 2.6-23 s on a busy 2-core host: give it tens of seconds.
 */
export async function readGatewayWork(
  handle: DockerHandle,
  container: string,
  timeoutMs: number,
  version: string | null = null,
): Promise<GatewayWorkReading | null> {
  if (!gatewayRunsTurns(version)) return null
  const started = Date.now()
  try {
    const r = await execIn(handle, container, GATEWAY_WORK_ARGV, {timeoutMs, maxOutput: 256 * 1024})
    return {...parseGatewayWork(r), durationMs: r.durationMs}
  } catch (error) {
    return {...unknown(`the preflight call could not run in ${container}: ${(error as Error).message}`), durationMs: Date.now() - started}
  }
}

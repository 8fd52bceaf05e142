/**
 * Ends a lock holder inside its container: checks that the pid still names the same process (starttime),
 * sends SIGCONT + SIGTERM (OpenClaw releases its locks on SIGTERM), waits the grace, then SIGKILL. Also
 * resumes a stopped gateway before its restart.
 */
import type {DockerHandle} from './client.js'
import {execIn} from './exec.js'
import {PARSE_STAT_JS} from '../util/proc-stat.js'

export interface SignalResult {
  outcome: 'terminated' | 'killed' | 'continued' | 'gone' | 'recycled' | 'failed'
  detail?: string
  durationMs: number
}

/** Shared head of the in-container scripts: argv pid and expected starttime; stops unless it is the same process. */
const SAME_PROCESS = `
const fs = require('fs'); const pid = Number(process.argv[1]); const want = process.argv[2];
${PARSE_STAT_JS}
const stat = () => { try { return parseStat(fs.readFileSync('/proc/' + pid + '/stat', 'latin1')); } catch { return null; } };
const out = (o) => { process.stdout.write(JSON.stringify(o)); };
const s0 = stat();
const same = !s0 || s0.state === 'Z' ? (out({ outcome: 'gone' }), false)
  : want !== '' && String(s0.starttime) !== want ? (out({ outcome: 'recycled', detail: 'pid ' + pid + ' now names another process (starttime ' + s0.starttime + ', lock ' + want + ')' }), false)
  : true;
`

export const END_HOLDER_SCRIPT = `${SAME_PROCESS}
const grace = Number(process.argv[3]);
if (same) {
  try { process.kill(pid, 'SIGCONT'); process.kill(pid, 'SIGTERM'); } catch (e) { out({ outcome: 'failed', detail: String(e.message) }); process.exit(0); }
  const t0 = Date.now();
  const tick = () => {
    const s = stat();
    if (!s || s.state === 'Z' || s.starttime !== s0.starttime) return out({ outcome: 'terminated' });
    if (Date.now() - t0 >= grace) {
      try { process.kill(pid, 'SIGKILL'); } catch {}
      const t1 = Date.now();
      const wait = () => { const k = stat(); if (!k || k.state === 'Z' || Date.now() - t1 > 3000) out({ outcome: k && k.state !== 'Z' ? 'failed' : 'killed', detail: k && k.state !== 'Z' ? 'still alive after SIGKILL' : undefined }); else setTimeout(wait, 25); };
      return wait();
    }
    setTimeout(tick, 25);
  };
  tick();
}
`

const CONTINUE = `${SAME_PROCESS}
if (same) { try { process.kill(pid, 'SIGCONT'); out({ outcome: 'continued', detail: 'was ' + s0.state }); } catch (e) { out({ outcome: 'failed', detail: String(e.message) }); } }
`

export function endHolder(handle: DockerHandle, container: string, pid: number, starttime: number | null, graceMs: number): Promise<SignalResult> {
  return runSignalScript(handle, container, END_HOLDER_SCRIPT, [pid, starttime, graceMs], graceMs + 15_000)
}

/**
 * Resumes a stopped (SIGSTOPped, state T) process, the same one by starttime, so that the SIGTERM of a
 * restart reaches it at once and it shuts down cleanly, instead of being SIGKILLed at the stop timeout.
 */
export function continueProcess(handle: DockerHandle, container: string, pid: number, starttime: number | null, timeoutMs: number): Promise<SignalResult> {
  return runSignalScript(handle, container, CONTINUE, [pid, starttime], timeoutMs)
}

async function runSignalScript(handle: DockerHandle, container: string, script: string, args: (number | null)[], timeoutMs: number): Promise<SignalResult> {
  const started = Date.now()
  const r = await execIn(handle, container, ['node', '-e', script, ...args.map((a) => (a === null ? '' : String(a)))], {timeoutMs, user: '0'})
  if (r.exitCode !== 0 || r.timedOut)
    return {outcome: 'failed', detail: (r.stderr || r.stdout || 'timed out').trim().slice(0, 300), durationMs: Date.now() - started}
  const parsed = JSON.parse(r.stdout) as {outcome: SignalResult['outcome']; detail?: string}
  return {...parsed, durationMs: Date.now() - started}
}

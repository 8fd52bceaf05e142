/**
 * Ends a lock holder inside its container: checks that the pid still names the same process (starttime),
 * sends SIGCONT + SIGTERM (OpenClaw releases its locks on SIGTERM), waits the grace, then SIGKILL.
 */
import type {DockerHandle} from './client.js'
import {execIn} from './exec.js'

export interface SignalResult {
  outcome: 'terminated' | 'killed' | 'gone' | 'recycled' | 'failed'
  detail?: string
  durationMs: number
}

const SCRIPT = `
const fs = require('fs'); const pid = Number(process.argv[1]); const want = process.argv[2]; const grace = Number(process.argv[3]);
const stat = () => { try { const s = fs.readFileSync('/proc/' + pid + '/stat', 'latin1'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return { state: f[0], starttime: f[19] }; } catch { return null; } };
const out = (o) => { process.stdout.write(JSON.stringify(o)); };
const s0 = stat();
if (!s0 || s0.state === 'Z') { out({ outcome: 'gone' }); }
else if (want !== '' && s0.starttime !== want) { out({ outcome: 'recycled', detail: 'pid ' + pid + ' now names another process (starttime ' + s0.starttime + ', lock ' + want + ')' }); }
else {
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

export async function endHolder(handle: DockerHandle, container: string, pid: number, starttime: number | null, graceMs: number): Promise<SignalResult> {
  const started = Date.now()
  const r = await execIn(handle, container, ['node', '-e', SCRIPT, String(pid), starttime === null ? '' : String(starttime), String(graceMs)], {
    timeoutMs: graceMs + 15_000,
    user: '0',
  })
  if (r.exitCode !== 0 || r.timedOut) return {outcome: 'failed', detail: (r.stderr || r.stdout || 'timed out').trim().slice(0, 300), durationMs: Date.now() - started}
  const parsed = JSON.parse(r.stdout) as {outcome: SignalResult['outcome']; detail?: string}
  return {...parsed, durationMs: Date.now() - started}
}

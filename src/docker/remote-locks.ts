/**
 * Lock files on a host that is not this machine's disk: listed, read and removed through the Docker API only,
 * by a script run inside the instance's running container (docker exec), or, when it is stopped, inside a
 * short-lived helper container made from the instance's own image with the same bind mount. Same rules as
 * the host scanner (one streamed pass over the dir, names filtered before any stat: transcripts cost one directory
 * entry each and nothing more; never following symlinks, 64 KiB cap) and the same
 * careful removal (re-read, rename aside, verify, put back a new owner's lock).
 */
import type {Instance} from '../config/model.js'
import {DIR_BUFFER_ENTRIES, type ScanEntry} from '../locks/scan.js'
import {GATEWAY_LOCK} from '../locks/parse.js'
import type {RemoveResult} from '../locks/remove.js'
import {engineCall, type DockerHandle} from './client.js'
import type {ContainerInfo} from './discover.js'
import {execIn} from './exec.js'
import {demuxLogBuffer} from './logs.js'
import {withTimeout} from '../util/concurrency.js'

const PRELUDE = `
const fs = require('fs'); const path = require('path');
const FLAGS = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;
const kind = (st, max) => st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'directory' : !st.isFile() ? 'not-a-regular-file' : st.size > max ? 'too-large' : undefined;
const snap = (file, max) => {
  let st; try { st = fs.lstatSync(file); } catch (e) { return e.code === 'ENOENT' ? null : { size: 0, mtimeMs: Date.now(), readError: e.message }; }
  const s = kind(st, max); if (s) return { size: st.size, mtimeMs: st.mtimeMs, suspicious: s };
  let fd; try { fd = fs.openSync(file, FLAGS); } catch (e) { return e.code === 'ENOENT' ? null : e.code === 'ELOOP' ? { size: st.size, mtimeMs: st.mtimeMs, suspicious: 'symlink' } : { size: st.size, mtimeMs: st.mtimeMs, readError: e.message }; }
  try { const f = fs.fstatSync(fd); const r = kind(f, max); if (r) return { size: f.size, mtimeMs: f.mtimeMs, suspicious: r };
    const buf = Buffer.alloc(max + 1); const n = fs.readSync(fd, buf, 0, max + 1, 0);
    if (n > max) return { size: n, mtimeMs: f.mtimeMs, suspicious: 'too-large' };
    return { size: f.size, mtimeMs: f.mtimeMs, raw: buf.subarray(0, n).toString('utf8') };
  } finally { fs.closeSync(fd); }
};
`

/** `node -e SCAN_JS <dir> <maxBytes>`: the lock files of one dir as JSON `{entries, error?}` (exported for its unit test). */
export const SCAN_JS = `${PRELUDE}
const dir = process.argv[1]; const max = Number(process.argv[2]);
const gateway = new RegExp(${JSON.stringify(GATEWAY_LOCK.source)});
const keep = (n) => (n.endsWith('.jsonl.lock') && n.length > 11) || n === 'sessions.json.lock' || gateway.test(n);
let names = [];
try { const d = fs.opendirSync(dir, { bufferSize: ${DIR_BUFFER_ENTRIES} }); try { let e; while ((e = d.readSync()) !== null) if (keep(e.name)) names.push(e.name); } finally { d.closeSync(); } }
catch (e) { process.stdout.write(JSON.stringify(e.code === 'ENOENT' ? { entries: [] } : { entries: [], error: e.message })); process.exit(0); }
names.sort();
process.stdout.write(JSON.stringify({ entries: names.map((name) => { const e = snap(path.join(dir, name), max); return e && { name, ...e }; }) }));
`

const REMOVE = `${PRELUDE}
const [file, raw64, size, mtimeMs] = process.argv.slice(1); const raw = Buffer.from(raw64, 'base64').toString('utf8');
const out = (o) => process.stdout.write(JSON.stringify(o));
const now = snap(file, 65536);
if (now === null) out({ outcome: 'gone', detail: 'already released' });
else if (now.raw !== raw || now.size !== Number(size) || Math.abs(now.mtimeMs - Number(mtimeMs)) >= 1) out({ outcome: 'changed', detail: 'the lock changed since it was judged (a new owner took it)' });
else {
  const side = file + '.fleet-removing-' + process.pid + '-' + Date.now();
  try { fs.renameSync(file, side); } catch (e) { if (e.code === 'ENOENT') { out({ outcome: 'gone', detail: 'released while being removed' }); process.exit(0); } throw e; }
  const moved = snap(side, 65536);
  if (!moved || moved.raw !== raw) { try { fs.linkSync(side, file); fs.unlinkSync(side); out({ outcome: 'restored', detail: 'a new owner took the lock just before removal; it was put back' }); } catch { out({ outcome: 'restored', detail: 'a new owner lock could not be put back; kept at ' + side }); } }
  else { fs.unlinkSync(side); out({ outcome: 'removed', content: raw }); }
}
`

/** Runs a node script where the instance's state dir is mounted: its running container, else a helper container. */
async function runWhereMounted(handle: DockerHandle, inst: Instance, c: ContainerInfo, args: string[], timeoutMs: number): Promise<string> {
  if (c.state === 'running') {
    const r = await execIn(handle, c.name, ['node', '-e', ...args], {timeoutMs})
    if (r.timedOut || r.exitCode !== 0)
      throw new Error(`in ${c.name}: ${r.timedOut ? 'timed out' : `exit ${r.exitCode}`}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`)
    return r.stdout
  }
  const mount = c.mounts.find((m) => m.destination === inst.stateDir)
  if (!mount) throw new Error(`${c.name} mounts nothing at ${inst.stateDir}`)
  const helper = await engineCall(handle, 'create a helper container', () =>
    handle.docker.createContainer({
      Image: c.image,
      Entrypoint: ['node', '-e'],
      Cmd: args,
      User: '0',
      Labels: {'openclaw-fleet.helper': c.name},
      HostConfig: {Binds: [`${mount.source}:${inst.stateDir}`], NetworkMode: 'none', AutoRemove: false},
    }),
  )
  try {
    await helper.start()
    const waited = (await withTimeout(helper.wait(), timeoutMs, () => new Error(`helper container for ${c.name} timed out after ${timeoutMs} ms`))) as {
      StatusCode: number
    }
    const logs = await helper.logs({stdout: true, stderr: true, follow: false})
    const text = demuxLogBuffer(Buffer.isBuffer(logs) ? logs : Buffer.from(String(logs)))
    if (waited.StatusCode !== 0) throw new Error(`helper container for ${c.name} exited ${waited.StatusCode}: ${text.slice(0, 300)}`)
    return text
  } finally {
    await helper.remove({force: true}).catch(() => undefined)
  }
}

export async function scanViaDocker(
  handle: DockerHandle,
  inst: Instance,
  c: ContainerInfo,
  containerDir: string,
  timeoutMs: number,
): Promise<{entries: (ScanEntry | null)[]; error?: string}> {
  const out = await runWhereMounted(handle, inst, c, [SCAN_JS, containerDir, String(65536)], timeoutMs)
  return JSON.parse(out) as {entries: (ScanEntry | null)[]; error?: string}
}

export async function removeViaDocker(
  handle: DockerHandle,
  inst: Instance,
  c: ContainerInfo,
  containerPath: string,
  expected: {raw: string | null; size: number; mtimeMs: number},
  timeoutMs: number,
): Promise<RemoveResult & {content?: string}> {
  if (expected.raw === null) return {outcome: 'changed', detail: 'unreadable lock: not removed'}
  const out = await runWhereMounted(
    handle,
    inst,
    c,
    [REMOVE, containerPath, Buffer.from(expected.raw).toString('base64'), String(expected.size), String(expected.mtimeMs)],
    timeoutMs,
  )
  return JSON.parse(out) as RemoveResult & {content?: string}
}

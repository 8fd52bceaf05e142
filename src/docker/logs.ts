/**
 * The outage signature in a container's log since its current start: `session file locked (timeout N ms)`
 * lines (10000 and 60000 ms forms, `pid=N` and `owner=unknown`), with first/last occurrence and the lock paths.
 */
import {LOCK_TIMEOUT} from '../locks/signatures.js'
import {engineCall, type DockerHandle} from './client.js'

export interface LockTimeoutSignature {
  count: number
  first: string | null
  last: string | null
  timeoutsMs: number[]
  pids: number[]
  ownerUnknown: number
  paths: string[]
}

const LINE = LOCK_TIMEOUT

/** Pure: scans log text (lines optionally prefixed with a Docker RFC3339 timestamp). */
export function lockTimeoutSignature(text: string): LockTimeoutSignature {
  const sig: LockTimeoutSignature = {count: 0, first: null, last: null, timeoutsMs: [], pids: [], ownerUnknown: 0, paths: []}
  for (const line of text.split('\n')) {
    const m = LINE.exec(line)
    if (!m) continue
    sig.count++
    const ts = /^(\d{4}-\d\d-\d\dT\S+)\s/.exec(line)?.[1] ?? null
    sig.first ??= ts
    sig.last = ts
    add(sig.timeoutsMs, Number(m[1]))
    if (m[2]) add(sig.pids, Number(m[2]))
    else sig.ownerUnknown++
    add(sig.paths, m[3])
  }
  return sig
}

function add<T>(list: T[], v: T) {
  if (!list.includes(v)) list.push(v)
}

/** Demultiplexes a non-TTY Docker log buffer (8-byte frame headers) into text. */
export function demuxLogBuffer(buf: Buffer): string {
  if (buf.length >= 8 && (buf[0] === 1 || buf[0] === 2) && buf[1] === 0 && buf[2] === 0 && buf[3] === 0) {
    const parts: Buffer[] = []
    let off = 0
    while (off + 8 <= buf.length) {
      const size = buf.readUInt32BE(off + 4)
      parts.push(buf.subarray(off + 8, off + 8 + size))
      off += 8 + size
    }
    return Buffer.concat(parts).toString('utf8')
  }
  return buf.toString('utf8')
}

/** A container's log (stdout and stderr, with timestamps) since a time, as text. */
export async function containerLog(handle: DockerHandle, container: string, sinceMs: number | null): Promise<string> {
  const buf = await engineCall(handle, `logs of ${container}`, () =>
    handle.docker.getContainer(container).logs({stdout: true, stderr: true, timestamps: true, follow: false, since: sinceMs ? Math.floor(sinceMs / 1000) : 0}),
  )
  return demuxLogBuffer(Buffer.isBuffer(buf) ? buf : Buffer.from(String(buf)))
}

export async function containerLockSignature(handle: DockerHandle, container: string, sinceMs: number | null): Promise<LockTimeoutSignature> {
  return lockTimeoutSignature(await containerLog(handle, container, sinceMs))
}

/**
 * I/O where the state lives, for `fleet doctor`: the filesystem type of a state dir, a bounded create + write +
 * fsync + unlink latency probe beside it, the host's I/O pressure and the free space, once per filesystem.
 *
 * One script does the reading and the probe, in a child `node` on this machine (host data dirs) or by one `node -e`
 * exec in the container (remote engines): a filesystem that hangs cannot hang fleet (the caller's deadline stands),
 * and the same code runs in both places. The script returns the raw `/proc/self/mountinfo` and `/proc/pressure/io`
 * texts; the parsers below read them on fleet's side, so there is one parser of each.
 *
 * The probe writes only `<dir>/.fleet-io-probe-<pid>-<n>` (created with O_EXCL, so never an existing file), removes
 * each one in a `finally`, and stops sampling once its time budget is spent.
 */
import {spawn} from 'node:child_process'
import type {ExecResult} from '../docker/exec.js'
import {UsageError} from '../errors.js'

/** Network, cluster and FUSE filesystems: O_EXCL lock files (OpenClaw's session write lock) are unreliable there. */
const REMOTE_FS = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'ncpfs',
  '9p',
  'ceph',
  'glusterfs',
  'lustre',
  'gpfs',
  'beegfs',
  'afs',
  'gfs2',
  'ocfs2',
  'virtiofs',
  'davfs',
  'sshfs',
  'fuse',
])

/** Pure: whether a filesystem type is a network or remote one (nfs, cifs, fuse.*, …). */
export function isRemoteFs(fsType: string): boolean {
  return REMOTE_FS.has(fsType) || fsType.startsWith('fuse.')
}

export interface PressureLine {
  avg10: number
  avg60: number
  avg300: number
}
export interface Pressure {
  some: PressureLine | null
  full: PressureLine | null
}

/** Pure: `/proc/pressure/io` (`some avg10=0.00 avg60=0.00 avg300=0.00 total=0` and the `full` line); null when neither line parses. */
export function parsePressure(text: string | null): Pressure | null {
  if (!text) return null
  const line = (kind: string): PressureLine | null => {
    const m = new RegExp(`^${kind} avg10=([\\d.]+) avg60=([\\d.]+) avg300=([\\d.]+)`, 'm').exec(text)
    return m ? {avg10: Number(m[1]), avg60: Number(m[2]), avg300: Number(m[3])} : null
  }
  const p = {some: line('some'), full: line('full')}
  return p.some || p.full ? p : null
}

interface ProbeFs {
  openSync(p: string, flags: string, mode: number): number
  writeSync(fd: number, data: string): number
  fsyncSync(fd: number): void
  closeSync(fd: number): void
  unlinkSync(p: string): void
}

/**
 * The latency probe: `samples` rounds of create (O_EXCL) + write 4 KiB + fsync + close + unlink of
 * `<dir>/.fleet-io-probe-<pid>-<n>`, each timed in ms. Stops at the first error or once `budgetMs` is spent; a file
 * it created is removed in a finally, and it never removes a file it did not create. Self-contained (it is also
 * serialised into the script): only its parameters.
 */
export function probeLatency(dir: string, samples: number, budgetMs: number, pid: number, fs: ProbeFs, now: () => number) {
  const samplesMs: number[] = []
  let error: string | null = null
  const start = now()
  const data = 'fleet io probe, safe to delete\n'.padEnd(4096, '.')
  for (let n = 0; n < samples && now() - start < budgetMs; n++) {
    const file = `${dir}/.fleet-io-probe-${pid}-${n}`
    let fd: number | null = null
    let created = false
    const t0 = now()
    try {
      fd = fs.openSync(file, 'wx', 0o600)
      created = true
      fs.writeSync(fd, data)
      fs.fsyncSync(fd)
      fs.closeSync(fd)
      fd = null
      fs.unlinkSync(file)
      created = false
      samplesMs.push(now() - t0)
    } catch (e) {
      error = `${file}: ${(e as Error).message}`
      break
    } finally {
      if (fd !== null) {
        try {
          fs.closeSync(fd)
        } catch {
          // already closed or unusable: nothing else to do with it
        }
      }
      if (created) {
        try {
          fs.unlinkSync(file)
        } catch {
          // reported through `error` already; the name says what it is
        }
      }
    }
  }
  return {samplesMs, error, budgetExceeded: error === null && samplesMs.length < samples}
}

/** Sampling stops once this is spent (the probe's cost is bounded by it, plus the node start). */
export const IO_PROBE_BUDGET_MS = 10_000
/** The whole script's deadline: the budget plus a slow `node` start in a busy container (3-12 s seen for the CLI). */
export const IO_PROBE_TIMEOUT_MS = IO_PROBE_BUDGET_MS + 20_000
export const IO_SAMPLES_DEFAULT = 20
export const IO_SAMPLES_MAX = 1000

/** `--io-samples`: a whole number from 0 (no latency probe) to IO_SAMPLES_MAX; a UsageError (exit 2) otherwise. */
export function parseIoSamples(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN
  if (!Number.isSafeInteger(n) || n > IO_SAMPLES_MAX)
    throw new UsageError(`--io-samples: expected a whole number from 0 to ${IO_SAMPLES_MAX}, got "${value}"`, '0 skips the latency probe')
  return n
}

/** argv: dir, samples, budget ms, devices already probed (comma-separated: the script then only reads, no probe). */
export const IO_PROBE_JS = `
const fs = require('fs');
const probeLatency = ${probeLatency.toString()};
const [dir, samples, budget, skip] = process.argv.slice(1);
const read = (p) => { try { return fs.readFileSync(p, 'latin1'); } catch { return null; } };
const out = { pid: process.pid, real: null, dev: null, mountinfo: read('/proc/self/mountinfo'), pressure: read('/proc/pressure/io'), freeBytes: null, totalBytes: null, skipped: false, samplesMs: [], error: null, budgetExceeded: false };
try {
  out.real = fs.realpathSync(dir);
  out.dev = String(fs.statSync(out.real).dev);
  if (fs.statfsSync) { const s = fs.statfsSync(out.real); out.freeBytes = s.bavail * s.bsize; out.totalBytes = s.blocks * s.bsize; }
  out.skipped = (skip || '').split(',').includes(out.dev);
  if (!out.skipped) Object.assign(out, probeLatency(out.real, Number(samples), Number(budget), process.pid, fs, () => Number(process.hrtime.bigint()) / 1e6));
} catch (e) { out.error = String(e && e.message); }
process.stdout.write(JSON.stringify(out));
`

export function ioProbeArgv(dir: string, samples: number, skipDevs: readonly string[], budgetMs = IO_PROBE_BUDGET_MS): string[] {
  return ['node', '-e', IO_PROBE_JS, dir, String(samples), String(budgetMs), skipDevs.join(',')]
}

export interface IoProbe {
  pid: number
  real: string | null
  dev: string | null
  mountinfo: string | null
  pressure: string | null
  freeBytes: number | null
  totalBytes: number | null
  /** Its filesystem was already probed (same device): read only. */
  skipped: boolean
  samplesMs: number[]
  error: string | null
  budgetExceeded: boolean
  /** Set by fleet, not the script: the instance whose probe measured this filesystem, when skipped here. */
  measuredWith?: string
}

type Ran = Pick<ExecResult, 'exitCode' | 'stdout' | 'stderr' | 'timedOut'>

/** Pure: the script's answer, or an error that says what came back. */
export function parseIoProbe(r: Ran, timeoutMs = IO_PROBE_TIMEOUT_MS): IoProbe | Error {
  if (r.timedOut)
    return new Error(`the I/O probe did not finish within ${timeoutMs / 1000} s: the filesystem stalls (a .fleet-io-probe-* file may be left behind)`)
  if (r.exitCode !== 0) return new Error(`the I/O probe exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`)
  try {
    const d = JSON.parse(r.stdout) as IoProbe
    if (typeof d !== 'object' || d === null || !Array.isArray(d.samplesMs) || !d.samplesMs.every((x) => typeof x === 'number')) throw new Error('bad shape')
    return d
  } catch {
    return new Error(`unexpected I/O probe output: ${r.stdout.trim().slice(0, 200)}`)
  }
}

/** Runs the script with this machine's node, for a host data dir; resolves at the deadline even if the child hangs in the kernel. */
export function runIoProbeHere(dir: string, samples: number, skipDevs: readonly string[], timeoutMs = IO_PROBE_TIMEOUT_MS): Promise<Ran> {
  const [, ...args] = ioProbeArgv(dir, samples, skipDevs)
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')))
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      child.unref()
      resolve({exitCode: null, stdout, stderr, timedOut: true})
    }, timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve({exitCode: -1, stdout, stderr: error.message, timedOut: false})
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({exitCode: code, stdout, stderr, timedOut: false})
    })
  })
}

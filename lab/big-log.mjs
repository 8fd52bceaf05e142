// Makes a container's log big fast: appends well-formed json-file lines to the file the json-file driver keeps
// (/var/lib/docker/containers/<id>/<id>-json.log), as the daemon would have written them. Needs root on the engine
// host and the json-file driver; the daemon reads what is appended (checked on Docker 20.10).
//
// appendJsonLog(container, {bytes, fromMs, toMs, lines, file}) writes about `bytes` of noise lines whose timestamps
// rise evenly from fromMs to toMs, then the given `lines` (each {text, atMs}) in order, to the container's log (or
// to `file`). Returns the file, the bytes written and the number of lines.
//
// Docker 20.10 reads a json-file log at its path up to the file's size, so appended lines are read. Later daemons
// (moby 23+) read up to the position they wrote themselves, and would not see them: callers check that the engine
// shows the last appended line before relying on it.
import fs from 'node:fs'
import {docker} from './run.mjs'

/** The json-file log of a container (LogPath), and whether the driver is json-file. */
export async function jsonLogPath(container) {
  const {stdout} = await docker(['inspect', '--format', '{{.LogPath}}|{{.HostConfig.LogConfig.Type}}', container])
  const [file, driver] = stdout.trim().split('|')
  if (driver !== 'json-file' || !file) throw new Error(`${container}: log driver ${driver}, not json-file: cannot append to its log`)
  return file
}

/** RFC3339Nano as the json-file driver writes it: `2026-12-04T03:14:31.321285775Z`. */
export function rfc3339Nano(ms, extraNs = 0) {
  const iso = new Date(Math.floor(ms)).toISOString() // 2026-12-04T03:14:31.321Z
  const ns = String(Math.floor(ms % 1000) * 1_000_000 + (extraNs % 1_000_000)).padStart(9, '0')
  return `${iso.slice(0, 19)}.${ns}Z`
}

/** One json-file line (the text gets its newline and JSON escaping here). */
export function jsonLogLine(text, ms, stream = 'stdout', extraNs = 0) {
  return `${JSON.stringify({log: `${text}\n`, stream, time: rfc3339Nano(ms, extraNs)})}\n`
}

const NOISE = (i) =>
  `[agent/embedded] run done session=agent:main:user-${i % 977} runId=r${i.toString(36).padStart(8, '0')} durationMs=${(i * 37) % 90_000} tokens=${(i * 13) % 4096} ok`

/** Noise lines fast: NOISE needs no JSON escaping, and the date part of the timestamp changes once a second. */
function noiseLines() {
  let second = NaN
  let prefix = ''
  return (i, ms, stream, extraNs) => {
    const s = Math.floor(ms / 1000)
    if (s !== second) {
      second = s
      prefix = new Date(s * 1000).toISOString().slice(0, 19)
    }
    const ns = String(Math.floor(ms % 1000) * 1_000_000 + (extraNs % 1_000_000)).padStart(9, '0')
    return `{"log":"${NOISE(i)}\\n","stream":"${stream}","time":"${prefix}.${ns}Z"}\n`
  }
}

export async function appendJsonLog(container, {bytes, fromMs, toMs, lines = [], file: into}) {
  const file = into ?? (await jsonLogPath(container))
  const sample = jsonLogLine(NOISE(123456), fromMs)
  const count = Math.max(0, Math.floor(bytes / sample.length))
  const step = count > 0 ? (toMs - fromMs) / count : 0
  const out = fs.createWriteStream(file, {flags: 'a', highWaterMark: 1 << 20})
  const write = (s) => (out.write(s) ? null : new Promise((r) => out.once('drain', r)))
  const noise = noiseLines()
  let written = 0
  let chunk = ''
  for (let i = 0; i < count; i++) {
    chunk += noise(i, fromMs + i * step, i % 5 === 0 ? 'stderr' : 'stdout', i % 1000)
    if (chunk.length >= 1 << 20) {
      written += chunk.length
      const wait = write(chunk)
      chunk = ''
      if (wait) await wait
    }
  }
  for (const l of lines) chunk += jsonLogLine(l.text, l.atMs, l.stream ?? 'stdout')
  written += Buffer.byteLength(chunk)
  write(chunk)
  await new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve())))
  return {file, bytes: written, lines: count + lines.length}
}

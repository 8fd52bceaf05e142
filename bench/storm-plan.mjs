// The storm benchmark's pure parts: the seeded plan (turn times, fault times and kinds) and the analysis of what
// the turns saw. No I/O here; bench/storm.mjs runs the plan on four labs at once. Unit-tested in
// test/unit/storm-plan.test.ts.

/** Fault kinds of the storm, in the order the issue names them. */
export const STORM_KINDS = ['dead-holder', 'orphan-exec', 'frozen-gateway', 'previous-incarnation', 'malformed-lock']

/**
 * The time after which fleet can prove each kind dead (or, for the orphan, nobody's), with the lab's fleet config
 * (locks.orphanAfter 5s, deadlineMargin 4s, maxHold 20s, malformedGrace 5s) and the orphan's `--timeout 1`:
 * - dead-holder: at once (its pid is gone; OpenClaw 2026.4.29 reclaims it on the next turn by itself);
 * - orphan-exec: past its own --timeout (1 s) + deadlineMargin (4 s);
 * - previous-incarnation: at once (the lock was written before the container started);
 * - malformed-lock: malformedGrace (5 s), as OpenClaw's own mtime fallback;
 * - frozen-gateway: not provable: a stopped gateway is alive; it is `hung` only past maxHold (20 s), a restart.
 * "In time" is within OpenClaw's own lock wait (10 s): a turn that waits for such a lock still gets it.
 */
export const PROVABLE_AFTER_MS = {'dead-holder': 0, 'orphan-exec': 5_000, 'previous-incarnation': 0, 'malformed-lock': 5_000, 'frozen-gateway': null}
export const OPENCLAW_LOCK_WAIT_MS = 10_000
export const provableInTime = (kind) => PROVABLE_AFTER_MS[kind] !== null && PROVABLE_AFTER_MS[kind] < OPENCLAW_LOCK_WAIT_MS

/** mulberry32: a small seeded PRNG, so every mode (and every re-run with the same seed) gets the same storm. */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The plan for n instances (indexes 0..n-1) over durationMs:
 * - turns: per index, one every turnEveryMs (a random phase, ±25 % jitter each), from 0 to durationMs;
 * - faults: one per index (shuffled), kinds cycling over STORM_KINDS, at uniform random times in
 *   [faultsFromMs, durationMs - quietTailMs], so that every fault has time to show what each mode does with it.
 * Resolves {turns: [{index, at}], faults: [{index, kind, at}]}, both sorted by time (ms from the storm's start).
 */
export function stormPlan({instances, durationMs, turnEveryMs, seed = 1, faultsFromMs = 30_000, quietTailMs = 120_000}) {
  if (!(instances >= 1) || !(durationMs > faultsFromMs + quietTailMs) || !(turnEveryMs > 0)) throw new Error('storm plan: needs instances >= 1, durationMs > faultsFromMs + quietTailMs and turnEveryMs > 0')
  const r = rng(seed)
  const turns = []
  for (let index = 0; index < instances; index++) {
    for (let at = r() * turnEveryMs; at < durationMs; at += turnEveryMs * (0.75 + r() * 0.5)) turns.push({index, at: Math.round(at)})
  }
  const order = Array.from({length: instances}, (_, i) => i)
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1))
    ;[order[i], order[j]] = [order[j], order[i]]
  }
  const span = durationMs - quietTailMs - faultsFromMs
  const faults = order.map((index, k) => ({index, kind: STORM_KINDS[k % STORM_KINDS.length], at: Math.round(faultsFromMs + r() * span)}))
  const byTime = (a, b) => a.at - b.at || a.index - b.index
  return {turns: turns.sort(byTime), faults: faults.sort(byTime)}
}

/** A turn's outcome class from what the client saw. */
export function turnClass({status, body, error}) {
  if (error) return /timeout/i.test(error) ? 'timeout' : /ECONNREFUSED|ENOENT|ECONNRESET|EPIPE|socket hang up/i.test(error) ? 'unreachable' : 'other'
  if (status === 200 && body?.result?.payloads?.[0]?.text) return 'ok'
  return /session file locked/.test(String(body?.error ?? '')) ? 'locked' : 'other'
}

const percentile = (sorted, p) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))])

/**
 * What one mode's turns saw. turns: [{index, sentAt, ms, cls}] (sentAt: ms from the storm's start); faults:
 * [{index, kind, startAt, endAt, error}] as injected in this mode's lab (endAt: when the injection returned).
 * A failed turn is blamed on its instance's fault when it was sent after the fault's injection started: on the
 * injection itself while that ran (e.g. the restart a previous incarnation needs), on the fault after.
 */
export function analyseTurns(turns, faults) {
  const faultOf = new Map(faults.map((f) => [f.index, f]))
  const failed = turns.filter((t) => t.cls !== 'ok')
  const blame = (t) => {
    const f = faultOf.get(t.index)
    if (!f || t.sentAt < f.startAt) return 'no-fault'
    return t.sentAt <= f.endAt ? 'injection' : f.kind
  }
  const count = (xs, key) => xs.reduce((acc, x) => ((acc[key(x)] = (acc[key(x)] ?? 0) + 1), acc), {})
  const okMs = turns.filter((t) => t.cls === 'ok').map((t) => t.ms).sort((a, b) => a - b)
  const allMs = turns.map((t) => t.ms).sort((a, b) => a - b)
  const byCause = count(failed, blame)
  const provableFailed = failed.filter((t) => provableInTime(blame(t))).length
  // Per fault: from the end of its injection to the first turn of that instance answered after it.
  const recoveries = faults.map((f) => {
    const next = turns.filter((t) => t.index === f.index && t.cls === 'ok' && t.sentAt > f.endAt).sort((a, b) => a.sentAt - b.sentAt)[0]
    const failedTurns = failed.filter((t) => t.index === f.index && t.sentAt > f.endAt).length
    return {index: f.index, kind: f.kind, answeredAfterMs: next ? Math.round(next.sentAt + next.ms - f.endAt) : null, failedTurns}
  })
  return {
    turns: turns.length,
    failed: failed.length,
    failedByClass: count(failed, (t) => t.cls),
    failedByCause: byCause,
    failedFromFaults: failed.length - (byCause['no-fault'] ?? 0) - (byCause.injection ?? 0),
    failedFromProvableInTime: provableFailed,
    latencyOkMs: {p50: percentile(okMs, 50), p95: percentile(okMs, 95), max: okMs.at(-1) ?? null, n: okMs.length},
    latencyAllMs: {p50: percentile(allMs, 50), p95: percentile(allMs, 95)},
    recoveries,
  }
}

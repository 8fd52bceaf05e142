/** Observation fixtures for unit tests of the decisions (heal plan, watch, restart rule). */
import {noVerdicts} from '../../src/locks/types.js'
import type {InstanceStatus, LockReport} from '../../src/observe/observe.js'

/** A version fleet knows (JSONL locks), as observe reports it. */
export const KNOWN_VERSION: InstanceStatus['openclaw'] = {version: '2026.4.29', storage: 'jsonl', source: 'cache', error: null}

/** A running, ok instance with these locks; `extra` overrides any field. */
export function instanceStatus(locks: LockReport[], extra: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    id: 7,
    name: 'oc7',
    group: 'g',
    container: 'c',
    service: 's',
    state: 'running',
    health: 'healthy',
    startedAt: null,
    uptimeMs: 1,
    restartCount: 0,
    image: 'i',
    compose: null,
    foundBy: 'name',
    locks,
    counts: noVerdicts(),
    worst: null,
    sharedWith: [],
    logSignature: null,
    unlisted: [],
    readOnlyMounts: [],
    openclaw: KNOWN_VERSION,
    leases: null,
    life: {
      state: 'ready',
      why: 'ready line since this start',
      serves: true,
      restartCount: 0,
      exitCode: null,
      upMs: 1,
      readiness: {state: 'ready', source: 'ready-line', detail: null},
      refusal: null,
      lastLine: null,
      channelsDown: [],
    },
    mount: {ok: true, problem: null, configured: '/data/oc7', mounted: '/data/oc7', readOnly: false, why: 'mounted'},
    stateFs: {
      state: 'ok',
      why: 'state dir /data/oc7 is on ext4 (/dev/sda1 at /): 20 GiB free of 40 GiB',
      path: '/data/oc7',
      fsType: 'ext4',
      source: '/dev/sda1',
      mountPoint: '/',
      freeBytes: 20 * 1024 ** 3,
      totalBytes: 40 * 1024 ** 3,
      readOnly: false,
    },
    storage: null,
    errors: [],
    ok: true,
    ...extra,
  }
}

/** A session lock report `/d/s<i>.jsonl.lock` with this verdict, held by pid 26 (an `openclaw-agent` turn, alive); `extra` overrides any field. */
export function lockReport(verdict: LockReport['verdict'], i = 0, extra: Partial<LockReport> = {}): LockReport {
  return {
    path: `/d/s${i}.jsonl.lock`,
    containerPath: `/c/s${i}.jsonl.lock`,
    kind: 'session',
    agent: 'main',
    session: `s${i}`,
    size: 10,
    mtime: '2026-01-01T00:00:00.000Z',
    suspicious: null,
    raw: `{"pid": ${26 + i}}`,
    readError: null,
    pid: 26,
    createdAt: null,
    starttime: 5,
    payloadProblems: [],
    verdict,
    reasons: [],
    ageMs: 1000,
    evidence: {
      container: 'c',
      containerRunning: true,
      containerStartedAt: null,
      mountedBy: ['c'],
      process: {pid: 26, exists: true, starttime: 5, cmdline: ['openclaw-agent'], isAgent: true},
      probeError: null,
      processSource: null,
      clockSkewMs: null,
    },
    ...extra,
  }
}

/** Observation fixtures for unit tests of the decisions (heal plan, watch, restart rule). */
import {noVerdicts} from '../../src/locks/types.js'
import type {InstanceStatus, LockReport} from '../../src/runbook/observe.js'

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
    errors: [],
    ok: true,
    ...extra,
  }
}

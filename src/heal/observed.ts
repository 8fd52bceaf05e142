/**
 * What heal records of each instance before it acts (the incident log's `observed` record), for the postmortem's
 * contributing factors (src/incidents/postmortem.ts): the container, its OpenClaw version, its life-cycle state, its
 * state mount, the failed-lock lines of its log, the filesystem of its state dir (as the observation read it: status's
 * `stateFs`, not read again) and the doctor checks that need no exec (small-context fallback models). A probe's answer
 * is recorded too (`probe`).
 */
import {existsSync} from 'node:fs'
import type {Instance} from '../config/model.js'
import type {Check} from '../doctor/check.js'
import {modelChecks} from '../doctor/doctor.js'
import {isRemoteFs} from '../doctor/io-probe.js'
import type {StateFsStatus} from '../observe/state-fs.js'
import {decideRestart, observedFacts, type RestartPolicy} from '../decide/restart.js'
import type {InstanceStatus} from '../observe/status-model.js'
import type {PingResult} from '../ping/ping.js'

/** The filesystem a state dir is on, as the observation read it (the `observed` record's `fs`). */
export interface StateFs {
  type: string
  source: string | null
  mountPoint: string
  remote: boolean
}

/** What heal reads beside the observation for the record. */
export interface ObservedExtras {
  /** Doctor checks that did not pass (warn or fail). */
  warnings: Check[]
}

/**
 * Pure: the filesystem of a state dir from the observation's reading of it (InstanceStatus.stateFs), or null when its
 * mount was not read (remote engine, lockAccess docker, no state dir, an unreadable mount table).
 */
export function stateFsOf(fs: StateFsStatus): StateFs | null {
  if (fs.fsType === null || fs.mountPoint === null) return null
  return {type: fs.fsType, source: fs.source, mountPoint: fs.mountPoint, remote: isRemoteFs(fs.fsType)}
}

/** Reads what the record needs beside the observation: cheap host reads only (openclaw.json per instance). */
export function observedExtras(instances: readonly Instance[]): Map<number, ObservedExtras> {
  const out = new Map<number, ObservedExtras>()
  for (const inst of instances) {
    const here = inst.lockAccess === 'host' && existsSync(inst.dataDir)
    out.set(inst.id, {warnings: here ? modelChecks(inst).filter((c) => c.status !== 'pass') : []})
  }
  return out
}

/** Pure: the `observed` record of one instance. */
export function observedRecord(st: InstanceStatus, extras: ObservedExtras | undefined): Record<string, unknown> {
  return {
    instance: st.name,
    container: st.container,
    state: st.state,
    health: st.health,
    startedAt: st.startedAt,
    restartCount: st.restartCount,
    sharedWith: st.sharedWith,
    logSignature: st.logSignature,
    openclaw: {version: st.openclaw.version, storage: st.openclaw.storage},
    life: {state: st.life.state, why: st.life.why},
    mount: st.mount ? {ok: st.mount.ok, why: st.mount.why} : null,
    fs: stateFsOf(st.stateFs),
    warnings: (extras?.warnings ?? []).map((w) => ({check: w.check, status: w.status, message: w.message, hint: w.hint})),
  }
}

/** A --probe ping before heal judged anything: its answer, when it started and how long it took. */
export interface ProbeAnswer {
  ping: PingResult
  at: string
  durationMs: number
}

/**
 * Pure: the `probe` record: the probe's class and duration, and the restart rule's answer to it as the instance was
 * observed (a failure a restart cures says restart: heal still acts first and pings again before it restarts).
 */
export function probeRecord(p: ProbeAnswer, st: InstanceStatus, acted: boolean, policy: RestartPolicy): Record<string, unknown> {
  const rule = decideRestart({...observedFacts(st), pingFailure: p.ping.ok ? null : p.ping.failure, acted}, policy)
  return {
    instance: p.ping.name,
    at: p.at,
    ok: p.ping.ok,
    failure: p.ping.failure,
    detail: p.ping.detail,
    durationMs: p.durationMs,
    restart: {restart: rule.restart, why: rule.why, hint: rule.hint},
  }
}

/**
 * The primary cause of an incident, from the verdicts fleet recorded for the locks it acted on (pure). One cause
 * per lock, then the most telling one across the run: what blocked turns the longest and what an operator must
 * fix first comes first (a shared dir before a frozen gateway before an orphan before a stale file).
 */
import path from 'node:path'
import {lockKindOf} from '../locks/parse.js'
import type {LockKind} from '../locks/types.js'

export type Cause =
  | 'shared-dir'
  | 'frozen-gateway'
  | 'stuck-sqlite-writer'
  | 'orphan-exec'
  | 'gateway-lock-reuse'
  | 'previous-incarnation'
  | 'dead-holder'
  | 'malformed-lock'
  | 'legacy-litter'
  | 'unresponsive-gateway'
  | 'unknown'

/** Most telling first: the primary cause is the first of these any lock (or the run) shows. */
export const CAUSE_ORDER: readonly Cause[] = [
  'shared-dir',
  'frozen-gateway',
  'stuck-sqlite-writer',
  'orphan-exec',
  'gateway-lock-reuse',
  'previous-incarnation',
  'dead-holder',
  'malformed-lock',
  'legacy-litter',
  'unresponsive-gateway',
  'unknown',
]

export const CAUSE_TEXT: Record<Cause, string> = {
  'shared-dir': 'shared sessions dir: two containers mount the same sessions dir and take each other’s locks',
  'frozen-gateway': 'frozen holder: a live process held the lock past locks.maxHold, or was stopped (state T)',
  'stuck-sqlite-writer': 'stuck SQLite writer: an agent process held the database write lock past its deadline',
  'orphan-exec': 'orphan exec: an `openclaw agent` turn whose client was gone, or past its deadline, held the lock',
  'gateway-lock-reuse': 'gateway lock reuse: a gateway lock left by an earlier gateway blocked its start',
  'previous-incarnation': 'previous incarnation: a lock written before the container’s current start',
  'dead-holder': 'dead holder: the process that wrote the lock is gone (dead, zombie or reused pid)',
  'malformed-lock': 'malformed lock: an empty, unreadable or pid-less lock file',
  'legacy-litter': 'legacy litter: a .jsonl.lock that OpenClaw 2026.8+ no longer reads, tidied (heal --tidy)',
  'unresponsive-gateway': 'unresponsive gateway: no lock to blame; the gateway failed its ping and was restarted',
  unknown: 'unknown: no verdict fleet recorded names a cause',
}

export interface CauseLock {
  path: string
  verdict: string
  reasons: string[]
  /** As recorded (since the kind was logged), else from the file name. */
  kind?: LockKind | string
}

/** The kind of a lock record: the recorded one, else from the file name (an SQLite database is a writer lock). */
export function kindOf(l: Pick<CauseLock, 'path' | 'kind'>): string | null {
  if (l.kind) return l.kind
  const name = path.basename(l.path)
  return lockKindOf(name) ?? (/\.sqlite3?$/.test(name) ? 'sqlite-writer' : null)
}

const DEAD = ['dead-pid', 'zombie', 'recycled-pid', 'container-not-running']
const MALFORMED = ['missing-pid', 'invalid-pid', 'invalid-createdAt', 'unreadable', 'being-written', 'no-starttime']

/** Pure: the cause one lock's verdict names, or null (a live or ignored lock names none). */
export function lockCause(l: CauseLock): Cause | null {
  const has = (...r: string[]) => r.some((x) => l.reasons.includes(x))
  const kind = kindOf(l)
  if (l.verdict === 'conflict' || has('shared-sessions-dir')) return 'shared-dir'
  if (kind === 'sqlite-writer' && (l.verdict === 'orphan' || l.verdict === 'hung' || has('past-deadline', 'client-gone'))) return 'stuck-sqlite-writer'
  if (l.verdict === 'hung' || has('stopped')) return 'frozen-gateway'
  if (l.verdict === 'orphan') return 'orphan-exec'
  if (l.verdict === 'ignored') return has('legacy-ignored') ? 'legacy-litter' : null
  if (l.verdict !== 'stale') return null
  if (kind === 'gateway') return 'gateway-lock-reuse'
  if (has('predates-container-start')) return 'previous-incarnation'
  if (has(...DEAD)) return 'dead-holder'
  if (has(...MALFORMED)) return 'malformed-lock'
  return 'unknown'
}

export interface CauseFinding {
  primary: Cause
  text: string
  /** Every cause seen, most telling first, with the locks that show it. */
  all: {cause: Cause; locks: string[]}[]
}

/**
 * Pure: the run's primary cause from the locks it acted on (else every lock it judged unhealthy); a conflict with
 * no lock, or a restart after a failed ping, when no lock names a cause.
 */
export function classifyCause(input: {acted: CauseLock[]; judged: CauseLock[]; conflict: boolean; restartedAfterPing: boolean}): CauseFinding {
  const by = new Map<Cause, string[]>()
  const add = (c: Cause, p: string) => by.set(c, [...(by.get(c) ?? []), p])
  for (const l of input.acted) {
    const c = lockCause(l)
    if (c) add(c, l.path)
  }
  if (by.size === 0)
    for (const l of input.judged) {
      const c = lockCause(l)
      if (c) add(c, l.path)
    }
  if (input.conflict && !by.has('shared-dir')) by.set('shared-dir', [])
  if (by.size === 0) by.set(input.restartedAfterPing ? 'unresponsive-gateway' : 'unknown', [])
  const all = CAUSE_ORDER.filter((c) => by.has(c)).map((cause) => ({cause, locks: by.get(cause) as string[]}))
  return {primary: all[0].cause, text: CAUSE_TEXT[all[0].cause], all}
}

/**
 * The work `fleet watch` has in flight, beside its scan loop: per instance at most one piece of work (the clears,
 * holder ends and restart one judgement asked for, run in order), restarts bounded by a limit (the rest wait in
 * order), and when each instance's last work ended. The scan loop asks mayAct before acting on an instance: one
 * with work in flight, or observed before its last work ended, is observed and reported only. Pure: the Watcher
 * holds a WorkBook and replaces it with what these functions return.
 */

/** locks: clears and holder ends only (never waits for a slot); restart: a restart and its wait (bounded). */
export type WorkKind = 'locks' | 'restart'

export interface Work {
  id: number
  kind: WorkKind
  /** When the work was asked for. */
  since: number
  /** queued: a restart waiting for a slot; running: started. */
  stage: 'queued' | 'running'
}

export interface WorkBook {
  readonly work: ReadonlyMap<number, Work>
  /** Queued restarts, first asked first. */
  readonly queue: readonly number[]
  /** When the last work on each instance ended. */
  readonly endedAt: ReadonlyMap<number, number>
}

export const emptyBook = (): WorkBook => ({work: new Map(), queue: [], endedAt: new Map()})

export const isBusy = (book: WorkBook, id: number): boolean => book.work.has(id)

export const runningRestarts = (book: WorkBook): number => [...book.work.values()].filter((w) => w.kind === 'restart' && w.stage === 'running').length

/**
 * Whether a judgement of this instance, from an observation that began at observedAt, may act: no work in flight
 * on it, and the observation is not older than the end of its last work (what it saw may be what that work changed).
 */
export function mayAct(book: WorkBook, id: number, observedAt: number): boolean {
  if (isBusy(book, id)) return false
  const ended = book.endedAt.get(id)
  return ended === undefined || observedAt >= ended
}

/**
 * Work asked for an instance. Refused (null) while the instance has work in flight. Clears and holder ends start at
 * once; a restart starts when fewer than `limit` restarts run and none waits before it, else it waits in the queue.
 */
export function submit(book: WorkBook, w: Pick<Work, 'id' | 'kind' | 'since'>, limit: number): {book: WorkBook; start: boolean} | null {
  if (isBusy(book, w.id)) return null
  const start = w.kind === 'locks' || (book.queue.length === 0 && runningRestarts(book) < Math.max(1, limit))
  const work = new Map(book.work).set(w.id, {...w, stage: start ? 'running' : 'queued'})
  return {book: {...book, work, queue: start ? book.queue : [...book.queue, w.id]}, start}
}

/** The instance's work ended at `now`: it is removed, and queued restarts start, in order, while slots are free. */
export function finish(book: WorkBook, id: number, limit: number, now: number): {book: WorkBook; start: number[]} {
  const work = new Map(book.work)
  work.delete(id)
  let queue = book.queue.filter((q) => q !== id)
  const start: number[] = []
  let running = runningRestarts({...book, work})
  while (queue.length > 0 && running < Math.max(1, limit)) {
    const next = queue[0]
    queue = queue.slice(1)
    work.set(next, {...(work.get(next) as Work), stage: 'running'})
    start.push(next)
    running++
  }
  return {book: {work, queue, endedAt: new Map(book.endedAt).set(id, now)}, start}
}

/** Stopping: the queued restarts, which never started, are dropped (and returned to be reported); running work stays. */
export function dropQueued(book: WorkBook): {book: WorkBook; dropped: Work[]} {
  const dropped = book.queue.map((id) => book.work.get(id) as Work)
  const work = new Map(book.work)
  for (const id of book.queue) work.delete(id)
  return {book: {...book, work, queue: []}, dropped}
}

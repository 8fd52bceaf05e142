/**
 * Progress as events: what a backend (heal, heal's probe, ping) says of its steps while it runs, and nothing about how
 * they are shown. The renderer is chosen and driven in one place (progress.ts, progressView); `--json` gets no view.
 *
 * The vocabulary, per step (an instance, or a step of an instance's heal):
 * - queued: the step will run (a line waiting where a tree is drawn); optional, a step may start without it;
 * - started: the step runs now, under `parent` when it is a step of another step;
 * - output: a line of what the running step is doing (its title stays);
 * - finished: how it ended and its final line: `ok`, `failed` (never shown as ✔), `skipped` (not started), `planned`
 *   (a dry run's: would be done, was not).
 *
 * Rules a backend keeps: ids are unique in a run; a child starts after its parent and finishes before it; every step
 * that started finishes; the top-level steps of one phase are queued together, in one go, before any of them starts
 * (where a tree is drawn they are its lines from the start). Text is raw (file names, container output): the renderer
 * makes it printable. `instance` names the instance a nested step belongs to: plain lines, which stand alone, are
 * prefixed with it; a tree shows it once, on the parent's line.
 */
export type StepOutcome = 'ok' | 'failed' | 'skipped' | 'planned'

export type ProgressEvent =
  | {type: 'queued'; id: string; parent?: string; instance?: string; title: string}
  | {type: 'started'; id: string; parent?: string; instance?: string; title: string}
  | {type: 'output'; id: string; text: string}
  | {type: 'finished'; id: string; outcome: StepOutcome; title: string}

export type ProgressSink = (event: ProgressEvent) => void

/** The sink of a run nobody watches (a dry run's steps, tests): it keeps nothing. */
export const noProgress: ProgressSink = () => undefined

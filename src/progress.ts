/**
 * The one place fleet's progress output (listr2) is configured and driven: which renderer, where its lines go, whether
 * they are coloured, and the view (progressView) that turns a backend's progress events (progress-events.ts) into the
 * listr2 tree. Backends (heal, heal's probe, ping) emit events and import nothing of listr2.
 *
 * The rules, whatever the mode (TTY, piped, CI, --verbose):
 * - a step that failed shows ✖, never ✔ (a task that throws; its error message is the whole line to show);
 * - a ✖ or skipped line says its message once (not `title [FAILED: message]`);
 * - plain lines all go to stdout, failures included (`fleet ping 2>/dev/null` still shows the ✖ lines);
 * - no colour with NO_COLOR, FORCE_COLOR=0 (or false), TERM=dumb, or off a TTY unless FORCE_COLOR asks for it.
 */
import {
  LISTR_DEFAULT_RENDERER_STYLE,
  LISTR_LOGGER_STYLE,
  Listr,
  ListrLogger,
  ListrLogLevels,
  type ListrBaseClassOptions,
  type ListrTask,
  type ListrTaskWrapper,
} from 'listr2'
import type {ProgressEvent, ProgressSink, StepOutcome} from './progress-events.js'
import {printable} from './util/escape.js'

export type RendererName = 'silent' | 'simple' | 'default' | 'verbose'

const isSet = (v: string | undefined) => v !== undefined && v !== ''
const isOff = (v: string | undefined) => v === '0' || v === 'false'

/** listr2 renderer choice: nothing but JSON with --json; plain lines when not a TTY, in CI or with TERM=dumb; the tree otherwise. */
export function chooseRenderer(opts: {json?: boolean; verbose?: boolean; env?: NodeJS.ProcessEnv; isTTY?: boolean}): RendererName {
  const env = opts.env ?? process.env
  if (opts.json) return 'silent'
  const ci = isSet(env.CI) && !isOff(env.CI)
  const tty = opts.isTTY ?? Boolean(process.stdout.isTTY)
  // TERM=dumb: a terminal that cannot move the cursor gets plain lines, never the animated tree.
  const dumb = env.TERM === 'dumb'
  if (ci || !tty || dumb) return opts.verbose ? 'verbose' : 'simple'
  return 'default'
}

/**
 * `fleet watch`'s view, by the same rule: its events as JSON lines with --json; the live table where the tree would be
 * drawn (a TTY, not CI, not TERM=dumb); plain lines, one per event and per scan, otherwise.
 */
export function chooseWatchView(opts: {json?: boolean; env?: NodeJS.ProcessEnv; isTTY?: boolean}): 'json' | 'live' | 'lines' {
  if (opts.json) return 'json'
  return chooseRenderer({...opts, json: false}) === 'default' ? 'live' : 'lines'
}

/**
 * Whether output may carry colour codes: NO_COLOR (any value but empty) and FORCE_COLOR=0/false say no; any other
 * FORCE_COLOR says yes; otherwise only on a TTY that is not TERM=dumb. (listr2's colorette takes FORCE_COLOR=0 as
 * "force", hence this rule of fleet's own.)
 */
export function colorWanted(env: NodeJS.ProcessEnv = process.env, isTTY: boolean = Boolean(process.stdout.isTTY)): boolean {
  if (isSet(env.NO_COLOR)) return false
  if (env.FORCE_COLOR !== undefined) return !isOff(env.FORCE_COLOR)
  return isTTY && env.TERM !== 'dumb'
}

/** Every listr2 style level (its own and the tree renderer's) without colour. */
const NO_COLOR_STYLE: Record<string, (s?: string) => string> = Object.fromEntries(
  [...Object.keys(LISTR_LOGGER_STYLE.color ?? {}), ...Object.keys(LISTR_DEFAULT_RENDERER_STYLE.color ?? {})].map((level) => [level, (s?: string) => s ?? '']),
)

/**
 * Plain lines (the simple and verbose renderers): every line to stdout, and a failed or skipped task's message shown
 * in place of its title, once. listr2's simple renderer writes `title [FAILED: message]` (the message already names
 * the step) and sends it to stderr.
 */
export class PlainLineLogger extends ListrLogger {
  constructor(color: boolean) {
    super({useIcons: true, toStderr: [], ...(color ? {} : {color: NO_COLOR_STYLE})})
  }

  override log(level: string, message: string | unknown[], options?: Parameters<ListrLogger['log']>[2]): void {
    const suffix = Array.isArray(options?.suffix) ? undefined : options?.suffix
    const field = typeof suffix === 'object' && typeof suffix.field === 'string' ? suffix.field : undefined
    const own = `${level}: `
    if ((level === ListrLogLevels.FAILED || level === ListrLogLevels.SKIPPED) && field?.startsWith(own)) {
      super.log(level, field.slice(own.length))
      return
    }
    super.log(level, message as string, options)
  }
}

/** listr2's options for this renderer: the renderer, its logger and its colours. */
export function rendererOptions(
  renderer: RendererName,
  env: NodeJS.ProcessEnv = process.env,
): {renderer: RendererName; rendererOptions: Record<string, unknown>} {
  const color = colorWanted(env)
  // The renderers copy their `color` option onto their logger: both must say the same.
  const colors = color ? {} : {color: NO_COLOR_STYLE}
  if (renderer === 'simple' || renderer === 'verbose') return {renderer, rendererOptions: {logger: new PlainLineLogger(color), ...colors}}
  return {renderer, rendererOptions: colors}
}

/** A listr2 tree rendered the fleet way (see the file's comment); `options` are listr2's own (concurrency, errors). */
export function progressTree<Ctx = unknown>(
  tasks: ListrTask<Ctx>[],
  renderer: RendererName,
  options: Omit<ListrBaseClassOptions<Ctx>, 'renderer' | 'rendererOptions' | 'fallbackRenderer'>,
  env: NodeJS.ProcessEnv = process.env,
): Listr<Ctx> {
  return new Listr<Ctx>(tasks, {...options, ...rendererOptions(renderer, env)} as unknown as ListrBaseClassOptions<Ctx>)
}

/** A promise with its resolve function outside. */
function deferred<T>(): {promise: Promise<T>; resolve: (v: T) => void} {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return {promise, resolve}
}

type Wrapper = ListrTaskWrapper<unknown, never, never>
/** A listr2 task object: its title can be set before it runs. */
type Titled = {title$: string}

/** A step as the view knows it from its events. */
interface ViewNode {
  id: string
  depth: number
  instance?: string
  title: string
  started: {promise: Promise<void>; resolve: (v: void) => void}
  finished: {promise: Promise<{outcome: StepOutcome; title: string}>; resolve: (v: {outcome: StepOutcome; title: string}) => void}
  done: boolean
  children: ViewNode[]
  /** Waiters for the n-th child: resolved with it once it is queued or started, with null once this step finished without it. */
  childWaits: Map<number, {promise: Promise<ViewNode | null>; resolve: (v: ViewNode | null) => void}>
  /** The running listr2 task, once its turn came (title and output go there). */
  task?: Wrapper
  output?: string
}

/** More steps than this under one step are not drawn (heal has 11 steps per instance). */
export const MAX_CHILD_STEPS = 32

/**
 * The view of a backend's progress events: `sink` goes into the backend's options, `end()` is awaited once the backend
 * returned. With the silent renderer (--json) it is a sink that keeps nothing and draws no tree.
 *
 * How events drive listr2 (chosen because listr2 wants its tasks before it runs them, while a backend only says what it
 * does as it does it): the top-level steps queued together (one tick) become one listr2 list, run when the tick ends;
 * lists run one after the other (heal's probe, then the heal). A step is a task whose `enabled` waits for its started
 * event and whose `task` waits for its finished event: it throws with the final line when it failed (✖, its line once;
 * never ✔) and skips when skipped or planned. A step's children are slots, one per child in the order they come, made
 * when its first child comes: each slot is hidden until its child starts, and stays hidden if none comes; a last
 * untitled slot fails the parent (silently: an empty message prints nothing) when the parent finished `failed`.
 * listr2 runs every list concurrently: the backend, not listr2, decides what runs when.
 */
export class ProgressView {
  readonly sink: ProgressSink
  private readonly nodes = new Map<string, ViewNode>()
  private batch: ViewNode[] | null = null
  private runs: Promise<void> = Promise.resolve()

  constructor(
    private readonly renderer: RendererName,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.sink = renderer === 'silent' ? () => undefined : (e) => this.receive(e)
  }

  /** Waits until every step that finished is drawn (the lists of steps that all finished are done). */
  async settled(): Promise<void> {
    await new Promise((r) => setImmediate(r))
    await this.runs
  }

  /** Once the backend returned: a step that never finished is drawn as failed (a backend's bug, not hidden); then settled. */
  async end(): Promise<void> {
    await new Promise((r) => setImmediate(r))
    for (const n of this.nodes.values()) if (!n.done) this.finish(n, 'failed', `${n.title}: did not finish`)
    await this.settled()
  }

  private receive(e: ProgressEvent): void {
    if (e.type === 'queued' || e.type === 'started') {
      const n = this.nodes.get(e.id) ?? this.add(e)
      n.title = e.title
      if (e.type === 'started') n.started.resolve()
      return
    }
    const n = this.nodes.get(e.id)
    if (!n || n.done) return
    if (e.type === 'output') {
      n.output = printable(e.text)
      if (n.task) n.task.output = n.output
    } else this.finish(n, e.outcome, e.title)
  }

  private add(e: Extract<ProgressEvent, {type: 'queued' | 'started'}>): ViewNode {
    const parent = e.parent === undefined ? undefined : this.nodes.get(e.parent)
    const n: ViewNode = {
      id: e.id,
      depth: parent ? parent.depth + 1 : 0,
      instance: e.instance,
      title: e.title,
      started: deferred<void>(),
      finished: deferred(),
      done: false,
      children: [],
      childWaits: new Map(),
    }
    this.nodes.set(e.id, n)
    if (parent) {
      parent.children.push(n)
      parent.childWaits.get(parent.children.length - 1)?.resolve(n)
    } else if (this.batch) this.batch.push(n)
    else {
      const batch = (this.batch = [n])
      setImmediate(() => {
        this.batch = null
        this.runs = this.runs.then(() => this.draw(batch))
      })
    }
    return n
  }

  private finish(n: ViewNode, outcome: StepOutcome, title: string): void {
    n.done = true
    n.started.resolve()
    n.finished.resolve({outcome, title})
    for (const w of n.childWaits.values()) w.resolve(null)
  }

  private async draw(batch: ViewNode[]): Promise<void> {
    const list: Listr<unknown> = progressTree(
      batch.map((n, i) =>
        this.slot(
          () => n,
          (): Titled | undefined => list.tasks[i],
        ),
      ),
      this.renderer,
      // registerSignalListeners: false: listr2 would end the process on SIGINT (exit 127); the backends handle signals.
      {concurrent: true, exitOnError: false, collectErrors: false, registerSignalListeners: false},
      this.env,
    )
    await list.run().catch(() => undefined)
  }

  /** The line of a step: plain lines stand alone, so a nested step's names its instance; printable whatever its source. */
  private line(n: ViewNode, title: string): string {
    const prefix = this.renderer !== 'default' && n.depth > 0 && n.instance ? `${n.instance}: ` : ''
    return printable(`${prefix}${title}`)
  }

  /** The n-th child of `parent`, once it comes (null: the parent finished without it). */
  private child(parent: ViewNode, i: number): Promise<ViewNode | null> {
    if (parent.children[i]) return Promise.resolve(parent.children[i])
    if (parent.done) return Promise.resolve(null)
    const w = parent.childWaits.get(i) ?? deferred<ViewNode | null>()
    parent.childWaits.set(i, w)
    return w.promise
  }

  /**
   * A listr2 task for the step `node()` names (undefined while it has not come). listr2 checks `enabled` twice: when its
   * list starts (answered at once: shown when the step is known) and at the task's turn (waits for the step to start,
   * or its parent to finish without it).
   */
  private slot(node: () => ViewNode | undefined, listed: () => Titled | undefined, parent?: ViewNode, index = 0): ListrTask {
    let checks = 0
    const known = node()
    return {
      title: known ? this.line(known, known.title) : undefined,
      exitOnError: false,
      enabled: () => {
        if (++checks === 1) return node() !== undefined
        const coming = parent ? this.child(parent, index) : Promise.resolve(node() ?? null)
        return coming.then(async (n) => {
          if (!n) return false
          const t = listed()
          if (t) t.title$ = this.line(n, n.title)
          await n.started.promise
          // A tick for the lines of steps that finished just before this one started, so they come first.
          await new Promise((r) => setImmediate(r))
          return true
        })
      },
      task: async (_ctx, task) => this.run(node() as ViewNode, task as unknown as Wrapper),
    }
  }

  /** A step's task: its children's list when it has children, else its final line once it finished. */
  private async run(n: ViewNode, task: Wrapper): Promise<unknown> {
    n.task = task
    task.title = this.line(n, n.title)
    if (n.output) task.output = n.output
    await Promise.race([n.finished.promise, this.child(n, 0)])
    if (n.children.length > 0) {
      const slots: ListrTask[] = Array.from({length: MAX_CHILD_STEPS}, (_, i) =>
        this.slot(
          () => n.children[i],
          (): Titled | undefined => sub.tasks[i],
          n,
          i,
        ),
      )
      const closer: ListrTask = {
        task: async () => {
          const end = await n.finished.promise
          task.title = this.line(n, end.title)
          if (end.outcome === 'failed') throw new Error('')
        },
      }
      const sub: Listr<unknown> = task.newListr([...slots, closer], {concurrent: true, exitOnError: true, collectErrors: false}) as unknown as Listr<unknown>
      return sub
    }
    const end = await n.finished.promise
    const line = this.line(n, end.title)
    if (end.outcome === 'failed') {
      task.title = line
      throw new Error(line)
    }
    if (end.outcome === 'ok') task.title = line
    else task.skip(line)
    return undefined
  }
}

/** The view for a renderer (chooseRenderer's answer): one per command run. */
export function progressView(renderer: RendererName, env: NodeJS.ProcessEnv = process.env): ProgressView {
  return new ProgressView(renderer, env)
}

/** A backend run with a view of its progress (its `sink`); the view is drawn to its end before the answer comes back. */
export async function withProgress<T>(renderer: RendererName, backend: (view: ProgressView) => Promise<T>): Promise<T> {
  const view = progressView(renderer)
  try {
    return await backend(view)
  } finally {
    await view.end()
  }
}

/**
 * The one place fleet's progress output (listr2) is configured: which renderer, where its lines go, and whether they
 * are coloured. heal and ping build their task trees with progressTree().
 *
 * The rules, whatever the mode (TTY, piped, CI, --verbose):
 * - a step that failed shows ✖, never ✔ (a task that throws; its error message is the whole line to show);
 * - a ✖ or skipped line says its message once (not `title [FAILED: message]`);
 * - plain lines all go to stdout, failures included (`fleet ping 2>/dev/null` still shows the ✖ lines);
 * - no colour with NO_COLOR, FORCE_COLOR=0 (or false), TERM=dumb, or off a TTY unless FORCE_COLOR asks for it.
 */
import {LISTR_DEFAULT_RENDERER_STYLE, LISTR_LOGGER_STYLE, Listr, ListrLogger, ListrLogLevels, type ListrBaseClassOptions, type ListrTask} from 'listr2'

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
): Listr<Ctx> {
  return new Listr<Ctx>(tasks, {...options, ...rendererOptions(renderer)} as unknown as ListrBaseClassOptions<Ctx>)
}

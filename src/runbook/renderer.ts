/** listr2 renderer choice: nothing but JSON with --json; plain lines when not a TTY, in CI or with TERM=dumb; the tree otherwise. */
export type RendererName = 'silent' | 'simple' | 'default' | 'verbose'

export function chooseRenderer(opts: {json?: boolean; verbose?: boolean; env?: NodeJS.ProcessEnv; isTTY?: boolean}): RendererName {
  const env = opts.env ?? process.env
  if (opts.json) return 'silent'
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0'
  const tty = opts.isTTY ?? Boolean(process.stdout.isTTY)
  // TERM=dumb: a terminal that cannot move the cursor gets plain lines, never the animated tree.
  const dumb = env.TERM === 'dumb'
  if (ci || !tty || dumb) return opts.verbose ? 'verbose' : 'simple'
  return 'default'
}

/**
 * An unknown command is bad input: a clear message, a suggestion, exit 2 (plugin-not-found's 127 and its
 * interactive "run this instead?" prompt do not suit a tool that can run `heal`).
 */
import {Errors, type Hook} from '@oclif/core'
import {errorDocument} from '../errors.js'
import {closestCommand} from '../util/suggest.js'

const hook: Hook<'command_not_found'> = async function (opts) {
  const visible = opts.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases])
  const typed = opts.id.replaceAll(':', ' ')
  const suggestion = closestCommand(opts.id, visible)
  const hint = suggestion ? `did you mean \`${opts.config.bin} ${suggestion.replaceAll(':', ' ')}\`? ` : ''
  const message = `${typed} is not a ${opts.config.bin} command; ${hint}run \`${opts.config.bin} help\` for the list`
  if (opts.argv?.includes('--json')) {
    // The same error document the commands print under --json.
    const command = suggestion ? `${opts.config.bin} ${suggestion.replaceAll(':', ' ')}` : null
    process.stdout.write(`${JSON.stringify(errorDocument({code: 'USAGE', message, hint: command, exitCode: 2}), null, 2)}\n`)
    this.exit(2)
  }
  throw new Errors.CLIError(message, {exit: 2})
}

export default hook

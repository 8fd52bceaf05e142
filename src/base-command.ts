/**
 * The base command every `fleet` command extends: shared flags (--config, --instances, --json, --verbose),
 * config loading, instance selection, and typed errors mapped to exit codes.
 */
import {createInterface} from 'node:readline/promises'
import {Command, Errors, Flags, type Interfaces} from '@oclif/core'
import {loadFleet} from './config/load.js'
import type {Fleet, Instance} from './config/model.js'
import {select, SelectorError} from './config/selector.js'
import {closeSshTransports} from './docker/ssh.js'
import {errorDocument, EXIT, FleetError, UsageError} from './errors.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

export abstract class BaseCommand<T extends typeof Command> extends Command {
  static enableJsonFlag = true

  static baseFlags = {
    config: Flags.string({
      char: 'c',
      description: 'Fleet config file (default: FLEET_CONFIG, else searched from the working dir upwards).',
      helpGroup: 'GLOBAL',
    }),
    instances: Flags.string({
      char: 'i',
      description: 'Instances to act on: 7-11, 7,9,12-14, a group name (oc7-9) or all.',
      default: 'all',
      helpGroup: 'GLOBAL',
    }),
    verbose: Flags.boolean({char: 'v', description: 'Say more about what is happening.', default: false, helpGroup: 'GLOBAL'}),
  }

  protected flags!: BaseFlags<T>

  override async init(): Promise<void> {
    await super.init()
    const {flags} = await this.parse({
      flags: this.ctor.flags,
      baseFlags: (this.ctor as typeof BaseCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      strict: this.ctor.strict,
      args: this.ctor.args,
    })
    this.flags = flags as BaseFlags<T>
  }

  /** Loads the fleet config (exit 2 on any problem). */
  protected async fleet(): Promise<Fleet> {
    return loadFleet({configPath: this.flags.config})
  }

  /** The instances chosen by --instances (exit 2 naming the offending token). */
  protected selectInstances(fleet: Fleet, selector: string = this.flags.instances): Instance[] {
    try {
      const ids = select(selector, {ids: fleet.ids, groups: Object.fromEntries(fleet.groups.map((g) => [g.name, g.ids]))})
      return fleet.instances.filter((i) => ids.includes(i.id))
    } catch (error) {
      if (error instanceof SelectorError)
        throw new UsageError(`--instances: ${error.message}`, 'use ids (7), ranges (7-11), lists (7,9,12-14), group names or "all"')
      throw error
    }
  }

  /**
   * Sets the exit code of a command that completed: 3 when a Docker host could not be reached (it wins), else 1
   * when something is unhealthy, else it stays 0.
   */
  protected markUnhealthy(unhealthy: boolean, unreachable = false): void {
    if (unreachable) process.exitCode = EXIT.unreachable
    else if (unhealthy) process.exitCode = EXIT.unhealthy
  }

  /** Errors are the JSON document with --json, also in a command that declares --json itself (watch: its output is JSON lines). */
  protected errorsAsJson(): boolean {
    return this.jsonEnabled() || this.argv.includes('--json')
  }

  /** Asks a person on the terminal (the question on stderr); true only when they type yes. */
  protected async askYes(question: string): Promise<boolean> {
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      return (await rl.question(question)).trim().toLowerCase() === 'yes'
    } finally {
      rl.close()
    }
  }

  protected verbose(message: string): void {
    if (this.flags?.verbose && !this.jsonEnabled()) this.logToStderr(message)
  }

  /** Ends the connections the command opened (SSH to Docker hosts), so that the process exits once it is done. */
  protected override async finally(err: Error | undefined): Promise<unknown> {
    closeSshTransports()
    return super.finally(err)
  }

  protected override async catch(err: Error & {exitCode?: number}): Promise<unknown> {
    if (err instanceof FleetError) {
      process.exitCode = err.exitCode
      if (this.errorsAsJson()) {
        this.logJson(errorDocument(err))
        return
      }
      throw new Errors.CLIError(err.hint ? `${err.message}\nHint: ${err.hint}` : err.message, {exit: err.exitCode, code: err.code})
    }
    // oclif's own parse errors (an unknown flag, a bad option value, a missing argument) are usage errors: exit 2,
    // and under --json the documented error document, not oclif's internals.
    const parse = err as Error & {parse?: unknown; oclif?: {exit?: number}}
    if (parse.parse !== undefined || (err instanceof Errors.CLIError && parse.oclif?.exit === 2)) {
      const message = err.message
        .split('\n')
        .filter((l) => l.trim() && !/^\s*See more help with/.test(l))
        .join('\n')
      return this.catch(new UsageError(message, `run fleet ${this.id ?? ''} --help`.replace(/\s+--help$/, ' --help')))
    }
    return super.catch(err)
  }
}

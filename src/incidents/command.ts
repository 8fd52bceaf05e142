/** What the `fleet incidents` commands share: the --dir flag and the incident dir it or the config names. */
import {Flags, type Command} from '@oclif/core'
import path from 'node:path'
import {BaseCommand} from '../base-command.js'
import type {Fleet} from '../config/model.js'

export const dirFlag = Flags.string({char: 'd', description: 'The incident dir to read (default: heal.incidentDir of the fleet config).'})

export abstract class IncidentsCommand<T extends typeof Command> extends BaseCommand<T> {
  /** --dir, else heal.incidentDir from the config (exit 2 when there is no config to ask). */
  protected async incidentDir(dir: string | undefined, fleet?: Fleet): Promise<string> {
    if (dir !== undefined) return path.resolve(dir)
    return (fleet ?? (await this.fleet())).heal.incidentDir
  }
}

/**
 * What the `fleet incidents` commands share: the --dir flag and the incident dir it, the config or the default
 * names. They only read incident dirs (prune removes some), so they need no config: without one (none given,
 * none found) the default dir and retention apply.
 */
import {Flags, type Command} from '@oclif/core'
import path from 'node:path'
import {BaseCommand} from './base-command.js'
import {defaultIncidentDir} from './config/build.js'
import {DEFAULT_RETENTION} from './config/schema.js'
import {ConfigError} from './errors.js'
import type {RetentionPolicy} from './config/model.js'

export const dirFlag = Flags.string({
  char: 'd',
  description: 'The incident dir to read (default: heal.incidentDir of the fleet config; without a config, $XDG_STATE_HOME/openclaw-fleet/incidents).',
})

/** What the incidents commands take from a config: where the runs are and how long they are kept. */
export interface IncidentSettings {
  dir: string
  retention: RetentionPolicy
  /** The config read, or null: none was given or found (the defaults apply). */
  config: string | null
}

/** Pure: the settings from --dir and the config (null: no config), else the defaults. */
export function incidentSettings(
  dir: string | undefined,
  fleet: {file: string; heal: {incidentDir: string; incidentRetention: RetentionPolicy}} | null,
): IncidentSettings {
  return {
    dir: dir === undefined ? (fleet?.heal.incidentDir ?? defaultIncidentDir()) : path.resolve(dir),
    retention: fleet?.heal.incidentRetention ?? {keepRuns: DEFAULT_RETENTION.keepRuns, keepForMs: DEFAULT_RETENTION.keepFor},
    config: fleet?.file ?? null,
  }
}

export abstract class IncidentsCommand<T extends typeof Command> extends BaseCommand<T> {
  /**
   * --dir, else the config's heal.incidentDir, else the default. A config given (--config, FLEET_CONFIG) or found
   * must load (exit 2 otherwise: it is the one meant); only when none is given and none is found do the defaults apply.
   */
  protected async incidentSettings(dir: string | undefined): Promise<IncidentSettings> {
    const explicit = this.flags.config ?? process.env.FLEET_CONFIG
    try {
      return incidentSettings(dir, await this.fleet())
    } catch (error) {
      if (explicit === undefined && error instanceof ConfigError && error.message.startsWith('no fleet config found')) return incidentSettings(dir, null)
      throw error
    }
  }

  /** The dir alone (list, show, report): --dir needs no config at all. */
  protected async incidentDir(dir: string | undefined): Promise<string> {
    return dir === undefined ? (await this.incidentSettings(dir)).dir : path.resolve(dir)
  }
}

import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {assertFleetPaths, checkFleetPaths} from '../config/load.js'
import {describeFleet, renderFleet, type FleetDescription} from '../report/fleet-config.js'

export default class Config extends BaseCommand<typeof Config> {
  static summary = 'Show the resolved fleet: one row per instance with its container, group, compose files, sessions dirs and Docker host.'
  static description =
    'Reads the fleet config (--config, FLEET_CONFIG, or fleet.config.* / .fleetrc* / package.json#fleet searched upwards), validates it and prints the instances it selects. With --validate it only validates, including that compose files, env files and project dirs exist.'
  static examples = ['<%= config.bin %> config', '<%= config.bin %> config --config fleet.config.example.yml --json', '<%= config.bin %> config --validate']

  static flags = {
    validate: Flags.boolean({
      description: 'Only validate (also checks that compose files, env files and project dirs exist); exit 2 on any problem.',
      default: false,
    }),
  }

  async run(): Promise<FleetDescription | {valid: true; file: string; instances: number; groups: number}> {
    const fleet = await this.fleet()
    const selected = this.selectInstances(fleet)
    if (this.flags.validate) {
      assertFleetPaths(fleet)
      this.log(`${fleet.file}: valid (${fleet.instances.length} instances in ${fleet.groups.length} groups)`)
      return {valid: true, file: fleet.file, instances: fleet.instances.length, groups: fleet.groups.length}
    }
    const description = describeFleet(fleet, selected, checkFleetPaths(fleet))
    this.log(renderFleet(description))
    return description
  }
}

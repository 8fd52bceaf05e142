import {Flags} from '@oclif/core'
import {dirFlag, IncidentsCommand} from '../../incidents-command.js'
import {applyRetention, type PruneResult} from '../../incidents/retention.js'
import type {RetentionPolicy} from '../../config/model.js'
import {renderPrune} from '../../report/incidents.js'

export interface PruneDocument extends PruneResult {
  dir: string
  dryRun: boolean
  policy: RetentionPolicy
}

export default class IncidentsPrune extends IncidentsCommand<typeof IncidentsPrune> {
  static summary = 'Remove past incident dirs by heal.incidentRetention: those neither among the newest keepRuns nor younger than keepFor.'
  static description = `The same rule heal and watch apply each time they make a new incident dir. Only dirs named as fleet's runs are touched. Exit 0 when done (or nothing to do), 1 when a dir could not be removed, 2 usage/config.`
  static examples = ['<%= config.bin %> incidents prune --dry-run', '<%= config.bin %> incidents prune --json']
  static flags = {
    dir: dirFlag,
    'dry-run': Flags.boolean({char: 'n', description: 'Only say which dirs would go.', default: false}),
  }

  async run(): Promise<PruneDocument> {
    const f = this.flags
    const {dir, retention: policy} = await this.incidentSettings(f.dir)
    const doc = {dir, dryRun: f['dry-run'], policy, ...applyRetention(dir, policy, {dryRun: f['dry-run']})}
    this.log(renderPrune(doc))
    this.markUnhealthy(doc.failed.length > 0)
    return doc
  }
}

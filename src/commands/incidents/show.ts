import {Args} from '@oclif/core'
import {dirFlag, IncidentsCommand} from '../../incidents-command.js'
import {loadShow, type IncidentShow} from '../../incidents/store.js'
import {renderShow} from '../../report/incidents.js'

export default class IncidentsShow extends IncidentsCommand<typeof IncidentsShow> {
  static summary = "One run's incident log as a timeline: every lock as judged, every intent and action, pings, the result."
  static description = '<run> is the run id (8 hex digits, as heal prints it), watch-<id>, or the dir name. Exit 2 when no run has that name. Changes nothing.'
  static examples = ['<%= config.bin %> incidents show f121d191', '<%= config.bin %> incidents show 2026-12-02T01-43-59-757Z-f121d191 --json']
  static args = {run: Args.string({description: 'Run id or incident dir name.', required: true})}
  static flags = {dir: dirFlag}

  async run(): Promise<IncidentShow> {
    const {args} = await this.parse(IncidentsShow)
    const doc = loadShow(await this.incidentDir(this.flags.dir), args.run)
    this.log(renderShow(doc))
    return doc
  }
}

import {dirFlag, IncidentsCommand} from '../../incidents-command.js'
import {loadList, type IncidentList} from '../../incidents/store.js'
import {renderList} from '../../report/incidents.js'

export default class IncidentsList extends IncidentsCommand<typeof IncidentsList> {
  static summary = 'Past heals and watch actions from the incident dirs, newest first: instances, primary cause, what was done.'
  static description = 'Reads heal.incidentDir (or --dir). A run that changed nothing leaves no dir, so every run listed acted on something. Changes nothing.'
  static examples = ['<%= config.bin %> incidents list', '<%= config.bin %> incidents list --dir ~/.local/state/openclaw-fleet/incidents --json']
  static flags = {dir: dirFlag}

  async run(): Promise<IncidentList> {
    const doc = loadList(await this.incidentDir(this.flags.dir))
    this.log(renderList(doc))
    return doc
  }
}

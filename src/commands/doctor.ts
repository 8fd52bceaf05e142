import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {doctorDocument, renderDoctor, type DoctorDocument} from '../report/doctor.js'
import {runDoctor} from '../runbook/doctor.js'

export default class Doctor extends BaseCommand<typeof Doctor> {
  static summary = 'Find root causes before the outage: mounts, shared sessions dirs, OpenClaw versions, small-context fallback models, disk, clock skew.'
  static description = `Checks, each pass / warn / fail with a fix hint: Docker reachable; compose available; config paths exist; each container bind-mounts its configured dataDir at the state dir; no sessions dir mounted by two containers; the OpenClaw version in each container and what it means for locks; fallback models in openclaw.json whose context window is below 16000 tokens; disk use of sessions dirs and free space; clock skew between host and container.
Exit 1 on any fail; 2 config/usage.`
  static examples = ['<%= config.bin %> doctor', '<%= config.bin %> doctor --instances oc7-9 --all', '<%= config.bin %> doctor --json']

  static flags = {
    all: Flags.boolean({description: 'Also list the checks that passed.', default: false}),
  }

  async run(): Promise<DoctorDocument> {
    const fleet = await this.fleet()
    const doc = doctorDocument(await runDoctor(fleet, this.selectInstances(fleet)))
    this.log(renderDoctor(doc, {all: this.flags.all || this.flags.verbose}))
    this.markUnhealthy(!doc.ok)
    return doc
  }
}

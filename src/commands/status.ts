import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {renderStatus, statusDocument, type StatusDocument} from '../report/status.js'
import {observe} from '../observe/observe.js'

export default class Status extends BaseCommand<typeof Status> {
  static summary = 'Every gateway: container state and health, its session locks with a verdict and the evidence for it.'
  static description = `Finds each instance's container (one container listing per Docker host), scans its host-mapped sessions dirs for *.jsonl.lock and sessions.json.lock (transcripts are never read), probes the lock owners inside the container's PID namespace (one docker exec per container), and judges every lock: live, stale, hung, orphan, conflict or unknown. Also counts "session file locked" errors in each container's log since its start.
Exit 0 when every selected instance runs with no stale, hung, orphan or conflict lock; 1 otherwise; 2 config/usage; 3 Docker unreachable.`
  static examples = ['<%= config.bin %> status', '<%= config.bin %> status --instances 7-11 --locks', '<%= config.bin %> status --json']

  static flags = {
    locks: Flags.boolean({
      char: 'l',
      description:
        'Add one row per lock (pid, age, verdict, reasons, evidence), and on 2026.8+ the work in flight inside each running gateway (asked of the gateway: its restart preflight, one exec each).',
      default: false,
    }),
    logs: Flags.boolean({description: 'Read container logs for the lock-timeout signature.', default: true, allowNo: true}),
  }

  async run(): Promise<StatusDocument> {
    const fleet = await this.fleet()
    const instances = this.selectInstances(fleet)
    const doc = statusDocument(await observe(fleet, instances, {logs: this.flags.logs, gatewayWork: this.flags.locks || this.flags.verbose}))
    this.log(renderStatus(doc, {locks: this.flags.locks || this.flags.verbose}))
    this.markUnhealthy(!doc.ok, doc.unreachable.length > 0)
    return doc
  }
}

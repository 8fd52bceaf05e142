import {Args, Flags} from '@oclif/core'
import {writeFileSync} from 'node:fs'
import path from 'node:path'
import {UsageError} from '../../errors.js'
import {dirFlag, IncidentsCommand} from '../../incidents-command.js'
import type {IncidentReport} from '../../incidents/document.js'
import {loadReport} from '../../incidents/store.js'
import {renderReportMarkdown} from '../../report/incidents.js'

export default class IncidentsReport extends IncidentsCommand<typeof IncidentsReport> {
  static summary = 'The post-incident document of one run: trigger, impact, detection gap, primary cause, actions, restarts, recurrences.'
  static description = `Markdown by default (--format json for the same document as JSON), to stdout or --out FILE. <run> is the run id (8 hex digits), watch-<id>, or the dir name; exit 2 when no run has that name. Changes nothing in the incident dir.`
  static examples = [
    '<%= config.bin %> incidents report f121d191',
    '<%= config.bin %> incidents report f121d191 --out postmortem.md',
    '<%= config.bin %> incidents report f121d191 --format json',
  ]
  static args = {run: Args.string({description: 'Run id or incident dir name.', required: true})}
  static flags = {
    dir: dirFlag,
    format: Flags.string({description: 'md (Markdown) or json.', options: ['md', 'json'], default: 'md'}),
    out: Flags.string({char: 'o', description: 'Write the document to this file instead of stdout.'}),
  }

  async run(): Promise<IncidentReport> {
    const {args} = await this.parse(IncidentsReport)
    const f = this.flags
    const report = loadReport(await this.incidentDir(f.dir), args.run)
    const text = f.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : renderReportMarkdown(report)
    if (f.out) {
      const file = path.resolve(f.out)
      try {
        writeFileSync(file, text)
      } catch (error) {
        throw new UsageError(`--out ${f.out}: cannot write it: ${(error as Error).message}`, 'name a file in an existing, writable dir')
      }
      this.log(`report of run ${report.run} written to ${file}`)
    } else if (!this.jsonEnabled()) process.stdout.write(text)
    return report
  }
}

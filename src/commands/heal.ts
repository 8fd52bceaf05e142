import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {parseDurationFlag} from '../config/duration.js'
import {UsageError} from '../errors.js'
import type {HealDocument} from '../heal/document.js'
import {checkHealFlags, healFleet, healRequest, type HealFlags} from '../heal/run.js'
import {chooseRenderer, withProgress} from '../progress.js'
import {renderHeal, renderPlan} from '../report/heal.js'

export default class Heal extends BaseCommand<typeof Heal> {
  static summary = 'The safe recovery runbook: judge, record, clear what is stale, end orphan holders, restart only what must restart, wait, ping, re-check.'
  static description = `Never deletes a lock whose owner is alive (unless --force), never writes transcripts, and logs every lock and action to an incident log before acting. A gateway that answers SPEED_OK after its stale locks are cleared is healed without a restart.
Exit 0 when every selected instance answers afterwards; 1 when some do not (or a sessions dir is shared, unless --force); 2 usage/config; 3 Docker unreachable.
SIGINT/SIGTERM (Ctrl-C): the step in flight is finished (a lock removal, a holder's end, a restart; a wait is cut short), nothing new starts, the incident log gets its run-end marked interrupted, what was done and what was not is printed, exit 130/143. A second signal exits at once.`
  static examples = [
    '<%= config.bin %> heal --instances 7-11',
    '<%= config.bin %> heal --instances 7-11 --dry-run',
    '<%= config.bin %> heal --instances oc7-9 --restart group --rolling',
    '<%= config.bin %> heal --probe --backup --json',
    '<%= config.bin %> heal --instances 7-11 --verify 30m',
  ]

  static flags = {
    'dry-run': Flags.boolean({
      char: 'n',
      description:
        'The run with its actions switched off: print what it would do (locks to delete, processes to signal, containers to restart, instances to ping; what depends on a ping says so) and change nothing.',
      default: false,
    }),
    force: Flags.boolean({description: 'Also delete live and unknown locks (asks on a TTY), and do not fail on shared sessions dirs.', default: false}),
    tidy: Flags.boolean({
      description: 'Also remove legacy .jsonl.lock files that OpenClaw 2026.8+ ignores (only those no process could own; copies go to the incident dir).',
      default: false,
    }),
    yes: Flags.boolean({char: 'y', description: 'Do not ask before --force deletes live locks.', default: false}),
    restart: Flags.string({
      description: 'What to restart: needed (hung, or still failing the ping), group (whole compose groups of those), always (every affected instance).',
      options: ['needed', 'group', 'always'],
    }),
    'no-restart': Flags.boolean({description: 'Never restart anything.', default: false}),
    rolling: Flags.boolean({description: 'Restart one instance at a time, waiting until each is healthy.', default: false}),
    probe: Flags.boolean({description: 'Ping every instance first, to find silent gateways without lock trouble too.', default: false}),
    backup: Flags.boolean({description: 'Snapshot each affected sessions dir (tar.gz) into the incident dir first.', default: false}),
    concurrency: Flags.integer({description: 'Instances worked on at once (default: heal.concurrency).', min: 1, max: 64}),
    'wait-timeout': Flags.string({description: 'How long to wait for a restarted container to be healthy (default: heal.waitTimeout).'}),
    verify: Flags.string({
      description:
        "After the heal, run test turns over this long (e.g. 30m) on sessions of fleet's own and follow the gateway logs for new lock errors; exit 1 unless recovery held.",
    }),
    'verify-turns': Flags.integer({description: 'Test turns per instance for --verify (default 10).', min: 1, max: 1000}),
  }

  async run(): Promise<HealDocument> {
    const f = this.flags
    const flags: HealFlags = {
      dryRun: f['dry-run'],
      force: f.force,
      tidy: f.tidy,
      restart: f.restart,
      noRestart: f['no-restart'],
      rolling: f.rolling,
      probe: f.probe,
      backup: f.backup,
      concurrency: f.concurrency,
      waitTimeoutMs: f['wait-timeout'] === undefined ? undefined : parseDurationFlag('--wait-timeout', f['wait-timeout']),
      verifyMs: f.verify === undefined ? undefined : parseDurationFlag('--verify', f.verify, {positive: false}),
      verifyTurns: f['verify-turns'],
    }
    checkHealFlags(flags) // bad flags are said before the config is read
    const fleet = await this.fleet()
    const req = healRequest(fleet, this.selectInstances(fleet), flags)
    const {doc, judged, exitCode} = await withProgress(chooseRenderer({json: this.jsonEnabled(), verbose: f.verbose}), (view) =>
      healFleet(fleet, req, {
        warn: (m) => this.logToStderr(m),
        // The question waits until the probe's lines are drawn: a tree being redrawn would overwrite it.
        confirmForce: async (what) => (await view.settled(), this.confirmForce(what)),
        progress: view.sink,
      }),
    )
    // A heal a signal ended while it judged has no table: the backend said so on stderr.
    if (judged && doc.dryRun) this.log(renderPlan(doc.instances))
    if (judged && doc.dryRun && req.verify)
      this.log(`then verify: ${req.verify.turns} test turn(s) over ${f.verify} on each instance that answers, following its log for new lock errors`)
    if (judged && !doc.dryRun) this.log(renderHeal(doc))
    process.exitCode = exitCode
    return doc
  }

  private async confirmForce(what: string[]): Promise<boolean> {
    if (this.flags.yes) return true
    if (!process.stdin.isTTY || !process.stdout.isTTY)
      throw new UsageError(`--force would delete ${what.length} live or unknown lock(s) and there is no TTY to ask`, 'add --yes to confirm')
    return this.askYes(`--force: delete these locks although their owner may be alive?\n  ${what.join('\n  ')}\nType "yes" to continue: `)
  }
}

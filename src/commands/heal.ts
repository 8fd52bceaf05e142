import {Flags} from '@oclif/core'
import {createInterface} from 'node:readline/promises'
import {BaseCommand} from '../base-command.js'
import {parseDurationFlag} from '../config/duration.js'
import {UsageError} from '../errors.js'
import {healDocument, planDocument, renderHeal, renderPlan, type HealDocument} from '../report/heal.js'
import {EXIT} from '../errors.js'
import {HealInterrupt, judgeAndPlan, runHeal, signalExitCode, type InstanceHeal} from '../heal/heal.js'
import type {RestartPolicy} from '../decide/heal-plan.js'
import {assertPreflight} from '../heal/preflight.js'
import {chooseRenderer} from '../progress.js'
import {acquireRunLocks, runLockPlace} from '../runs/run-lock.js'

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
      description: "After the heal, run test turns over this long (e.g. 30m) on sessions of fleet's own and follow the gateway logs for new lock errors; exit 1 unless recovery held.",
    }),
    'verify-turns': Flags.integer({description: 'Test turns per instance for --verify (default 10).', min: 1, max: 1000}),
  }

  async run(): Promise<HealDocument> {
    const started = Date.now()
    const f = this.flags
    if (f['no-restart'] && f.restart !== undefined) throw new UsageError(`--restart ${f.restart} and --no-restart contradict each other`, 'pass one of them')
    const fleet = await this.fleet()
    const selected = this.selectInstances(fleet)
    const waitTimeoutMs = f['wait-timeout'] === undefined ? fleet.heal.waitTimeoutMs : parseDurationFlag('--wait-timeout', f['wait-timeout'])
    const restart: RestartPolicy = f['no-restart'] ? 'never' : ((f.restart ?? 'needed') as RestartPolicy)
    if (f['verify-turns'] !== undefined && f.verify === undefined) throw new UsageError('--verify-turns needs --verify <duration>', 'e.g. --verify 30m --verify-turns 10')
    const verify = f.verify === undefined ? undefined : {durationMs: parseDurationFlag('--verify', f.verify, {positive: false}), turns: f['verify-turns'] ?? 10}
    // Before the run lock and before anything is observed or changed (with --dry-run too: its plan would not run).
    // --restart group restarts the selected instances' whole groups: their other members are restarted too, so they
    // are healed with them (judged, in the plan and the table, waited for and pinged), and their run locks taken.
    const instances = restart === 'group' ? fleet.instances.filter((i) => selected.includes(i) || (i.group !== undefined && selected.some((s) => s.group === i.group))) : selected
    assertPreflight(fleet, instances, {mayRestart: restart !== 'never', command: `fleet heal${f['dry-run'] ? ' --dry-run' : ''}`, withoutRestart: '--no-restart to heal without restarts'})
    const renderer = chooseRenderer({json: this.jsonEnabled(), verbose: f.verbose})
    const opts = {force: f.force, tidy: f.tidy, restart, probe: f.probe, renderer}

    // One run lock per instance acted on (Docker endpoint + container), whatever config names it; --dry-run changes nothing and takes none.
    // In a place every fleet on the host meets (whatever its XDG_STATE_HOME); said when it must fall back to this user's.
    const place = runLockPlace()
    if (place.note && !f['dry-run']) this.logToStderr(`warning: ${place.note}`)
    const lock = f['dry-run'] ? null : await acquireRunLocks(place.dir, instances, {command: 'heal', config: fleet.file})
    const interrupt = new HealInterrupt().install()
    interrupt.lockPaths = lock?.paths ?? []
    try {
      const {statuses, plans, probeFailed} = await judgeAndPlan(fleet, instances, opts)
      if (interrupt.reason) {
        this.logToStderr(`heal interrupted by ${interrupt.reason} while judging: nothing was changed`)
        process.exitCode = signalExitCode(interrupt.reason)
        return {
          runId: null,
          dryRun: f['dry-run'],
          incidentLog: null,
          instances: [],
          summary: {instances: 0, healed: 0, failed: 0, restarted: 0, locksRemoved: 0, holdersEnded: 0, conflicts: []},
          verify: null,
          interrupted: interrupt.reason,
          unreachable: null,
          durationMs: Date.now() - started,
          ok: false,
        }
      }
      const conflicts = statuses
        .filter((s) => s.sharedWith.length > 0)
        .map((s) => `${s.name} (${s.container}): its sessions dir is also mounted by ${s.sharedWith.join(', ')}; nothing there was touched`)
      const settings = {...opts, backup: f.backup, rolling: f.rolling, concurrency: f.concurrency ?? fleet.heal.concurrency, waitTimeoutMs, verify, interrupt}
      if (f['dry-run']) {
        // The run itself with its effects switched off: each change, wait and ping it would make is recorded as planned.
        const run = await runHeal(fleet, instances, statuses, plans, probeFailed, {...settings, dryRun: true})
        const doc = planDocument(run, conflicts, f.force, Date.now() - started)
        this.log(renderPlan(doc.instances as InstanceHeal[]))
        if (verify) this.log(`then verify: ${verify.turns} test turn(s) over ${f.verify} on each instance that answers, following its log for new lock errors`)
        // Its exit is the run's as far as the plan knows it (1: an instance it will not heal whatever its pings answer).
        this.markUnhealthy(
          doc.summary.failed > 0,
          statuses.some((x) => x.state === 'unreachable'),
        )
        return doc
      }
      const forced = plans.flatMap((p) => p.deletes.filter((l) => l.verdict === 'live' || l.verdict === 'unknown'))
      if (forced.length > 0 && !(await this.confirmForce(forced.map((l) => `${l.path} (${l.verdict})`)))) {
        throw new UsageError('not confirmed: nothing was changed', 'pass --yes to delete live locks without the question')
      }
      const run = await runHeal(fleet, instances, statuses, plans, probeFailed, settings)
      const doc = healDocument(run, conflicts, f.force, Date.now() - started)
      this.log(renderHeal(doc))
      this.markUnhealthy(!doc.ok, doc.unreachable !== null || statuses.some((x) => x.state === 'unreachable'))
      // A signal wins: the exit code says the run was interrupted (130 SIGINT, 143 SIGTERM), as a shell would.
      if (doc.interrupted) process.exitCode = signalExitCode(doc.interrupted)
      else if (doc.unreachable) process.exitCode = EXIT.unreachable
      return doc
    } finally {
      interrupt.dispose()
      await lock?.release()
    }
  }

  private async confirmForce(what: string[]): Promise<boolean> {
    if (this.flags.yes) return true
    if (!process.stdin.isTTY || !process.stdout.isTTY) throw new UsageError(`--force would delete ${what.length} live or unknown lock(s) and there is no TTY to ask`, 'add --yes to confirm')
    const rl = createInterface({input: process.stdin, output: process.stderr})
    try {
      const answer = await rl.question(`--force: delete these locks although their owner may be alive?\n  ${what.join('\n  ')}\nType "yes" to continue: `)
      return answer.trim().toLowerCase() === 'yes'
    } finally {
      rl.close()
    }
  }
}

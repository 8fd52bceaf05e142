import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {parseDurationFlag} from '../config/duration.js'
import {UsageError} from '../errors.js'
import {chooseRenderer, withProgress} from '../progress.js'
import {renderUpgrade} from '../report/upgrade.js'
import {upgradeFleet, type UpgradeDocument} from '../upgrade/upgrade.js'

export default class Upgrade extends BaseCommand<typeof Upgrade> {
  static summary = 'Roll a new OpenClaw image across the fleet: canary first, drained, backed up, gated by a real turn, rolled back on failure.'
  static description = `Per instance: drain (wait until the gateway reports no work in flight, or no session lock is held before 2026.8), stop with the stop budget, copy the state dir into the incident dir, switch the image where the compose group keeps it (the env file's variable or the compose file's image:, written atomically, the old file kept), recreate that one service, then gate it: ready by its ready line or /readyz (a start refusal that openclaw doctor --fix cures is cured once), the SPEED_OK ping, and status ok. A failed gate rolls the instance back: the old file bytes, the state from the copy (the state the new version left is kept), the old image, the gate again.
Order: one canary instance, then the rest of its group, then the other groups (--batch groups at a time); the rollout stops after the first batch with a failure. Preflight reads everything first and refuses on any problem (exit 2, nothing changed): the image missing on an engine, no OpenClaw in it, a downgrade, no compose group or no file that keeps the image, a remote state dir.
Exit 0 when every selected instance is on the image, 1 when the rollout stopped, 2 usage or preflight, 3 Docker unreachable.`
  static examples = [
    '<%= config.bin %> upgrade --image openclaw:2026.9.6 --dry-run',
    '<%= config.bin %> upgrade --image openclaw:2026.9.6 --yes',
    '<%= config.bin %> upgrade --image openclaw:2026.9.6 -i oc7-9 --drain-timeout 10m --json --yes',
  ]

  static flags = {
    image: Flags.string({description: "The image to run (as compose will name it: it must be on each instance's engine).", required: true}),
    'dry-run': Flags.boolean({description: 'Read and plan everything; change nothing.', default: false}),
    yes: Flags.boolean({char: 'y', description: 'Do not ask before the upgrade (needed without a terminal).', default: false}),
    batch: Flags.integer({description: 'Groups upgraded together after the canary.', default: 1, min: 1, max: 64}),
    concurrency: Flags.integer({description: 'Instances upgraded at once within a batch.', default: 1, min: 1, max: 16}),
    'drain-timeout': Flags.string({
      description: 'How long to wait for work in flight to end before the stop (then: ask on a terminal, else stop the rollout; --force stops anyway).',
      default: '5m',
    }),
    'gate-timeout': Flags.string({description: 'How long a recreated gateway may take to be ready (default: gateway.startBudget).'}),
    force: Flags.boolean({
      description: 'Stop a gateway whose work did not end within --drain-timeout (its stop still drains with the stop budget).',
      default: false,
    }),
  }

  async run(): Promise<UpgradeDocument> {
    const f = this.flags
    const drainTimeoutMs = parseDurationFlag('--drain-timeout', f['drain-timeout'])
    const gate = f['gate-timeout'] === undefined ? undefined : parseDurationFlag('--gate-timeout', f['gate-timeout'])
    if (!/^[^\s#'"$]+$/.test(f.image)) throw new UsageError(`--image: not an image reference: ${JSON.stringify(f.image)}`)
    const fleet = await this.fleet()
    const instances = this.selectInstances(fleet)
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY)
    const json = this.jsonEnabled()
    // The drain may ask a question on the terminal (past --drain-timeout, without --force): plain lines then, which a
    // question does not tear (the tree renderer redraws over it).
    const chosen = chooseRenderer({json, verbose: f.verbose})
    // A dry run draws no steps: its plan is the output (renderUpgrade), as heal's is.
    const renderer = f['dry-run'] ? 'silent' : chosen === 'default' && !f.force ? 'simple' : chosen
    const {doc, exitCode} = await withProgress(renderer, (view) =>
      upgradeFleet(
        fleet,
        {
          image: f.image,
          instances,
          dryRun: f['dry-run'],
          batch: f.batch,
          concurrency: f.concurrency,
          drainTimeoutMs,
          gateTimeoutMs: gate ?? fleet.gateway.startBudgetMs,
          force: f.force,
        },
        {
          warn: (m) => this.logToStderr(m),
          confirm: async (plan) => {
            if (f.yes) return true
            if (!interactive) throw new UsageError('fleet upgrade changes images and there is no terminal to ask', 'add --yes to confirm')
            return this.askYes(`upgrade to ${f.image}:\n  ${plan.join('\n  ')}\nType "yes" to continue: `)
          },
          ask: interactive && !json ? async (q) => (await view.settled(), this.askYes(`${q} Type "yes" to stop it: `)) : null,
          progress: view.sink,
        },
      ),
    )
    if (!json) this.log(renderUpgrade(doc))
    process.exitCode = exitCode
    return doc
  }
}

import {Flags} from '@oclif/core'
import {randomUUID} from 'node:crypto'
import path from 'node:path'
import {BaseCommand} from '../base-command.js'
import {parseDurationFlag} from '../config/duration.js'
import {UsageError} from '../errors.js'
import {EventSink} from '../runbook/record/events.js'
import {IncidentLog} from '../runbook/record/incident.js'
import {Metrics} from '../runbook/record/metrics.js'
import {assertPreflight} from '../runbook/preflight.js'
import {acquireRunLocks, runLockDir} from '../runbook/run-lock.js'
import {Watcher} from '../runbook/watch.js'

export default class Watch extends BaseCommand<typeof Watch> {
  static summary = 'Self-healing without cron: scan every interval, clear stale locks and end orphan holders once seen twice, alert on the rest.'
  static description = `Each scan judges the selected instances (as fleet status) and pings them. Stale locks and orphan holders seen on two consecutive scans are cleared or ended (recorded in the incident log first); hung locks, shared sessions dirs and gateways failing the ping on two scans raise alerts, and restart only with --auto-restart, capped per instance (--max-attempts) with an exponential cool-down (--cooldown): no restart loops; the cap is reset only after the instance has been healthy on every scan for --recover-after (10m). --report-only changes nothing.
Events are JSON lines on stdout (or --events FILE), also POSTed to --webhook (retried with backoff, never blocking the loop). --metrics-port serves Prometheus metrics on 127.0.0.1. SIGINT/SIGTERM finish the current step, release the run lock and exit 0.`
  static examples = [
    '<%= config.bin %> watch --interval 30s',
    '<%= config.bin %> watch --report-only --webhook http://127.0.0.1:9000/hook',
    '<%= config.bin %> watch --auto-restart --metrics-port 9464 --events /var/log/fleet-events.jsonl',
  ]
  static enableJsonFlag = false

  static flags = {
    interval: Flags.string({description: 'Time between scans.', default: '30s'}),
    'report-only': Flags.boolean({description: 'Change nothing: only report and alert.', default: false}),
    'auto-restart': Flags.boolean({description: 'Restart instances with hung locks, stopped containers, or failing the ping on two scans.', default: false}),
    'max-attempts': Flags.integer({description: 'Restarts per instance before giving up (until it recovers).', default: 3, min: 1}),
    cooldown: Flags.string({description: 'Wait after a restart before the next one (doubles with each attempt).', default: '5m'}),
    'recover-after': Flags.string({description: 'How long an instance must be healthy on every scan before its restart attempts are reset (and a give-up lifted).', default: '10m'}),
    events: Flags.string({description: 'Append events (JSON lines) to this file instead of stdout.'}),
    webhook: Flags.string({description: 'POST each event (JSON) to this URL; retried with backoff, never blocking.'}),
    'metrics-port': Flags.integer({description: 'Serve Prometheus metrics on 127.0.0.1:<port>/metrics.', min: 1, max: 65535}),
    ping: Flags.boolean({description: 'Ping each running instance every scan.', default: true, allowNo: true}),
    react: Flags.boolean({
      description:
        'Follow the engine events (die, start, health, exec_die, pause) and the lock dirs on this disk, and judge a named instance at once; a lock first seen stale is confirmed a second later. The interval scan stays the safety net.',
      default: true,
      allowNo: true,
    }),
    scans: Flags.integer({description: 'Stop after this many scans (default: run until SIGINT/SIGTERM).', default: 0, min: 0}),
    json: Flags.boolean({description: 'Events are JSON lines already; accepted for symmetry with the other commands.', default: false}),
  }

  async run(): Promise<void> {
    const f = this.flags
    const fleet = await this.fleet()
    const instances = this.selectInstances(fleet)
    const intervalMs = parseDurationFlag('--interval', f.interval)
    const cooldownMs = parseDurationFlag('--cooldown', f.cooldown)
    const recoverAfterMs = parseDurationFlag('--recover-after', f['recover-after'], {
      positive: true,
      zero: '0 would reset the restart cap on one healthy scan, and a crash-looping container would be restarted forever',
    })
    if (f.webhook && !/^https?:\/\//.test(f.webhook)) throw new UsageError(`--webhook: expected an http(s) URL, got "${f.webhook}"`)
    // Restarts need each group's compose paths: checked before the run lock and the first scan.
    assertPreflight(fleet, instances, {mayRestart: f['auto-restart'] && !f['report-only'], command: 'fleet watch --auto-restart', withoutRestart: 'without --auto-restart (or with --report-only)'})
    // The run lock of every watched instance, held until the watch stops; --report-only changes nothing and takes none.
    const lock = f['report-only'] ? null : await acquireRunLocks(runLockDir(), instances, {command: 'watch', config: fleet.file})
    const metrics = new Metrics()
    const server = f['metrics-port'] ? await metrics.listen(f['metrics-port']) : null
    const events = new EventSink({file: f.events ? path.resolve(f.events) : undefined, stdout: (l) => process.stdout.write(`${l}\n`), webhook: f.webhook})
    const log = new IncidentLog(fleet.heal.incidentDir, `watch-${randomUUID().slice(0, 8)}`, {retention: fleet.heal.incidentRetention})
    const watcher = new Watcher(
      fleet,
      instances,
      {
        intervalMs,
        react: f.react,
        cooldownMs,
        reportOnly: f['report-only'],
        autoRestart: f['auto-restart'],
        maxAttempts: f['max-attempts'],
        recoverAfterMs,
        ping: f.ping,
        scans: f.scans,
        waitTimeoutMs: fleet.heal.waitTimeoutMs,
      },
      events,
      log,
      metrics,
    )
    const onSignal = () => watcher.stop()
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    try {
      await watcher.run()
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      await events.drain()
      server?.close()
      await lock?.release()
    }
  }
}

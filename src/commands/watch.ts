import {Flags} from '@oclif/core'
import {randomUUID} from 'node:crypto'
import path from 'node:path'
import {BaseCommand} from '../base-command.js'
import {parseDurationFlag} from '../config/duration.js'
import {UsageError} from '../errors.js'
import {checkWatchEnv, flagLabel, WATCH_ENV, type WatchEnvFlag} from '../config/watch-env.js'
import {EventSink, eventSummary, WEBHOOK_FORMATS} from '../watch/events.js'
import {IncidentLog} from '../incidents/log.js'
import {Metrics, metricsHostProblem, metricsUrl, zeroWatchCounters} from '../watch/metrics.js'
import {assertPreflight} from '../heal/preflight.js'
import {acquireRunLocks, runLockDir} from '../runs/run-lock.js'
import {Watcher} from '../watch/watch.js'
import {chooseWatchView, colorWanted} from '../progress.js'
import {WatchView} from '../report/watch-view.js'

/** The flags oclif reads from their variables (checked first, so that a bad value names its variable). */
const ENV_KINDS = {
  'report-only': {kind: 'boolean'},
  'auto-restart': {kind: 'boolean'},
  ping: {kind: 'boolean', allowNo: true},
  react: {kind: 'boolean', allowNo: true},
  'max-attempts': {kind: 'integer', min: 1},
  'metrics-port': {kind: 'integer', min: 1, max: 65535},
  scans: {kind: 'integer', min: 0},
  'webhook-format': {kind: 'enum', options: WEBHOOK_FORMATS},
} as const

const env = (flag: WatchEnvFlag) => ({env: WATCH_ENV[flag]})

export default class Watch extends BaseCommand<typeof Watch> {
  static summary = 'Self-healing without cron: scan every interval, clear stale locks and end orphan holders once seen twice, alert on the rest.'
  static description = `Each scan judges the selected instances (as fleet status) and pings them. Stale locks and orphan holders seen on two consecutive scans are cleared or ended (recorded in the incident log first); hung locks, shared sessions dirs and gateways failing the ping on two scans raise alerts, and restart only with --auto-restart, capped per instance (--max-attempts) with an exponential cool-down (--cooldown): no restart loops; the cap is reset only after the instance has been healthy on every scan for --recover-after (10m). --report-only changes nothing.
A person sees a live table on a TTY (state, worst lock verdict, gateway work, last ping, last action, next scan) and plain lines otherwise; --json prints the events as JSON lines, and --events FILE appends them to a file; they are also POSTed to --webhook (retried with backoff, never blocking the loop). Alerts come once per episode: state open when a reason appears, state resolved (with its duration) when it is gone. --metrics-port serves Prometheus metrics and /healthz on --metrics-host (127.0.0.1). A container younger than --start-period is reported but not judged. Every flag can also be set by its FLEET_WATCH_* variable (a flag beats it). Work on one instance (clears, holder ends, a restart and its wait for readiness) runs beside the scans: the other instances are scanned and healed meanwhile; restarts in flight at once are capped by heal.concurrency. An alert episode resolves only after the instance has been healthy on every scan for watch.alertRecovery (config, 2m). SIGINT/SIGTERM: nothing new starts, the step in flight finishes (a restart's wait for readiness is cut short and reported), the run lock is released, exit 0; a second signal exits at once (130/143), naming what was left in flight. A watch that ends after --scans exits 3 when its last scan could not reach a Docker host, else 0; 2 config/usage (under --json: the JSON error document).`
  static examples = [
    '<%= config.bin %> watch --interval 30s',
    '<%= config.bin %> watch --report-only --webhook http://127.0.0.1:9000/hook',
    '<%= config.bin %> watch --auto-restart --metrics-port 9464 --events /var/log/fleet-events.jsonl',
  ]
  static enableJsonFlag = false

  static flags = {
    interval: Flags.string({description: 'Time between scans.', default: '30s', ...env('interval')}),
    'report-only': Flags.boolean({description: 'Change nothing: only report and alert.', default: false, ...env('report-only')}),
    'auto-restart': Flags.boolean({
      description: 'Restart instances with hung locks, stopped containers, or failing the ping on two scans.',
      default: false,
      ...env('auto-restart'),
    }),
    'max-attempts': Flags.integer({
      description: 'Restarts per instance before giving up (until it recovers).',
      default: 3,
      ...ENV_KINDS['max-attempts'],
      ...env('max-attempts'),
    }),
    cooldown: Flags.string({description: 'Wait after a restart before the next one (doubles with each attempt).', default: '5m', ...env('cooldown')}),
    'recover-after': Flags.string({
      description: 'How long an instance must be healthy on every scan before its restart attempts are reset (and a give-up lifted).',
      default: '10m',
      ...env('recover-after'),
    }),
    'start-period': Flags.string({
      description: 'A container that started less than this ago is reported but not judged (like Docker start_period).',
      default: '0s',
      ...env('start-period'),
    }),
    events: Flags.string({description: 'Also append the events (JSON lines) to this file (the view, or --json, still goes to stdout).', ...env('events')}),
    webhook: Flags.string({description: 'POST each event but scan to this URL; retried with backoff, never blocking.', ...env('webhook')}),
    'webhook-format': Flags.string({
      description: 'Webhook body: the event as JSON, or slack ({"text": "<one-line summary>"}).',
      options: [...WEBHOOK_FORMATS],
      default: 'json',
      ...env('webhook-format'),
    }),
    'metrics-port': Flags.integer({
      description: 'Serve Prometheus metrics on <metrics-host>:<port>/metrics (and /healthz).',
      ...ENV_KINDS['metrics-port'],
      ...env('metrics-port'),
    }),
    'metrics-host': Flags.string({
      description: 'Address the metrics port listens on: an IP address or localhost.',
      default: '127.0.0.1',
      ...env('metrics-host'),
    }),
    ping: Flags.boolean({description: 'Ping each running instance every scan.', default: true, allowNo: true, ...env('ping')}),
    react: Flags.boolean({
      description:
        'Follow the engine events (die, start, health, exec_die, pause) and the lock dirs on this disk, and judge a named instance at once; a lock first seen stale is confirmed a second later. The interval scan stays the safety net.',
      default: true,
      allowNo: true,
      ...env('react'),
    }),
    scans: Flags.integer({description: 'Stop after this many scans (default: run until SIGINT/SIGTERM).', default: 0, ...ENV_KINDS.scans, ...env('scans')}),
    json: Flags.boolean({
      description: 'Print the events as JSON lines instead of the view for people (a live table on a TTY, plain lines otherwise).',
      default: false,
    }),
  }

  override async init(): Promise<void> {
    checkWatchEnv(ENV_KINDS, this.argv, process.env)
    await super.init()
  }

  async run(): Promise<void> {
    const f = this.flags
    const label = (flag: WatchEnvFlag) => flagLabel(flag, this.argv, process.env)
    const fleet = await this.fleet()
    const instances = this.selectInstances(fleet)
    const intervalMs = parseDurationFlag(label('interval'), f.interval)
    const cooldownMs = parseDurationFlag(label('cooldown'), f.cooldown)
    const recoverAfterMs = parseDurationFlag(label('recover-after'), f['recover-after'], {
      positive: true,
      zero: '0 would reset the restart cap on one healthy scan, and a crash-looping container would be restarted forever',
    })
    const startPeriodMs = parseDurationFlag(label('start-period'), f['start-period'], {positive: false})
    if (f.webhook && !/^https?:\/\//.test(f.webhook)) throw new UsageError(`${label('webhook')}: expected an http(s) URL, got "${f.webhook}"`)
    const hostProblem = metricsHostProblem(f['metrics-host'])
    if (hostProblem) throw new UsageError(`${label('metrics-host')}: ${hostProblem}`)
    // Restarts need each group's compose paths: checked before the run lock and the first scan.
    assertPreflight(fleet, instances, {
      mayRestart: f['auto-restart'] && !f['report-only'],
      command: 'fleet watch --auto-restart',
      withoutRestart: 'without --auto-restart (or with --report-only)',
    })
    // The run lock of every watched instance, held until the watch stops; --report-only changes nothing and takes none.
    const lock = f['report-only'] ? null : await acquireRunLocks(runLockDir(), instances, {command: 'watch', config: fleet.file})
    const metrics = new Metrics()
    zeroWatchCounters(
      metrics,
      instances.map((i) => i.name),
    )
    const port = f['metrics-port']
    const server = port ? await metrics.listen(port, f['metrics-host']) : null
    // The one choice of what a person sees: JSON lines (--json), the live table (a TTY) or plain lines.
    const mode = chooseWatchView({json: f.json})
    const view =
      mode === 'json' ? null : new WatchView(mode, (t) => process.stdout.write(t), {color: colorWanted(), width: () => process.stdout.columns || 120})
    const events = new EventSink({
      file: f.events ? path.resolve(f.events) : undefined,
      stdout: mode === 'json' ? (l) => process.stdout.write(`${l}\n`) : undefined,
      webhook: f.webhook,
      webhookFormat: f['webhook-format'] as (typeof WEBHOOK_FORMATS)[number],
      // Under --json the start line, for people, is one line on stderr (stdout stays JSON lines); else the view shows it.
      echo: (e) => (view ? view.onEvent(e) : e.event === 'watch-start' && process.stderr.write(`${eventSummary(e)}\n`)),
    })
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
        startPeriodMs,
        ping: f.ping,
        scans: f.scans,
        waitTimeoutMs: fleet.heal.waitTimeoutMs,
        restartConcurrency: fleet.heal.concurrency,
        alertRecoveryMs: fleet.watch.alertRecoveryMs,
        start: {config: fleet.file, metricsUrl: port ? metricsUrl(f['metrics-host'], port) : null, incidentDir: fleet.heal.incidentDir},
      },
      events,
      log,
      metrics,
    )
    // The first SIGINT/SIGTERM stops the watch (the step in flight finishes, what did not start is reported); a second
    // one ends it at once, after saying what was left in flight (watch-stop with `abandoned`).
    let signals = 0
    const onSignal = (signal: NodeJS.Signals) => {
      signals++
      if (signals === 1) return watcher.stop(signal)
      watcher.abandon(signal)
      void Promise.all([events.drain(500), lock?.release()]).finally(() => process.exit(signal === 'SIGINT' ? 130 : 143))
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
    try {
      await watcher.run()
      // A watch that ended by itself (--scans) exits 3 when its last scan could not reach Docker, as the other commands do.
      if (signals === 0) this.markUnhealthy(false, watcher.unreachable)
    } finally {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
      view?.close()
      await events.drain()
      server?.close()
      await lock?.release()
    }
  }
}

import {Flags} from '@oclif/core'
import {mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {BaseCommand} from '../base-command.js'
import {parseDuration} from '../config/duration.js'
import {UsageError} from '../errors.js'
import {pingJunit} from '../report/junit.js'
import {pingDocument, renderPingSummary, type PingDocument} from '../report/ping.js'
import {pingFleet} from '../ping/ping.js'
import {PING_FAILURES} from '../decide/ping-class.js'
import {chooseRenderer, withProgress} from '../progress.js'

export default class Ping extends BaseCommand<typeof Ping> {
  static summary = 'The SPEED_OK smoke test: one agent turn inside every gateway container, fit for CI after deploys.'
  static description = `Runs the configured agent turn inside each selected container through docker exec (default: openclaw agent --agent main --message "Reply exactly SPEED_OK" --thinking low --json, through the gateway on every version, on a session of fleet's own), and passes when the reply text equals the expected one. A turn that times out is ended inside the container (with its children), so a ping never leaves an orphan lock or turn behind.
Failure classes: ${PING_FAILURES.join(', ')}; warning: fallback.
Exit 0 when every selected instance passed, 1 otherwise, 2 config/usage, 3 Docker unreachable.`
  static examples = ['<%= config.bin %> ping', '<%= config.bin %> ping --instances oc7-9 --repeat 5', '<%= config.bin %> ping --junit reports/ping.xml --json']

  static flags = {
    concurrency: Flags.integer({description: 'Instances pinged at once (default: ping.concurrency from the config).', min: 1, max: 64}),
    repeat: Flags.integer({description: 'Turns per instance; reports p50 and p95 latency.', default: 1, min: 1, max: 1000}),
    timeout: Flags.string({description: 'Per-turn timeout, e.g. 60s (default: ping.timeout from the config).'}),
    message: Flags.string({description: 'Message to send (default: ping.message).'}),
    expect: Flags.string({description: 'Expected reply text (default: ping.expect).'}),
    agent: Flags.string({description: 'Agent id (default: ping.agent).'}),
    'session-id': Flags.string({description: "Session id to use (default: ping.sessionId, else fleet's own session openclaw-fleet-ping)."}),
    session: Flags.string({
      description: "own: a session of fleet's own (default, never a user's transcript); main: the agent's main session, as the old runbook did.",
      options: ['own', 'main'],
    }),
    junit: Flags.string({description: 'Also write a JUnit XML report to this file (one testcase per instance).'}),
  }

  async run(): Promise<PingDocument> {
    const fleet = await this.fleet()
    const instances = this.selectInstances(fleet)
    const f = this.flags
    const timeoutMs = f.timeout === undefined ? fleet.ping.timeoutMs : parseDuration(f.timeout)
    if (timeoutMs === null || timeoutMs <= 0) throw new UsageError(`--timeout: expected a duration like 30s or 2m, got "${f.timeout}"`)
    const settings = {
      ...fleet.ping,
      timeoutMs,
      message: f.message ?? fleet.ping.message,
      expect: f.expect ?? fleet.ping.expect,
      agent: f.agent ?? fleet.ping.agent,
      session: (f.session as 'own' | 'main' | undefined) ?? fleet.ping.session,
      sessionId: f['session-id'] ?? (f.session === 'main' ? undefined : fleet.ping.sessionId),
    }
    const started = Date.now()
    const renderer = chooseRenderer({json: this.jsonEnabled(), verbose: f.verbose})
    const concurrency = f.concurrency ?? fleet.ping.concurrency
    const results = await withProgress(renderer, (view) => pingFleet(fleet, instances, settings, {repeat: f.repeat, concurrency, progress: view.sink}))
    const doc = pingDocument(results, Date.now() - started, settings)
    if (f.junit) {
      const file = path.resolve(f.junit)
      mkdirSync(path.dirname(file), {recursive: true})
      writeFileSync(file, pingJunit(results))
      doc.junit = file
    }
    this.log(renderPingSummary(doc, renderer === 'silent'))
    this.markUnhealthy(
      !doc.ok,
      results.some((r) => r.failure === 'host-unreachable'),
    )
    return doc
  }
}

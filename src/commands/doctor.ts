import {Flags} from '@oclif/core'
import {BaseCommand} from '../base-command.js'
import {parseDurationFlag} from '../config/duration.js'
import {doctorDocument, renderDoctor, type DoctorDocument} from '../report/doctor.js'
import {AGENT_START_CONCURRENCY, runDoctor, WAL_WARN_BYTES} from '../doctor/doctor.js'
import {LATENCY_FAIL_FRACTION, LATENCY_WARN_FRACTION} from '../doctor/io-checks.js'
import {IO_PROBE_BUDGET_MS, IO_SAMPLES_DEFAULT, IO_SAMPLES_MAX, parseIoSamples} from '../doctor/io-probe.js'

export default class Doctor extends BaseCommand<typeof Doctor> {
  static summary =
    'Find root causes before the outage: mounts, shared dirs, OpenClaw versions, whether the agent CLI starts, SQLite WAL and migration, small-context fallback models, disk, clock skew, duplicate gateways, known upstream signatures, and I/O where the state lives (filesystem type, fsync latency, I/O pressure).'
  static description = `Checks, each pass / warn / fail with a fix hint: Docker reachable; compose available; config paths exist; each container bind-mounts its configured dataDir at the state dir; no sessions dir mounted by two containers; the OpenClaw version in each container and what it means for locks; that the ping command starts at all (\`<ping.command> --help\` exits 0 within --agent-start-timeout, ${AGENT_START_CONCURRENCY} containers at a time); on 2026.8+ (SQLite sessions): that ping.command does not use --local (refused while a gateway runs), no state dir mounted by two containers, WAL files below ${WAL_WARN_BYTES / 1024 ** 2} MiB, and no agent left with JSONL transcripts but no SQLite db after an upgrade; fallback models in openclaw.json whose context window is below 16000 tokens; disk use of sessions dirs and free space; clock skew between host and container; duplicate gateway processes in one container; the known upstream signatures fallback-reuses-locked-session and session-takeover-race in the container's log; per host and filesystem (measured once when state dirs share one): the filesystem type of the state dir (warn on nfs, cifs, fuse.* and other network filesystems), a create+write+fsync+unlink latency probe (p99 against the version's lock wait: warn above ${LATENCY_WARN_FRACTION * 100}%, fail above ${LATENCY_FAIL_FRACTION * 100}%), the host's I/O pressure and free space (remote engines: one exec in the container).
Never opens a SQLite db. The only writes are the latency probe's own files, <dataDir>/.fleet-io-probe-<pid>-<n> (O_EXCL, each removed at once; at most ${IO_PROBE_BUDGET_MS / 1000} s of sampling per filesystem); --io-samples 0 writes nothing.
Exit 1 on any fail; 2 config/usage.`
  static examples = [
    '<%= config.bin %> doctor',
    '<%= config.bin %> doctor --instances oc7-9 --all',
    '<%= config.bin %> doctor --json',
    '<%= config.bin %> doctor --agent-start-timeout 2m',
    '<%= config.bin %> doctor --io-samples 100',
  ]

  static flags = {
    all: Flags.boolean({description: 'Also list the checks that passed.', default: false}),
    'agent-start-timeout': Flags.string({
      description: 'How long `<ping.command> --help` may take in each container (a real 2026.9.6 CLI start takes 3-12 s on 2 busy cores).',
      default: '60s',
    }),
    'io-samples': Flags.string({
      description: `Latency samples (create+write+fsync+unlink of a probe file beside the sessions dir) per filesystem, 0 to ${IO_SAMPLES_MAX}; 0 skips the probe.`,
      default: String(IO_SAMPLES_DEFAULT),
    }),
  }

  async run(): Promise<DoctorDocument> {
    const agentStartTimeoutMs = parseDurationFlag('--agent-start-timeout', this.flags['agent-start-timeout'])
    const ioSamples = parseIoSamples(this.flags['io-samples'])
    const fleet = await this.fleet()
    const doc = doctorDocument(await runDoctor(fleet, this.selectInstances(fleet), {agentStartTimeoutMs, ioSamples}))
    this.log(renderDoctor(doc, {all: this.flags.all || this.flags.verbose}))
    // A Docker host that could not be reached is exit 3, as in every other command.
    this.markUnhealthy(
      !doc.ok,
      doc.checks.some((c) => c.check === 'docker' && c.status === 'fail'),
    )
    return doc
  }
}

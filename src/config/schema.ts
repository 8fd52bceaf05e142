/** The fleet config file's shape (zod). Unknown keys are errors everywhere. */
import {z} from 'zod'
import {durationProblem, MAX_TIMER_MS, parseDuration} from './duration.js'

/**
 * A duration in ms. `positive`: 0 is refused (timeouts, waits and thresholds where 0 gives up at once or
 * judges everything); without it 0 is allowed because it means something (no tolerance, no grace). Every
 * duration must fit a Node timer (at most 2147483647 ms).
 */
const durationOf = (opts: {positive: boolean; timer?: boolean}) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v)
    if (ms === null) {
      ctx.addIssue({code: 'custom', message: `expected a duration like 90s, 5m or 1h30m, got ${JSON.stringify(v)}`})
      return z.NEVER
    }
    // A duration no timer waits for (an age: heal.incidentRetention.keepFor) may exceed a Node timer's limit.
    const problem = opts.timer === false ? (ms > Number.MAX_SAFE_INTEGER ? `expected at most ${Number.MAX_SAFE_INTEGER} ms` : null) : durationProblem(ms, opts)
    if (problem) {
      ctx.addIssue({code: 'custom', message: `${problem}, got ${JSON.stringify(v)}${ms > MAX_TIMER_MS ? ` (${ms} ms)` : ''}`})
      return z.NEVER
    }
    return ms
  })
/** Timeouts, waits, and thresholds that would judge everything at 0. */
const duration = durationOf({positive: true})
/** Durations where 0 means something: locks.clockSkew (no tolerance), locks.malformedGrace (reclaim at once), heal.termGrace (SIGKILL right after SIGTERM). */
const durationOrZero = durationOf({positive: false})
/** An age compared with dates, never waited for: 0 allowed, no timer limit (30d, 1y = 365d). */
const age = durationOf({positive: false, timer: false})

/** OpenClaw 2026.9's own stop policy: drain 315 s + 10 s cleanup + 5 s exit margin (`shutdown budget … policy=330000ms`). */
export const DEFAULT_STOP_TIMEOUT_MS = 330_000

export const DEFAULT_RETENTION = {keepRuns: 200, keepFor: 30 * 86_400_000}

/** heal.incidentRetention: a past run is pruned once it is neither among the newest keepRuns nor younger than keepFor. */
const incidentRetention = z
  .strictObject({
    keepRuns: z.number().int().min(0).max(1_000_000).default(DEFAULT_RETENTION.keepRuns),
    keepFor: age.default(DEFAULT_RETENTION.keepFor),
  })
  .refine((r) => r.keepRuns > 0 || r.keepFor > 0, {
    message: 'keepRuns: 0 with keepFor: 0 would delete every past incident each time a new one is made; keep some runs or some days',
  })

const idList = z.union([z.string(), z.number().int().nonnegative(), z.array(z.number().int().nonnegative())])

const template = (what: string) =>
  z
    .string()
    .min(1)
    .refine((s) => s.includes('{id}'), {message: `${what} template must contain {id}, e.g. ${EXAMPLES[what]}`})

const EXAMPLES: Record<string, string> = {
  container: 'openclaw-openclaw-gateway-{id}-1',
  dataDir: '/opt/openclaw-multi/data/oc{id}/config',
  service: 'openclaw-gateway-{id}',
}

/** A Docker context name, as `docker context create` accepts it. */
export const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/

/** What is wrong with a `docker.host` value (null: fine): unix://, tcp://, ssh://, npipe:// or a Docker context name. */
export function dockerHostProblem(host: string): string | null {
  const expected = 'expected unix:///path/to/docker.sock, tcp://host:port, ssh://[user@]host[:port], npipe:////./pipe/name or a Docker context name'
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(host)
  if (!scheme) {
    if (CONTEXT_NAME.test(host)) return null
    const hint = host.startsWith('/') ? ` (for a socket path write unix://${host})` : /^[a-z]+:?\/+/i.test(host) ? ' (a scheme is written scheme://)' : ''
    return `${expected}, got ${JSON.stringify(host)}${hint}`
  }
  const [, name, rest] = scheme
  switch (name) {
    case 'unix':
      return rest.startsWith('/') ? null : `expected an absolute socket path after unix:// (unix:///var/run/docker.sock), got ${JSON.stringify(host)}`
    case 'npipe':
      return rest !== '' ? null : `expected a pipe name after npipe:// (npipe:////./pipe/docker_engine), got ${JSON.stringify(host)}`
    case 'tcp':
    case 'ssh': {
      let url: URL | null = null
      try {
        url = new URL(host)
      } catch {
        url = null
      }
      if (!url || url.hostname === '')
        return `expected ${name}://host${name === 'ssh' ? ' (or ssh://user@host:port)' : ':port'}, got ${JSON.stringify(host)}: no host name`
      return null
    }
    default: {
      const hint = name === 'http' ? ` (write tcp://${rest})` : name === 'https' ? ` (write tcp://${rest} with docker.certPath for TLS)` : ''
      return `${expected}, got ${JSON.stringify(host)}: unsupported scheme ${name}://${hint}`
    }
  }
}

const dockerHostValue = z
  .string()
  .min(1)
  .superRefine((host, ctx) => {
    const problem = dockerHostProblem(host)
    if (problem) ctx.addIssue({code: 'custom', message: problem})
  })

const dockerHost = z.strictObject({
  host: dockerHostValue.optional(),
  timeout: duration.optional(),
  /** Dir with ca.pem, cert.pem, key.pem for tcp:// with TLS (default: DOCKER_CERT_PATH). */
  certPath: z.string().min(1).optional(),
  /** Private key for ssh:// hosts (default: the SSH agent, else ~/.ssh/id_*). */
  sshKey: z.string().min(1).optional(),
  /** known_hosts file for ssh:// hosts (default: ~/.ssh/known_hosts). */
  knownHosts: z.string().min(1).optional(),
})

const composeCommand = z.union([z.enum(['auto', 'docker compose', 'docker-compose']), z.array(z.string().min(1)).min(1)])

export const groupSchema = z.strictObject({
  instances: idList,
  projectDir: z.string().min(1),
  composeFile: z.string().min(1),
  envFile: z.string().min(1).optional(),
  docker: dockerHost.optional(),
})

export const configSchema = z.strictObject({
  instances: idList,
  container: template('container').default('openclaw-openclaw-gateway-{id}-1'),
  service: template('service').default('openclaw-gateway-{id}'),
  dataDir: template('dataDir'),
  stateDir: z.string().startsWith('/').default('/home/node/.openclaw'),
  agents: z
    .array(z.string().regex(/^[A-Za-z0-9._-]+$/, 'agent ids are letters, digits, . _ -'))
    .min(1)
    .default(['main']),
  docker: dockerHost.default({}),
  compose: z
    .strictObject({
      command: composeCommand.default('auto'),
      timeout: duration.default(180_000),
    })
    .default({command: 'auto', timeout: 180_000}),
  /**
   * restart.stopTimeout: how long a restart lets the gateway stop before Docker SIGKILLs it (`compose restart -t`,
   * `docker restart -t`). OpenClaw 2026.9 drains active work on SIGTERM for up to 315 s and exits within its 330 s
   * stop policy; Docker's own default is 10 s, which kills a draining gateway and its turns in flight.
   */
  restart: z
    .strictObject({
      stopTimeout: duration
        .refine((ms) => ms >= 1_000 && ms <= 3_600_000, {message: 'expected between 1s and 1h (Docker takes whole seconds)'})
        .default(DEFAULT_STOP_TIMEOUT_MS),
    })
    .default({stopTimeout: DEFAULT_STOP_TIMEOUT_MS}),
  groups: z
    .record(z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*$/, 'group names start with a letter (they must not look like an id or a range)'), groupSchema)
    .optional(),
  ping: z
    .strictObject({
      command: z.union([z.literal('auto'), z.array(z.string().min(1)).min(1)]).default('auto'),
      message: z.string().min(1).default('Reply exactly SPEED_OK'),
      expect: z.string().min(1).default('SPEED_OK'),
      agent: z.string().min(1).default('main'),
      session: z.enum(['own', 'main']).default('own'),
      sessionId: z
        .string()
        .regex(/^[A-Za-z0-9._:-]+$/, 'session ids are letters, digits, . _ : -')
        .optional(),
      thinking: z.string().min(1).default('low'),
      timeout: duration.default(120_000),
      concurrency: z.number().int().min(1).max(64).default(4),
    })
    .default({
      command: 'auto',
      message: 'Reply exactly SPEED_OK',
      expect: 'SPEED_OK',
      agent: 'main',
      session: 'own',
      thinking: 'low',
      timeout: 120_000,
      concurrency: 4,
    }),
  locks: z
    .strictObject({
      maxHold: duration.default(300_000),
      orphanAfter: duration.default(120_000),
      deadlineMargin: durationOrZero.default(120_000),
      execClients: z.enum(['anywhere', 'this-host']).default('anywhere'),
      clockSkew: durationOrZero.default(2_000),
      malformedGrace: durationOrZero.default(5_000),
      probeTimeout: duration.default(15_000),
      access: z.enum(['auto', 'host', 'docker']).default('auto'),
      probe: z.enum(['auto', 'exec']).default('auto'),
    })
    .default({
      maxHold: 300_000,
      orphanAfter: 120_000,
      deadlineMargin: 120_000,
      execClients: 'anywhere',
      clockSkew: 2_000,
      malformedGrace: 5_000,
      probeTimeout: 15_000,
      access: 'auto',
      probe: 'auto',
    }),
  gateway: z
    .strictObject({
      /** How long a start may take before a gateway that is not ready is failing (real 2026.9.6: 20 s to 3.5 min). */
      startBudget: duration.default(300_000),
      /** A restart by the container's restart policy within this window keeps the gateway out of ok. */
      crashLoopWindow: duration.default(300_000),
      /** This many policy restarts within the window make a crash loop. */
      crashLoopRestarts: z.number().int().min(1).max(1000).default(3),
      /** Lock errors in a gateway's log this recent keep it out of ok. */
      lockErrorWindow: durationOrZero.default(120_000),
      /** The gateway's port inside the container (its readiness endpoint is asked there). */
      port: z.number().int().min(1).max(65535).default(18789),
    })
    .default({startBudget: 300_000, crashLoopWindow: 300_000, crashLoopRestarts: 3, lockErrorWindow: 120_000, port: 18789}),
  heal: z
    .strictObject({
      waitTimeout: duration.default(180_000),
      concurrency: z.number().int().min(1).max(64).default(4),
      incidentDir: z.string().min(1).optional(),
      termGrace: durationOrZero.default(5_000),
      incidentRetention: incidentRetention.default(DEFAULT_RETENTION),
    })
    .default({waitTimeout: 180_000, concurrency: 4, termGrace: 5_000, incidentRetention: DEFAULT_RETENTION}),
  /** fleet watch: alertRecovery: how long an instance must be healthy on every scan before an alert episode resolves. */
  watch: z.strictObject({alertRecovery: duration.default(120_000)}).default({alertRecovery: 120_000}),
})

export type RawConfig = z.output<typeof configSchema>

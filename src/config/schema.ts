/** The fleet config file's shape (zod). Unknown keys are errors everywhere. */
import {z} from 'zod'
import {parseDuration} from './duration.js'

const duration = z
  .union([z.string(), z.number()])
  .transform((v, ctx) => {
    const ms = parseDuration(v)
    if (ms === null) {
      ctx.addIssue({code: 'custom', message: `expected a duration like 90s, 5m or 1h30m, got ${JSON.stringify(v)}`})
      return z.NEVER
    }
    return ms
  })

const idList = z.union([z.string(), z.number().int().nonnegative(), z.array(z.number().int().nonnegative())])

const template = (what: string) =>
  z.string().min(1).refine((s) => s.includes('{id}'), {message: `${what} template must contain {id}, e.g. ${EXAMPLES[what]}`})

const EXAMPLES: Record<string, string> = {
  container: 'openclaw-openclaw-gateway-{id}-1',
  dataDir: '/opt/openclaw-multi/data/oc{id}/config',
  service: 'openclaw-gateway-{id}',
}

const dockerHost = z.strictObject({
  host: z.string().min(1).optional(),
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
  agents: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/, 'agent ids are letters, digits, . _ -')).min(1).default(['main']),
  docker: dockerHost.default({}),
  compose: z
    .strictObject({
      command: composeCommand.default('auto'),
      timeout: duration.default(180_000),
    })
    .default({command: 'auto', timeout: 180_000}),
  groups: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9._-]*$/, 'group names start with a letter (they must not look like an id or a range)'), groupSchema).optional(),
  ping: z
    .strictObject({
      command: z.array(z.string().min(1)).min(1).default(['openclaw', 'agent', '--local']),
      message: z.string().min(1).default('Reply exactly SPEED_OK'),
      expect: z.string().min(1).default('SPEED_OK'),
      agent: z.string().min(1).default('main'),
      sessionId: z.string().min(1).optional(),
      thinking: z.string().min(1).default('low'),
      timeout: duration.default(120_000),
      concurrency: z.number().int().min(1).max(64).default(4),
    })
    .default({command: ['openclaw', 'agent', '--local'], message: 'Reply exactly SPEED_OK', expect: 'SPEED_OK', agent: 'main', thinking: 'low', timeout: 120_000, concurrency: 4}),
  locks: z
    .strictObject({
      maxHold: duration.default(300_000),
      orphanAfter: duration.default(120_000),
      clockSkew: duration.default(2_000),
      malformedGrace: duration.default(5_000),
      probeTimeout: duration.default(15_000),
      access: z.enum(['auto', 'host', 'docker']).default('auto'),
      probe: z.enum(['auto', 'exec']).default('auto'),
    })
    .default({maxHold: 300_000, orphanAfter: 120_000, clockSkew: 2_000, malformedGrace: 5_000, probeTimeout: 15_000, access: 'auto', probe: 'auto'}),
  heal: z
    .strictObject({
      waitTimeout: duration.default(180_000),
      concurrency: z.number().int().min(1).max(64).default(4),
      incidentDir: z.string().min(1).optional(),
      termGrace: duration.default(5_000),
    })
    .default({waitTimeout: 180_000, concurrency: 4, termGrace: 5_000}),
})

export type RawConfig = z.output<typeof configSchema>
export type RawGroup = z.output<typeof groupSchema>

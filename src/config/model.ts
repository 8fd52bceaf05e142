/** The resolved fleet: what every command works on. Built from the config by `buildFleet`. */
import type {LockPolicy} from '../locks/types.js'

/** What the life rule allows a gateway (see openclaw/gateway-life.ts). */
export interface LifePolicy {
  /** How long a start may take before a gateway that is not ready is failing. */
  startBudgetMs: number
  /** A policy restart within this window keeps the gateway out of `ok`. */
  crashLoopWindowMs: number
  /** This many policy restarts within the window make a crash loop. */
  crashLoopRestarts: number
  /** Lock errors in the log this recent keep the gateway out of ok (recentLockErrors). */
  lockErrorWindowMs: number
}

/** How many incident runs `fleet incidents prune` keeps (see incidents/retention.ts). */
export interface RetentionPolicy {
  /** The newest runs always kept (0: the count protects none). */
  keepRuns: number
  /** Runs younger than this are always kept, ms (0: age protects none). */
  keepForMs: number
}

export interface SessionsDir {
  agent: string
  /** Host path (local engines). */
  hostDir: string
  /** Path inside the container. */
  containerDir: string
}

export interface DockerTarget {
  /** As configured (`unix://...`, `tcp://...`, `ssh://...`) or undefined for DOCKER_HOST / the local socket. */
  host?: string
  timeoutMs: number
  /** TLS client certificates (ca.pem, cert.pem, key.pem) for tcp:// hosts. */
  certPath?: string
  /** ssh:// hosts: private key file and known_hosts file. */
  sshKey?: string
  knownHosts?: string
}

export interface Instance {
  id: number
  /** `oc<id>` */
  name: string
  container: string
  service: string
  dataDir: string
  stateDir: string
  sessions: SessionsDir[]
  group?: string
  docker: DockerTarget
  /** How lock files are read and removed: on this machine's disk, or through the Docker API only (remote hosts). */
  lockAccess: 'host' | 'docker'
}

export interface Group {
  name: string
  ids: number[]
  projectDir: string
  composeFile: string
  envFile?: string
  docker: DockerTarget
}

export interface PingSettings {
  /** auto: `openclaw agent --local` up to 2026.7 (and when the version is unknown), `openclaw agent` (through the gateway) from 2026.8; else this argv. */
  command: 'auto' | string[]
  message: string
  expect: string
  agent: string
  /** own: a session of fleet's own (sessionId, else DEFAULT_PING_SESSION), never a user's; main: the agent's main session, as the old runbook. */
  session: 'own' | 'main'
  sessionId?: string
  thinking: string
  timeoutMs: number
  concurrency: number
}

export interface Fleet {
  /** The config file this fleet came from. */
  file: string
  ids: number[]
  instances: Instance[]
  groups: Group[]
  compose: {command: 'auto' | 'docker compose' | 'docker-compose' | string[]; timeoutMs: number}
  /** stopTimeoutMs: the stop budget of a restart (`compose restart -t`, `docker restart -t`), whole seconds. */
  restart: {stopTimeoutMs: number}
  ping: PingSettings
  /** probe: where process evidence comes from (auto: the host's /proc when it is proven to show the container, else exec). */
  locks: LockPolicy & {probeTimeoutMs: number; probe: 'auto' | 'exec'}
  /** The gateway's life cycle: start budget, crash-loop window (see decide/gateway-life.ts), and its port in the container. */
  gateway: LifePolicy & {port: number}
  /** incidentRetention: which past incident dirs are pruned when a new one is made (and by `fleet incidents prune`). */
  heal: {waitTimeoutMs: number; concurrency: number; incidentDir: string; termGraceMs: number; incidentRetention: RetentionPolicy}
  /** alertRecoveryMs: an alert episode of fleet watch resolves once the instance has been healthy on every scan for this long. */
  watch: {alertRecoveryMs: number}
}

export function instanceById(fleet: Fleet, id: number): Instance {
  const found = fleet.instances.find((i) => i.id === id)
  if (!found) throw new Error(`instance ${id} is not in the fleet`)
  return found
}

export function groupOf(fleet: Fleet, instance: Instance): Group | undefined {
  return fleet.groups.find((g) => g.name === instance.group)
}

/** The session fleet's pings use by default: its own, so users' transcripts are never written (its name marks it as fleet's). */
export const DEFAULT_PING_SESSION = 'openclaw-fleet-ping'

/** The session a ping turn runs on: an explicit sessionId, else fleet's own, else (session: main) the agent's main session (null). */
export function pingSession(p: Pick<PingSettings, 'session' | 'sessionId'>): string | null {
  return p.sessionId ?? (p.session === 'main' ? null : DEFAULT_PING_SESSION)
}

// Types for lab/real/faults.mjs (faults on REAL OpenClaw gateways, made and judged with OpenClaw's own code).
import type {ChildProcess} from 'node:child_process'

export interface RealFaultOptions {root?: string}
export interface RealFaultBase {fault: string; instance: number; container: string; version: string}
/** A docker exec client (lab/run.mjs start()); kill `child` to orphan what runs inside. */
export interface ExecClient {child: ChildProcess; pid: number; output: {stdout: string; stderr: string}; exited: Promise<{code: number | null; signal: string | null; stdout: string; stderr: string}>}
export interface Proc {pid: number; ppid: number; user: string; args: string}

export declare const DATABASES: {agent: 'agents/main/agent/openclaw-agent.sqlite'; state: 'state/openclaw.sqlite'}
export declare const GATEWAY_LOCK_DIR: 'tmp/openclaw-1000'

/** Run a lab/real/fault-agent.mjs command in the container; its JSON answer. */
export declare function inContainer(container: string, command: string, spec?: object): Promise<any>
export declare function startExecHolder(container: string, command: 'hold-lock' | 'sqlite-hold', spec: object, opts?: {timeout?: number; message?: string}): Promise<{client: ExecClient; holder: {ready: true; pid: number; starttime: number; [k: string]: unknown}; parentPid: number}>
export declare function killInContainer(container: string, pids: number | number[], signal?: string): Promise<unknown>

export interface RealTurn {code: number; ms: number; ok: boolean; text: string; error: string | null; stderrTail: string[]}
/** One real smoke turn (--local up to 2026.7, through the gateway from 2026.8); error: the user-visible failure text. */
export declare function realTurn(instance: number, opts?: RealFaultOptions & {timeoutMs?: number; sessionId?: string; timeoutS?: number; local?: boolean; message?: string}): Promise<RealTurn>
/** docker logs lines and /tmp/openclaw/openclaw-<date>.log lines (as "<time> <LEVEL> <parts>") matching re since `since`. */
export declare function realLogs(instance: number, opts?: RealFaultOptions & {re?: RegExp; since?: number}): Promise<{dockerLogs: string[]; fileLog: string[]}>

export interface HostLock {raw: string; file: string; kind: 'POSIX' | 'FLOCK' | 'OFDLCK'; type: 'READ' | 'WRITE'; hostPid: number; containerPid: number | null; start: number; end: number | 'EOF'}
/** /proc/locks lines on the db file and its -shm; writer: the WRITE lock on byte 120 of the -shm (WAL writer), or null. */
export declare function hostSqliteLocks(instance: number, opts?: RealFaultOptions & {db?: 'agent' | 'state' | string}): {dbPath: string; inodes: Record<string, string>; lines: string[]; locks: HostLock[]; writer: HostLock | null}

// ---- OpenClaw's own judgements (run in the container with OpenClaw's code) ----
export interface SessionLockJudgement {lockPath: string; pid: number | null; pidAlive: boolean; createdAt: string | null; ageMs: number | null; stale: boolean; staleReasons: string[]; removed: false}
/** Up to 2026.7: cleanStaleLockFiles({sessionsDir, removeStale: false}). */
export declare function judgeSessionLocks(instance: number, opts?: RealFaultOptions & {agent?: string}): Promise<RealFaultBase & {via: string; pid: number; locks: SessionLockJudgement[]; cleaned: []}>
/** 2026.8+: BEGIN IMMEDIATE on a second connection with busy_timeout 0. busy true: errcode 5, errstr "database is locked". */
export declare function probeSqlite(instance: number, opts?: RealFaultOptions & {db?: 'agent' | 'state'}): Promise<{instance: number; container: string; version: string; db: string; opener: string; busy: boolean; ms: number; code?: string; errcode?: number; errstr?: string; message?: string}>
export interface GatewayLockPayload {pid: number; ownerId?: string; cronOwnerProjection?: string; createdAt: string; configPath: string; stateDir?: string; port?: number; role?: string; startTime?: number}
/** 2026.8+: readActiveGatewayLockIdentity() and resolveGatewayOwnerStatus() of both lock files. */
export declare function judgeGatewayLock(instance: number, opts?: RealFaultOptions): Promise<RealFaultBase & {via: string; pid: number; stateDir: string; active: (Omit<GatewayLockPayload, 'configPath' | 'stateDir'>) | null; locks: {lockPath: string; payload: GatewayLockPayload | null; ownerStatus: 'alive' | 'dead' | 'unknown' | null}[]}>

// ---- faults ----
export interface SessionFields {sessionId: string; sessionFile: string; lockPath: string; hostLockPath: string}
export interface HolderMode {stopped: boolean; clientKilled: boolean; clientExitCode: number | null}
export interface SessionLock {pid: number; createdAt: string; starttime?: number}
/** (1) up to 2026.7 */
export declare function realDeadPid(instance: number, opts?: RealFaultOptions): Promise<RealFaultBase & SessionFields & {fault: 'dead-pid'; pid: number; lock: SessionLock; via: string; clientExitCode: number | null; pidAlive: false}>
/** (2) up to 2026.7 */
export declare function realLiveHolder(instance: number, opts?: RealFaultOptions & {timeout?: number; stop?: boolean; killClient?: boolean}): Promise<RealFaultBase & SessionFields & HolderMode & {fault: 'live-holder'; pid: number; parentPid: number; lock: SessionLock; via: string; timeoutSec: number; client?: ExecClient}>
/** (3) up to 2026.7 */
export declare function realPreviousIncarnation(instance: number, opts?: RealFaultOptions & {legacy?: boolean; attempts?: number}): Promise<RealFaultBase & SessionFields & {fault: 'previous-incarnation'; pid: number; lock: SessionLock; written: string; legacy: boolean; oldGatewayPid: number; gatewayPid: number; samePid: boolean; attempts: number; containerStartedAt: string}>
export interface SqliteWriterFault extends RealFaultBase, HolderMode {
  db: string
  hostDb: string
  /** the child titled openclaw-agent that sits in BEGIN IMMEDIATE */
  pid: number
  /** the exec'd parent (PPID 0): node --import fault-agent.mjs /app/openclaw.mjs agent ... --timeout N */
  parentPid: number
  processes: Proc[]
  opener: string
  timeoutSec: number
  hostLocks: ReturnType<typeof hostSqliteLocks>
  client?: ExecClient
}
/** (4) 2026.8+ */
export declare function sqliteWriterFault(instance: number, opts?: RealFaultOptions & {timeout?: number; stop?: boolean; killClient?: boolean}): Promise<SqliteWriterFault & {fault: 'sqlite-writer'}>
/** (5) 2026.8+ */
export declare function stateWriterFault(instance: number, opts?: RealFaultOptions & {timeout?: number; stop?: boolean; killClient?: boolean}): Promise<SqliteWriterFault & {fault: 'state-writer'}>
/** (6) 2026.8+ */
/** reuse: 'rewrite' (default) points the lock files at the new gateway's pid when it got another one (one restart); 'wait' restarts until the pid repeats by itself (up to attempts). */
export declare function gatewayLockReuse(instance: number, opts?: RealFaultOptions & {keepStartTime?: boolean; files?: 'both' | 'state' | 'config'; attempts?: number; waitMs?: number; reuse?: 'rewrite' | 'wait'}): Promise<RealFaultBase & {fault: 'gateway-lock-reuse'; lockDir: string; files: string[]; payload: Record<string, GatewayLockPayload>; originals: Record<string, string>; keepStartTime: boolean; pid: number; gatewayPid: number; samePid: boolean; attempts: number; pidsSeen: number[]; judgementWhileStarting: any; refused: string | null; ms: number; ready?: boolean; timedOut?: boolean; logTail?: string[]}>
export declare function realOrphan(instance: number, opts?: RealFaultOptions & {holdMs?: number; timeout?: number}): Promise<RealFaultBase & {fault: 'orphan'; clientPid: number; processes: Proc[]; timeoutSec: number}>
export declare function realFrozen(instance: number, opts?: RealFaultOptions & {midTurn?: boolean}): Promise<RealFaultBase & {fault: 'frozen'; gatewayPid: number; midTurn: boolean; process: {pid: number; state: string; ppid: number; starttime: number; cmdline: string}; client?: ExecClient}>
export declare function realPaused(instance: number, opts?: RealFaultOptions & {midTurn?: boolean}): Promise<RealFaultBase & {fault: 'paused'; midTurn: boolean; status: string; client?: ExecClient}>
export declare function realStopped(instance: number, opts?: RealFaultOptions & {kill?: boolean}): Promise<RealFaultBase & {fault: 'stopped'; kill: boolean; status: string}>
export declare function realSharedState(instance: number, opts?: RealFaultOptions & {other?: number}): Promise<RealFaultBase & {fault: 'shared-state'; other: number; otherContainer: string; sharedDir: string; ms: number}>
/** SIGCONT then SIGKILL the fault's pid and parentPid inside the container; kills the docker exec client too. */
export declare function endHolder(fault: {container: string; pid?: number; parentPid?: number; client?: ExecClient}): Promise<{container: string; killed: number[]}>

export interface RealFaultEntry {
  upTo?: '2026.7'
  from?: '2026.8'
  inject: (instance: number, opts?: any) => Promise<RealFaultBase & Record<string, any>>
  /** OpenClaw's own judgement of the fault (absent for process/container faults). */
  judge?: (instance: number, opts?: RealFaultOptions) => Promise<any>
  /** Undo what keeps the fault alive, as a heal would. */
  end: (fault: any) => Promise<object>
}
export declare const FAULTS: Record<'dead-pid' | 'live-holder' | 'previous-incarnation' | 'sqlite-writer' | 'state-writer' | 'gateway-lock-reuse' | 'orphan' | 'frozen' | 'paused' | 'stopped' | 'shared-state', RealFaultEntry>
export declare function faultApplies(name: string, version: string): boolean
/** The fault without its live `client` handle (for JSON). */
export declare function printable<T extends object>(fault: T): Omit<T, 'client'>

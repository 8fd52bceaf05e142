// Types for lab/faults.mjs (fault injection by real processes).
import type {RunResult} from './run.mjs'

export interface FaultOptions {root?: string}
export interface LockPayload {pid: number; createdAt: string; starttime?: number}
export interface ProcInfo {pid: number; exists: boolean; state?: string; ppid?: number; starttime?: number; cmdline?: string}
export interface GatewayInfo {pid: number; ppid: number; starttime: number; title: string; version: string; ready: boolean; startedAt: string; stateDir: string}
export interface FaultBase {fault: string; instance: number; container: string}
/** Lock faults: the main session's lock. lockPath is the path inside the container (as in the error line). */
export interface LockFault extends FaultBase {sessionId: string; lockPath: string; hostLockPath: string; pid: number; lock: LockPayload}
export interface ControlFault extends FaultBase {controlFile: string; value: string | number | null}

export interface TurnOptions {local?: boolean; agent?: string; message?: string; sessionId?: string; timeout?: number; env?: Record<string, string | number>; timeoutMs?: number}
export interface TurnResult extends RunResult {json: any}

export declare const FIXTURE_LOCKS: ['empty', 'truncated', 'invalid-createdAt', 'missing-pid']
export declare const TYPICAL_GATEWAY_PID: 7
export declare function agentArgs(turn?: Omit<TurnOptions, 'env' | 'timeoutMs'>): string[]
/** docker exec <container> openclaw agent [--local] --agent main --message "Reply exactly SPEED_OK" --thinking low --json; never rejects on exit code. */
export declare function agentTurn(container: string, opts?: TurnOptions): Promise<TurnResult>
export declare function gatewayGet(container: string, urlPath: string, opts?: {post?: boolean; timeoutMs?: number}): Promise<any>
export declare function gatewayInfo(container: string): Promise<GatewayInfo>
export declare function procInContainer(container: string, pid: number): Promise<ProcInfo>
export declare function mainSession(inst: {sessionsDir: string; containerSessionsDir: string}, agent?: string): {sessionId: string; hostLockPath: string; lockPath: string}
export declare function readLock(hostLockPath: string): LockPayload | null
/** value null removes the control file. Names: slow-ms, reply, model-error, skip-startup-sweep, lock-format, startup-ms, crash-after-ms. */
export declare function setControl(instance: number, name: string, value: string | number | null, opts?: FaultOptions): Promise<{instance: number; container: string; controlFile: string; value: string | number | null}>
export declare function killAndStart(container: string, opts?: {wantPid?: number; attempts?: number}): Promise<{info: GatewayInfo; attempts: number}>

/** (a) */
export declare function deadPid(instance: number, opts?: FaultOptions & {holdMs?: number}): Promise<LockFault & {pidAlive: false; clientExitCode: number | null}>
/** (b) */
export declare function orphan(instance: number, opts?: FaultOptions & {holdMs?: number; timeout?: number}): Promise<LockFault & {clientPid: number; process: ProcInfo; timeoutSec: number}>
/** An exec'd two-process turn holding the main session's lock for holdMs (client attached until `holder` is killed). */
export declare function startHolder(inst: any, holdMs: number, opts?: {timeout?: number}): Promise<{holder: {child: import('node:child_process').ChildProcess; pid: number; exited: Promise<{code: number | null; stdout: string; stderr: string}>}; session: {sessionId: string; hostLockPath: string; lockPath: string}; lock: LockPayload}>
export declare function attachedTurn(instance: number, opts?: FaultOptions & {holdMs?: number; timeout?: number}): Promise<{instance: number; container: string; holder: {child: import('node:child_process').ChildProcess; pid: number; exited: Promise<{code: number | null; stdout: string; stderr: string}>}; session: {sessionId: string; hostLockPath: string; lockPath: string}; lock: LockPayload}>
/** A gateway mid-turn (holding the main session's lock) whose container is docker-paused. */
export declare function paused(instance: number, opts?: FaultOptions & {holdMs?: number}): Promise<LockFault & {gatewayPid: number}>
/** (c) */
export declare function frozen(instance: number, opts?: FaultOptions & {holdMs?: number}): Promise<LockFault & {gatewayPid: number; process: ProcInfo}>
/** (d) */
export declare function previousIncarnation(instance: number, opts?: FaultOptions & {legacy?: boolean; holdMs?: number; heldForMs?: number}): Promise<LockFault & {legacy: boolean; oldGatewayPid: number; oldGatewayStarttime: number | null; gatewayPid: number; gatewayStarttime: number; samePid: boolean; restarts: number; containerStartedAt: string}>
/** (e) */
export declare function sharedSessions(instance: number, opts?: FaultOptions & {other?: number; readOnly?: boolean}): Promise<FaultBase & {readOnly: boolean; other: number; otherContainer: string; sharedDir: string; mountTarget: string; composeFile: string; ms: number}>
/** (f) */
export declare function slow(instance: number, opts?: FaultOptions & {ms?: number}): Promise<ControlFault & {ms: number}>
export declare function wrongReply(instance: number, opts?: FaultOptions & {text?: string}): Promise<ControlFault & {text: string}>
export declare function modelError(instance: number, opts?: FaultOptions): Promise<ControlFault>
/** Every start is refused with `Gateway failed to start: <text>` (control file start-refusal): a crash loop that names its cause. */
export declare function startRefusal(instance: number, opts?: FaultOptions & {text?: string}): Promise<ControlFault & {text: string}>
/** The gateway takes `ms` after each start before it is ready (control file startup-ms); restarted once now. */
export declare function slowStart(instance: number, opts?: FaultOptions & {ms?: number}): Promise<ControlFault & {ms: number}>
/** The gateway exits 1 afterMs (default 0) after each start (control crash-after-ms; startupMs sets startup-ms); restarted once so it takes effect. */
export declare function crashLoop(instance: number, opts?: FaultOptions & {afterMs?: number; startupMs?: number}): Promise<FaultBase & {afterMs: number; startupMs: number | null}>
/** (g) */
export declare function stoppedWithLock(instance: number, opts?: FaultOptions & {holdMs?: number}): Promise<LockFault & {containerStatus: string; restartedByPolicy: boolean}>
/** (h) */
export declare function malformedLocks(instance: number, opts?: FaultOptions): Promise<FaultBase & {files: {fixture: string; sessionId: string; hostPath: string; lockPath: string; bytes: number}[]}>
/** (i) */
export declare function manyTranscripts(instance: number, opts?: FaultOptions & {count?: number}): Promise<FaultBase & {dir: string; count: number; sample: string; ms: number}>
export declare function clearFaults(instance: number, opts?: FaultOptions): Promise<{instance: number; container: string; ms: number}>
export declare const FAULTS: Record<string, {letter: string | null; inject: (instance: number, opts?: any) => Promise<FaultBase>}>
export declare function wrongMount(instance: number, opts?: FaultOptions): Promise<{fault: 'wrong-mount'; instance: number; container: string; mounted: string; configured: string; ms: number}>
export declare function smallContextModel(instance: number, opts?: FaultOptions & {tokens?: number}): Promise<{fault: 'small-context-model'; instance: number; container: string; file: string; model: string; tokens: number}>

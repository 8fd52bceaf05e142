// Types for lab/real/gateway.mjs (run real OpenClaw gateways in offline containers).
import type {RunResult} from '../run.d.mts'
export declare const SMOKE_MESSAGE: 'Reply exactly SPEED_OK'
/** 2026.8+: SQLite sessions, smoke turns go through the gateway (--local is refused). */
export declare function usesGatewayTurns(version: string): boolean
export declare function prepareStateDir(version: string, opts?: {stateDir?: string; config?: object}): string
export interface StartedGateway {container: string; image: string; stateDir: string; runMs: number; startedAt: string; startedMs: number}
export declare function startGateway(version: string, opts?: {name?: string; image?: string; stateDir?: string; env?: Record<string, string>; extraArgs?: string[]}): Promise<StartedGateway>
export declare function gatewayGet(container: string, urlPath: string): Promise<{status: number; body: string}>
export declare function waitReady(container: string, opts?: {timeoutMs?: number; sinceMs?: number; intervalMs?: number}): Promise<{ms: number; via: 'log' | 'readyz'; logLine: string}>
export interface TurnOptions {message?: string; local?: boolean; sessionId?: string; timeoutS?: number}
export declare function turnArgs(version: string, opts?: TurnOptions): string[]
export declare function parseTurn(stdout: string): any
export declare function replyText(json: any): string
export declare function agentTurn(container: string, version: string, opts?: TurnOptions & {timeoutMs?: number; env?: Record<string, string>}): Promise<RunResult & {json: any; text: string}>
export interface Proc {pid: number; ppid: number; user: string; args: string}
export declare function processTree(container: string): Promise<Proc[]>
export declare function procInfo(container: string, pid: number): Promise<{pid: number; starttime: number; state: string; ppid: number; cmdline: string}>
export declare function findFiles(stateDir: string, re: RegExp): Array<{path: string; bytes: number}>
export interface HostLock {path: string; bytes: number; raw: string; json?: {pid?: number; createdAt?: string; starttime?: number}; trailingNewline: boolean; mode?: string; uid?: number}
export declare function sessionLocks(stateDir: string): HostLock[]
export declare function removeContainer(name: string): Promise<void>

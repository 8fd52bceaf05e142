// Types for lab/run.mjs (process helpers; argv arrays only, a timeout on every call).
import type {ChildProcess} from 'node:child_process'

export interface RunResult {code: number; stdout: string; stderr: string; ms: number}
export interface RunOptions {reject?: boolean; timeoutMs?: number; cwd?: string; env?: Record<string, string | undefined>; input?: string}
export declare class RunError extends Error implements RunResult {code: number; stdout: string; stderr: string; ms: number}
/** Rejects with RunError on a non-zero exit unless reject is false; timeoutMs (default 120 s) kills with SIGKILL (code 137). */
export declare function run(cmd: string, args: string[], opts?: RunOptions): Promise<RunResult>
export declare function docker(args: string[], opts?: RunOptions): Promise<RunResult>
export interface Started {child: ChildProcess; pid: number | undefined; output: {stdout: string; stderr: string}; exited: Promise<{code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string}>}
export declare function start(cmd: string, args: string[], opts?: {env?: Record<string, string>}): Started
export declare function sleep(ms: number): Promise<void>
export declare function waitFor<T>(fn: () => T | Promise<T>, opts?: {timeoutMs?: number; intervalMs?: number; what?: string}): Promise<NonNullable<T>>
export declare function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]>
/** ['docker','compose'] when the v2 plugin answers, else ['docker-compose']; LAB_COMPOSE overrides. */
export declare function composeCommand(): Promise<string[]>

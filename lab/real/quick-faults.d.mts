// Types for lab/real/quick-faults.mjs.
import type {RealFaultBase, RealFaultOptions, SessionFields, SessionLock} from './faults.mjs'

/** The end state of realPreviousIncarnation({legacy: true}) without its stuck gateway turn: a 2026.2-shape lock naming the current gateway's pid, written before the container's start. */
export declare function quickPreviousIncarnation(instance: number, opts?: RealFaultOptions & {attempts?: number}): Promise<RealFaultBase & SessionFields & {fault: 'previous-incarnation'; pid: number; lock: Omit<SessionLock, 'starttime'>; taken: string; legacy: true; via: string; oldGatewayPid: number; gatewayPid: number; samePid: true; attempts: number; pidsSeen: number[]; containerStartedAt: string}>

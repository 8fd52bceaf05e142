// Types for lab/big-log.mjs (appending json-file lines to a container's log).
export declare function jsonLogPath(container: string): Promise<string>
export declare function rfc3339Nano(ms: number, extraNs?: number): string
export declare function jsonLogLine(text: string, ms: number, stream?: 'stdout' | 'stderr', extraNs?: number): string
export declare function appendJsonLog(
  container: string,
  opts: {bytes: number; fromMs: number; toMs: number; lines?: {text: string; atMs: number; stream?: 'stdout' | 'stderr'}[]; file?: string},
): Promise<{file: string; bytes: number; lines: number}>

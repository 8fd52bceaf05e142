// Types for bench/many-transcripts.mjs (its seeding is shared with test/e2e/many-transcripts.test.ts).
export declare const MANY_TRANSCRIPTS_ID: 1381
export declare const SEEDED_LOCKS: string[]
export declare function seedManyTranscripts(lab: {root: string}, id: number, opts?: {count?: number}): Promise<{dir: string; gatewayPid: number}>

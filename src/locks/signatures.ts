/**
 * The error texts OpenClaw writes for a wedged session, one pattern each, shared by the ping classifier and the
 * log signature. Forms seen: `session file locked (timeout 10000ms): pid=N <path>` (to 2026.4.29), the 60000 ms
 * form (2026.5+), `… unknown <path>` (no pid, 2026.5.5), `pid=N alive=true ageMs=N <path>` and `owner=unknown <path>`
 * (later 2026.6/2026.7 builds).
 */
export const LOCK_TIMEOUT = /session file locked \(timeout (\d+)ms\): (?:pid=(\d+)|owner=unknown|unknown)[^\n]*?(\/\S+\.lock)/

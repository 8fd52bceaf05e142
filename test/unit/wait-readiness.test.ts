import {describe, expect, it} from 'vitest'
import {READY_LINE, readinessFromProbe} from '../../src/openclaw/readiness.js'

describe('readiness after a restart: the ready line, or /readyz with its body checked', () => {
  it.each([
    ['2026-12-01T10:00:05.1Z [gateway] ready', true],
    ['[gateway] ready', true],
    ['2026-12-01T10:00:01Z [gateway] starting', false],
    ['[gateway] readyness check', false],
  ] as const)('%j is the ready line: %s', (line, want) => expect(READY_LINE.test(line)).toBe(want))

  it.each([
    [0, '{"status":200,"body":"{\\"ready\\":true}"}', 'ready'],
    [0, '{"status":503,"body":"{\\"ready\\":false,\\"failing\\":[\\"startup-sidecars\\"]}"}', 'not-ready'],
    [3, '{"error":"ECONNREFUSED"}', 'not-ready'],
    [0, '{"status":200,"body":"<html>catch-all</html>"}', 'unknown'],
    [null, '', 'unknown'],
  ] as const)('/readyz probe exit %s %s -> %s', (exit, stdout, want) => expect(readinessFromProbe(exit, stdout).state).toBe(want))
})

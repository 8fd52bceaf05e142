import {describe, expect, it} from 'vitest'
import {READY_LINE, readiness} from '../../src/docker/wait.js'

describe('readiness after a restart', () => {
  it.each([
    ['2026-12-01T10:00:05.1Z [gateway] ready\n', null, 'ready'],
    ['2026-12-01T10:00:01Z [gateway] starting\n', 0, 'ready'],
    ['2026-12-01T10:00:01Z [gateway] removed stale session lock: x (recycled-pid)\n', 1, 'starting'],
    ['', 3, 'starting'],
    ['', null, 'unknown'],
    ['', 127, 'unknown'],
    ['[gateway] readyness check', null, 'unknown'],
  ] as const)('%j, /readyz exit %s -> %s', (log, exit, want) => expect(readiness(READY_LINE.test(log), exit)).toBe(want))
})

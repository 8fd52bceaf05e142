import {defineConfig} from 'vitest/config'

// The e2e files that run alone: the real-OpenClaw files (a real gateway takes 1-3.5 min of both cores to start, and
// real turns 70-160 s), doctor (its last block starts a real 2026.9.6 gateway), lab (it asserts what is left of every
// lab on the engine), multihost (a second dockerd, an sshd, the docker CLI's DOCKER_HOST), api-access (a mount
// namespace), and the bench-like big-log (a 300 MB container log, peak RSS) and many-transcripts (100,000 files).
const E2E_ALONE = [
  'test/e2e/real-*.test.ts',
  'test/e2e/doctor.test.ts',
  'test/e2e/lab.test.ts',
  'test/e2e/multihost.test.ts',
  'test/e2e/api-access.test.ts',
  'test/e2e/big-log.test.ts',
  'test/e2e/many-transcripts.test.ts',
]

// Four projects: fast unit tests (pure logic, config, the oclif commands in-process from src/: no build, no child
// process, no Docker); cli tests that run the built CLI as a process (bin/run.js → dist/, built first when stale);
// then the e2e tests that drive the real Docker engine and the lab fleet: the simulator files two at a time (each has
// its own lab ids, ports and roots, and none changes the engine's global state), then the E2E_ALONE files one at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // The files share their worker processes and the modules loaded there (each file in a fresh process was
          // two thirds of the project's time): a unit test leaves no state behind (env, cwd, exit code put back).
          isolate: false,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'cli',
          include: ['test/cli/**/*.test.ts'],
          globalSetup: ['test/cli/global-setup.ts'],
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: E2E_ALONE,
          globalSetup: ['test/e2e/global-setup.ts'],
          // Two files at a time, after unit and cli (projects of one group order run together).
          maxWorkers: 2,
          sequence: {groupOrder: 1},
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'e2e-serial',
          include: E2E_ALONE,
          globalSetup: ['test/e2e/global-setup.ts'],
          // One file at a time, after every other group.
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
})

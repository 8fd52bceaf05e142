import {defineConfig} from 'vitest/config'

// Three projects: fast unit tests (pure logic, config, the oclif commands in-process from src/: no build, no child
// process, no Docker); cli tests that run the built CLI as a process (bin/run.js → dist/, built first when stale);
// and e2e tests that drive the real Docker engine and the lab fleet, one file at a time.
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
          globalSetup: ['test/e2e/global-setup.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
})

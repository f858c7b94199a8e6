// One vitest configuration for every TypeScript workspace outside the
// frontend: a process pool (native addons and forked workloads do not belong
// in worker threads) and timeouts fit for tests that start real processes.
// No aliases: @zviz/test-support is a workspace package (test/support), found
// as npm links it.
import { join } from 'node:path';
import { defineConfig, type UserConfig } from 'vitest/config';

/** `globalSetup`: the runner's own global setups, run after the temporary directory is made. */
export function zvizVitestConfig(root: string, include: string[], globalSetup: string[] = []): UserConfig {
  return defineConfig({
    root,
    test: {
      include,
      passWithNoTests: true,
      pool: 'forks',
      // Each run's own TMPDIR, checked empty at the end; each file's scratch
      // directories removed at its end (temp-check.ts, scratch.ts).
      globalSetup: [join(__dirname, 'temp-check.ts'), ...globalSetup],
      setupFiles: [join(__dirname, 'scratch-teardown.ts')],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      reporters: process.env.ZVIZ_VITEST_JSON ? ['default', 'json'] : ['default'],
      outputFile: process.env.ZVIZ_VITEST_JSON ? { json: process.env.ZVIZ_VITEST_JSON } : undefined,
    },
  });
}

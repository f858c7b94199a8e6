// One vitest configuration for every TypeScript workspace outside the
// frontend: the same aliases, a process pool (native addons and forked
// workloads do not belong in worker threads) and timeouts fit for tests that
// start real processes.
import { resolve } from 'node:path';
import { defineConfig, type UserConfig } from 'vitest/config';

const repo = resolve(__dirname, '..', '..');

export function zvizVitestConfig(root: string, include: string[]): UserConfig {
  return defineConfig({
    root,
    resolve: {
      alias: {
        '@zviz/test-support': resolve(repo, 'test/support'),
      },
    },
    test: {
      include,
      passWithNoTests: true,
      pool: 'forks',
      testTimeout: 60_000,
      hookTimeout: 120_000,
      reporters: process.env.ZVIZ_VITEST_JSON ? ['default', 'json'] : ['default'],
      outputFile: process.env.ZVIZ_VITEST_JSON ? { json: process.env.ZVIZ_VITEST_JSON } : undefined,
    },
  });
}

// Browser tests of the built plugin modules in Debian's Chromium (never a
// downloaded browser). The harness serves itself and dist/ from a routed
// origin, so no port is opened.
import { defineConfig } from '@playwright/test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CHROMIUM_LAUNCH, HARNESS_ORIGIN } from './harness/serve';

export default defineConfig({
  testDir: '.',
  testMatch: /.*\.spec\.ts$/,
  globalSetup: './global-setup.ts',
  // Two shared cores: one browser at a time keeps the timings meaningful.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  // A failed test's trace and screenshots, kept after the run: npm test gives
  // the runner a TMPDIR it empties at the end, and names this place instead.
  outputDir: process.env.ZVIZ_PLAYWRIGHT_RESULTS ?? join(tmpdir(), 'zviz-playwright-results'),
  use: {
    baseURL: HARNESS_ORIGIN,
    viewport: { width: 1280, height: 900 },
    launchOptions: CHROMIUM_LAUNCH,
  },
});

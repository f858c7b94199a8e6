import { test as base, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { serveHarness } from './harness/serve';

export const screenshots = join(__dirname, 'screenshots');

/** Serves the harness and the built plugin at http://zviz.test and waits until both modules are loaded. */
async function openHarness(page: Page) {
  const harness = process.env.ZVIZ_HARNESS_DIR!;
  const errors = await serveHarness(page, harness);
  await page.goto('/');
  await page.evaluate(() => (window as unknown as { zviz: { ready: Promise<void> } }).zviz.ready);
  return errors;
}

export const test = base.extend<{ harness: { errors: string[] } }>({
  harness: [
    async ({ page }, use) => {
      mkdirSync(screenshots, { recursive: true });
      const errors = await openHarness(page);
      await use({ errors });
    },
    { auto: true },
  ],
});

export { expect } from '@playwright/test';

import { test as base, type Page } from '@playwright/test';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const dist = join(__dirname, '..', '..', 'dist');
export const screenshots = join(__dirname, 'screenshots');

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'application/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

function file(root: string, path: string): { body: Buffer; contentType: string } | undefined {
  const full = normalize(join(root, path));
  if (!full.startsWith(root) || !existsSync(full)) {
    return undefined;
  }
  return { body: readFileSync(full), contentType: TYPES[extname(full)] ?? 'application/octet-stream' };
}

/** Serves the harness and the built plugin at http://zviz.test and waits until both modules are loaded. */
async function openHarness(page: Page) {
  const harness = process.env.ZVIZ_HARNESS_DIR!;
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route('http://zviz.test/**', async (route) => {
    const path = new URL(route.request().url()).pathname;
    const found = path.startsWith('/plugin/')
      ? file(dist, path.slice('/plugin/'.length))
      : file(harness, path === '/' ? 'index.html' : path.slice(1));
    await (found ? route.fulfill({ status: 200, ...found }) : route.fulfill({ status: 404, body: `no ${path}` }));
  });
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

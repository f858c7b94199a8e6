// How the browser harness reaches Chromium: Debian's Chromium with the flags a
// headless run in a container needs, and http://zviz.test answered from the
// harness build (index.html, harness.js) and the built plugin under /plugin/.
// Shared by the Playwright specs, the end-to-end test and npm run screenshots.
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { Page } from 'playwright-core';

export const HARNESS_ORIGIN = 'http://zviz.test';

export const CHROMIUM_LAUNCH = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
};

const DIST = join(__dirname, '..', '..', '..', 'dist');

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

/** Answers the harness origin from `harnessDir` and the built plugin; collects page errors. */
export async function serveHarness(page: Page, harnessDir: string): Promise<string[]> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${HARNESS_ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const found = path.startsWith('/plugin/')
      ? file(DIST, path.slice('/plugin/'.length))
      : file(harnessDir, path === '/' ? 'index.html' : path.slice(1));
    await (found ? route.fulfill({ status: 200, ...found }) : route.fulfill({ status: 404, body: `no ${path}` }));
  });
  return errors;
}

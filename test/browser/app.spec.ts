// The built app module (dist/module.js, with its lazily loaded page chunks)
// in Chromium: every page renders against Grafana's API as the harness
// answers it, and the Alerts page installs the rule templates.
import { join } from 'node:path';

import { expect, screenshots, test } from './fixtures';

type Win = {
  zviz: { mountApp: (path: string) => Promise<void>; requests: Array<{ method: string; url: string; data?: unknown }> };
};

async function open(page: import('@playwright/test').Page, path: string) {
  await page.evaluate((p) => (window as unknown as Win).zviz.mountApp(p), path);
}

test('overview shows fleet health and links each figure to its dashboard', async ({ page, harness }) => {
  await open(page, 'overview');
  const agents = page.getByRole('region', { name: 'Agents up' });
  await expect(agents).toContainText('2 / 3');
  await expect(agents).toHaveAttribute('data-health', 'warning');
  await expect(page.getByRole('region', { name: 'Broker p99 latency' })).toContainText('4.20 ms');
  await expect(page.getByRole('region', { name: 'Containers' })).toContainText('1 running');
  await expect(page.getByRole('link', { name: 'Security dashboard' })).toHaveAttribute(
    'href',
    /\/d\/zviz-security\?var-datasource=prometheus/
  );
  await page.screenshot({ path: join(screenshots, 'app-overview.png') });
  expect(harness.errors).toEqual([]);
});

test('decisions page shows the matrix and streams live decisions', async ({ page }) => {
  await open(page, 'decisions');
  await expect(page.getByRole('grid', { name: 'Decisions by syscall' })).toBeVisible();
  const live = page.getByRole('region', { name: 'Live decisions' });
  await expect(live.getByText('streaming')).toBeVisible();
  await expect(live.locator('tr[data-decision="kill"]').first()).toBeVisible();
  // The stream keeps going: more rows arrive.
  const before = await live.locator('tbody tr').count();
  await expect.poll(() => live.locator('tbody tr').count()).toBeGreaterThan(before);
  await page.screenshot({ path: join(screenshots, 'app-decisions.png'), fullPage: true });
});

test('containers page joins the agents’ list with cgroup metrics', async ({ page }) => {
  await open(page, 'containers');
  const table = page.getByRole('table', { name: 'Containers' });
  const row = table.getByRole('row', { name: /build-42/ });
  await expect(row).toContainText('ci-runner');
  await expect(row).toContainText('92%');
  await expect(row).toContainText('critical (memory)');
  await expect(table.getByRole('row', { name: /ci-43/ })).toContainText('exited');
  await page.screenshot({ path: join(screenshots, 'app-containers.png') });
});

test('alerts page installs the templates through the provisioning API', async ({ page }) => {
  await open(page, 'alerts');
  await expect(page.getByText(/^0 of \d+ installed$/)).toBeVisible();
  await page.getByRole('button', { name: 'Install alert rules' }).click();
  await expect(page.getByText('Alert rules installed')).toBeVisible();
  await expect(page.getByText(/^(\d+) of \1 installed$/)).toBeVisible();
  const puts = await page.evaluate(() =>
    (window as unknown as Win).zviz.requests.filter((r) => r.method === 'PUT').map((r) => r.data)
  );
  expect(puts.length).toBeGreaterThan(0);
  expect(JSON.stringify(puts)).toContain('"__grafana_origin":"plugin/zviz-sandbox-app"');
  expect(JSON.stringify(puts)).not.toContain('__ZVIZ_DATASOURCE_UID__');
  await page.screenshot({ path: join(screenshots, 'app-alerts.png'), fullPage: true });
});

test('configuration page checks the ZViz datasource', async ({ page }) => {
  await open(page, 'configuration');
  await expect(page.getByText('ZViz: working')).toBeVisible();
  await expect(page.getByText(/1 of 2 agents up/)).toBeVisible();
  await page.screenshot({ path: join(screenshots, 'app-configuration.png') });
});

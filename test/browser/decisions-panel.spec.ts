// The built decisions panel (dist/panels/decisions/module.js) in Chromium,
// fed by the built datasource's query path with 400 syscalls shaped as the
// backend emits them.
import { join } from 'node:path';

import { expect, screenshots, test } from './fixtures';

type Timing = { queryMs: number; committedMs: number; paintedMs: number; frames: number };

async function mountPanel(page: import('@playwright/test').Page, args: Record<string, unknown> = {}): Promise<Timing> {
  return page.evaluate(
    (a) => (window as unknown as { zviz: { mountPanel: (x: unknown) => Promise<Timing> } }).zviz.mountPanel(a),
    args
  );
}

const grid = (page: import('@playwright/test').Page) => page.getByRole('grid', { name: 'Decisions by syscall' });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

test('renders 400 syscalls from the datasource, virtualized, with sparklines and the broker p99', async ({
  page,
  harness,
}) => {
  const timing = await mountPanel(page);
  // The wide frame and the one timeseries-wide trend frame (packages/shared/src/frames.ts).
  expect(timing.frames).toBe(2);
  await expect(grid(page)).toHaveAttribute('aria-rowcount', '401');
  await expect(page.getByText('400 syscalls')).toBeVisible();
  const rendered = await page.getByRole('rowheader').count();
  expect(rendered).toBeGreaterThan(10);
  expect(rendered).toBeLessThan(60);
  await expect(page.getByRole('rowheader').first()).toHaveText('read');
  await expect(page.getByRole('img', { name: 'read trend' })).toBeVisible();
  await expect(page.getByTestId('zviz-decisions-p99')).toHaveText('broker p99 4.20 ms');
  for (const d of ['allow', 'emulate', 'log', 'deny', 'trap', 'kill']) {
    await expect(page.getByRole('columnheader', { name: new RegExp(d) })).toBeVisible();
  }
  await page.screenshot({ path: join(screenshots, 'decisions-400-dark.png') });

  // Scrolling to the end renders the last rows.
  await page.getByTestId('zviz-decisions-scroll').evaluate((el) => (el.scrollTop = el.scrollHeight));
  await expect(page.getByRole('row', { name: /syscall_399/ })).toBeVisible();
  expect(await page.getByRole('rowheader').count()).toBeLessThan(60);
  expect(harness.errors).toEqual([]);
});

test('measures the render time of the 400-syscall matrix against 20 syscalls', async ({ page }) => {
  const runs = 7;
  const small: number[] = [];
  const large: number[] = [];
  // Warm up the code paths once, then alternate so both sizes see the same machine load.
  await mountPanel(page, { scenario: { syscalls: 400 } });
  for (let i = 0; i < runs; i++) {
    small.push((await mountPanel(page, { scenario: { syscalls: 20 } })).paintedMs);
    large.push((await mountPanel(page, { scenario: { syscalls: 400 } })).paintedMs);
  }
  await expect(grid(page)).toHaveAttribute('aria-rowcount', '401');
  const m400 = median(large);
  const m20 = median(small);
  console.log(
    `decisions panel render (mount to painted, median of ${runs}): 400 syscalls ${m400.toFixed(1)} ms, ` +
      `20 syscalls ${m20.toFixed(1)} ms, ratio ${(m400 / m20).toFixed(2)}; all 400: ${large.map((x) => x.toFixed(0)).join(' ')} ms`
  );
  // Whether virtualization works is asserted by the row counts above, not by time.
  expect(large).toHaveLength(runs);
});

test('filters by search, keeps top N and sorts by a column', async ({ page }) => {
  await mountPanel(page);
  const filter = page.getByLabel('Filter syscalls');
  await filter.fill('mount -umount2');
  await expect(page.getByRole('rowheader')).toHaveText(['mount']);
  await expect(page.getByText('1 of 1 matching, 400 syscalls')).toBeVisible();
  await filter.fill('/^syscall_1\\d\\d$/');
  await expect(page.getByText('100 of 100 matching, 400 syscalls').or(page.getByText(/of 100 matching/))).toBeVisible();
  await page.screenshot({ path: join(screenshots, 'decisions-filtered.png') });
  await filter.fill('');

  await page.getByRole('button', { name: 'Sort by deny' }).click();
  const firstDeny = await page.getByRole('button', { name: /deny:/ }).first().getAttribute('data-value');
  const secondDeny = await page.getByRole('button', { name: /deny:/ }).nth(1).getAttribute('data-value');
  expect(Number(firstDeny)).toBeGreaterThanOrEqual(Number(secondDeny));
  await expect(page.getByRole('columnheader', { name: /deny/ })).toHaveAttribute('aria-sort', 'descending');

  await page.getByRole('combobox', { name: 'Rows shown' }).click();
  await page.getByRole('option', { name: 'Top 10', exact: true }).click();
  await expect(page.getByRole('rowheader')).toHaveCount(10);
  await expect(page.getByText('10 of 400 syscalls')).toBeVisible();
});

test('switches to share and rate, and hides a decision from the legend', async ({ page }) => {
  await mountPanel(page, { scenario: { syscalls: 50 } });
  await page.getByRole('radio', { name: 'Share' }).click();
  await expect(page.getByRole('button', { name: /^read allow: [\d.]+%/ })).toBeVisible();
  await page.getByRole('radio', { name: 'Rate' }).click();
  await expect(page.getByRole('button', { name: /^read allow: [\d.]+( K)?\/s/ })).toBeVisible();
  await page.getByRole('button', { name: 'Hide allow' }).click();
  await expect(page.getByRole('columnheader', { name: /allow/ })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Show allow' })).toHaveAttribute('aria-pressed', 'false');
});

test('makes refusals stand out in both themes', async ({ page }) => {
  for (const theme of ['dark', 'light'] as const) {
    await mountPanel(page, { theme, scenario: { syscalls: 60 } });
    const deny = page.locator('button[data-decision="deny"]:not([data-value="0"])').first();
    const allow = page.locator('button[data-decision="allow"]:not([data-value="0"])').first();
    const [denyBg, allowBg, denyWeight] = await Promise.all([
      deny.evaluate((e) => getComputedStyle(e).backgroundColor),
      allow.evaluate((e) => getComputedStyle(e).backgroundColor),
      deny.evaluate((e) => getComputedStyle(e).fontWeight),
    ]);
    const rgb = (s: string) => s.match(/[\d.]+/g)!.map(Number);
    const [dr, dg] = rgb(denyBg);
    const [ar, ag] = rgb(allowBg);
    expect(dr, `${theme}: deny is red (${denyBg})`).toBeGreaterThan(dg);
    expect(ag, `${theme}: allow is green (${allowBg})`).toBeGreaterThan(ar);
    expect(Number(denyWeight)).toBeGreaterThanOrEqual(500);
    await page.screenshot({ path: join(screenshots, `decisions-${theme}.png`) });
  }
});

test('opens the audit events of a cell in a drawer and links to Explore', async ({ page }) => {
  await mountPanel(page);
  await page.getByRole('button', { name: /^openat deny:/ }).click();
  const drawer = page.getByRole('dialog');
  await expect(drawer.getByText('openat · deny')).toBeVisible();
  const table = drawer.getByRole('table', { name: 'Audit events' });
  await expect(table.getByRole('row')).toHaveCount(13);
  await expect(table.getByText('ci-40').first()).toBeVisible();
  const href = await drawer.getByRole('link', { name: /Open in Explore/ }).getAttribute('href');
  const panes = JSON.parse(new URL(href!, 'http://x').searchParams.get('panes')!);
  expect(panes.zviz.queries[0]).toMatchObject({ queryType: 'audit', syscall: 'openat', decision: 'deny' });
  const requests = await page.evaluate(
    () =>
      (window as unknown as { zviz: { requests: Array<{ url: string; data?: { queries?: unknown[] } }> } }).zviz
        .requests
  );
  const audit = requests.filter((r) => r.url === '/api/ds/query').pop();
  expect(audit?.data?.queries?.[0]).toMatchObject({ queryType: 'audit', syscall: 'openat', decision: 'deny' });
  await page.screenshot({ path: join(screenshots, 'decisions-audit-drawer.png') });
});

test('shows thresholds from the field config on denial cells', async ({ page }) => {
  await mountPanel(page, {
    fieldConfig: {
      defaults: {
        thresholds: {
          mode: 'absolute',
          steps: [
            { value: -Infinity, color: 'transparent' },
            { value: 1000, color: 'purple' },
          ],
        },
      },
      overrides: [],
    },
  });
  const over = page.locator('button[data-decision="deny"]').filter({ has: page.locator(':scope') });
  const values = await over.evaluateAll((els) =>
    els.map((e) => ({ v: Number(e.getAttribute('data-value')), bg: getComputedStyle(e).backgroundColor }))
  );
  const high = values.filter((x) => x.v >= 1000);
  const low = values.filter((x) => x.v > 0 && x.v < 1000);
  expect(high.length).toBeGreaterThan(0);
  expect(low.length).toBeGreaterThan(0);
  expect(new Set(high.map((x) => x.bg)).size).toBe(1);
  expect(low.map((x) => x.bg)).not.toContain(high[0].bg);
});

test('renders the empty and partial states', async ({ page }) => {
  await mountPanel(page, { empty: true });
  await expect(grid(page)).toHaveCount(0);
  await expect(page.getByText(/Unable to render data|No data/)).toBeVisible();

  // One of two queries fails: the panel shows what came back and says it is partial.
  await mountPanel(page, { scenario: { failing: { A: 'agent node-2:9090 timed out' } } });
  await expect(page.getByText(/agent node-2:9090 timed out/)).toBeVisible();
  await page.screenshot({ path: join(screenshots, 'decisions-error.png') });
});

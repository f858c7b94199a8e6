// The app's browser harness (test/browser/harness: the BUILT plugin modules,
// loaded as Grafana loads them, with Grafana's real packages) in Debian's
// Chromium through playwright-core, its datasource calls answered by a real
// backend executable (grafana-api.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

import type { DatasourceConfig, GrafanaClient } from '../../pkg-backend/test/fixtures/grafana-client';
import { buildHarness } from '../browser/harness/build';
import { CHROMIUM_LAUNCH, serveHarness } from '../browser/harness/serve';
import { type DashboardJson, type PanelSummary, PROMETHEUS_PROXY } from '../browser/harness/dashboard/targets';
import { routeToBackend } from './grafana-api';

export interface HarnessPage {
  page: Page;
  errors: string[];
  close(): Promise<void>;
}

/**
 * Opens the harness with the datasource pointed at `client`, panels asking
 * for [fromMs, toMs]; with `prometheusUrl`, Grafana's datasource proxy path
 * for the Prometheus datasource (uid prometheus) reaches that Prometheus, for
 * the dashboard preview.
 */
export async function openHarness(
  client: GrafanaClient,
  config: DatasourceConfig,
  fromMs: number,
  toMs: number,
  prometheusUrl?: string
): Promise<HarnessPage> {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-e2e-harness-'));
  await buildHarness(dir);
  const browser: Browser = await chromium.launch(CHROMIUM_LAUNCH);
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = await serveHarness(page, dir);
  const relay = await routeToBackend(page, client, config);
  if (prometheusUrl) {
    // Registered after routeToBackend's /api/** route, so it wins for its paths.
    await page.route(`http://zviz.test${PROMETHEUS_PROXY}/**`, async (route) => {
      const url = new URL(route.request().url());
      try {
        const r = await fetch(`${prometheusUrl}${url.pathname.slice(PROMETHEUS_PROXY.length)}${url.search}`);
        await route.fulfill({ status: r.status, contentType: 'application/json', body: await r.text() });
      } catch (error) {
        await route.fulfill({
          status: 502,
          body: JSON.stringify({ status: 'error', error: (error as Error).message }),
        });
      }
    });
  }
  await page.goto('http://zviz.test/');
  await page.evaluate(() => (window as unknown as { zviz: { ready: Promise<void> } }).zviz.ready);
  await page.evaluate(
    ([from, to]) =>
      (window as unknown as { zviz: { useUpstream(f: number, t: number): void } }).zviz.useUpstream(from, to),
    [fromMs, toMs]
  );
  return {
    page,
    errors,
    close: async () => {
      relay.close();
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Zviz = {
  mountPanel(args: Record<string, unknown>): Promise<{ frames: number }>;
  mountApp(path: string): Promise<void>;
  mountDashboard(args: {
    dashboard: DashboardJson;
    scrapeIntervalSeconds: number;
    width?: number;
  }): Promise<PanelSummary[]>;
  dashboardPixels(dashboard: DashboardJson): number;
};

/** Draws a bundled dashboard in the preview from the harness's Prometheus; each panel's series and error. */
export function mountDashboard(
  page: Page,
  dashboard: DashboardJson,
  scrapeIntervalSeconds: number,
  width = 1600
): Promise<PanelSummary[]> {
  return page.evaluate((a) => (window as unknown as { zviz: Zviz }).zviz.mountDashboard(a), {
    dashboard,
    scrapeIntervalSeconds,
    width,
  });
}

export function dashboardPixels(page: Page, dashboard: DashboardJson): Promise<number> {
  return page.evaluate((d) => (window as unknown as { zviz: Zviz }).zviz.dashboardPixels(d), dashboard);
}

export function mountPanel(page: Page, args: Record<string, unknown> = {}): Promise<{ frames: number }> {
  return page.evaluate((a) => (window as unknown as { zviz: Zviz }).zviz.mountPanel(a), args);
}

export function mountApp(page: Page, path: string): Promise<void> {
  return page.evaluate((p) => (window as unknown as { zviz: Zviz }).zviz.mountApp(p), path);
}

/** The decision cell of a syscall's row in the decisions panel. */
export function cell(page: Page, syscall: string, decision: string) {
  return page.locator(`[role="row"]:has([role="rowheader"]:text-is("${syscall}")) button[data-decision="${decision}"]`);
}

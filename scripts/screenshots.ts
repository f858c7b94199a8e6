// `npm run screenshots` (as root, after npm run build): photographs the
// decisions panel, the app's pages and the bundled dashboards with real data
// from the demo's pipeline (sandboxed workloads, the agent, Prometheus, the
// backend executable) into src/img/screenshots/, through the app's browser harness in
// Debian's Chromium. Takes about two minutes: the trends need data. The
// dashboards are drawn by ZViz's dashboard preview (Grafana's own UI
// components on Grafana's grid, test/browser/harness/dashboard), not by a
// Grafana server, which cannot run here.
//
//   ZVIZ_SCREENSHOTS_WARMUP  seconds of workload activity before the pictures (default 90)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { bundledDashboards } from '../test/browser/harness/dashboard/bundled';
import { dashboardPixels, mountApp, mountDashboard, mountPanel, openHarness } from '../test/e2e/browser';
import { Demo, settings } from './demo/demo';
import { demoScrapeIntervalSeconds, REPO } from './demo/prometheus';

const OUT = join(REPO, 'src/img/screenshots');

async function main(): Promise<number> {
  const demo = new Demo({ ...settings(process.env), summarySeconds: 3600 });
  process.once('SIGINT', () => void demo.stop(130));
  try {
    const started = Date.now();
    await demo.startAll();
    const warmup = Number(process.env.ZVIZ_SCREENSHOTS_WARMUP ?? 90);
    demo.progress.note(`letting the workloads run for ${warmup} s`);
    await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
    const backend = demo.backend!;
    // Grafana's provisioning uses uid zviz for this datasource; the app pages look for it.
    const config = { ...backend.config, uid: 'zviz' };
    const to = Date.now();
    const harness = await openHarness(backend.client, config, to - (warmup + 30) * 1000, to, demo.prometheusUrl);
    const { page } = harness;
    mkdirSync(OUT, { recursive: true });
    const shot = async (name: string, settle: () => Promise<unknown>) => {
      await settle();
      await page.waitForTimeout(1500); // sparklines and lazy chunks
      // The mounted panel or page alone, at most one screen high.
      const box = (await page.locator('#root > *').last().boundingBox())!;
      await page.screenshot({
        path: join(OUT, name),
        clip: { x: box.x, y: box.y, width: box.width, height: Math.min(box.height, 900) },
      });
      demo.progress.note(`src/img/screenshots/${name}`);
    };
    await shot('decisions-panel.png', async () => {
      await mountPanel(page, { width: 1200, height: 520 });
      await page.getByRole('rowheader').first().waitFor();
    });
    await shot('app-overview.png', async () => {
      await mountApp(page, 'overview');
      await page.getByRole('region', { name: 'Agents up' }).waitFor();
    });
    await shot('app-decisions.png', async () => {
      await mountApp(page, 'decisions');
      await page.getByRole('grid', { name: 'Decisions by syscall' }).waitFor();
      await page.waitForTimeout(3000); // live decisions arrive
    });
    await shot('app-containers.png', async () => {
      await mountApp(page, 'containers');
      await page.getByRole('table', { name: 'Containers' }).waitFor();
    });
    await shot('app-alerts.png', async () => {
      await mountApp(page, 'alerts');
      await page
        .getByText(/installed$/)
        .first()
        .waitFor();
    });
    // The dashboards show the demo's whole life, as "Last N minutes" would.
    await page.evaluate(
      ([from, until]) =>
        (window as unknown as { zviz: { useUpstream(f: number, t: number): void } }).zviz.useUpstream(from, until),
      [started, Date.now()]
    );
    const width = 1600;
    for (const { name, dashboard } of bundledDashboards()) {
      await page.setViewportSize({ width: width + 16, height: (await dashboardPixels(page, dashboard)) + 16 });
      const panels = await mountDashboard(page, dashboard, demoScrapeIntervalSeconds(), width);
      await page.waitForTimeout(1500);
      await page
        .locator('#root > *')
        .last()
        .screenshot({ path: join(OUT, `dashboard-${name}.png`) });
      const failed = panels.filter((p) => p.error);
      const empty = panels.filter((p) => !p.error && p.series === 0);
      demo.progress.note(
        `src/img/screenshots/dashboard-${name}.png` +
          (failed.length ? `; panel errors: ${failed.map((p) => `${p.title}: ${p.error}`).join('; ')}` : '') +
          (empty.length ? `; no data: ${empty.map((p) => p.title).join(', ')}` : '')
      );
    }
    if (harness.errors.length) {
      demo.progress.note(`page errors: ${harness.errors.join('; ')}`);
    }
    await harness.close();
  } catch (error) {
    demo.progress.line(`screenshots failed: ${(error as Error).message}`);
    return demo.stop(1);
  }
  return demo.stop(0);
}

void main().then((code) => process.exit(code));

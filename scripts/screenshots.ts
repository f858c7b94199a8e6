// `npm run screenshots` (as root, after npm run build): photographs the
// decisions panel and the app's pages with real data from the demo's
// pipeline (sandboxed workloads, the agent, Prometheus, the backend
// executable) into docs/images/, through the app's browser harness in
// Debian's Chromium. Takes about two minutes: the trends need data.
//
//   ZVIZ_SCREENSHOTS_WARMUP  seconds of workload activity before the pictures (default 90)
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { mountApp, mountPanel, openHarness } from '../test/e2e/browser';
import { Demo, settings } from './demo/demo';
import { REPO } from './demo/prometheus';

const OUT = join(REPO, 'docs/images');

async function main(): Promise<number> {
  const demo = new Demo({ ...settings(process.env), summarySeconds: 3600 });
  process.once('SIGINT', () => void demo.stop(130));
  try {
    await demo.startAll();
    const warmup = Number(process.env.ZVIZ_SCREENSHOTS_WARMUP ?? 90);
    demo.progress.note(`letting the workloads run for ${warmup} s`);
    await new Promise((resolve) => setTimeout(resolve, warmup * 1000));
    const backend = demo.backend!;
    // Grafana's provisioning uses uid zviz for this datasource; the app pages look for it.
    const config = { ...backend.config, uid: 'zviz' };
    const to = Date.now();
    const harness = await openHarness(backend.client, config, to - (warmup + 30) * 1000, to);
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
      demo.progress.note(`docs/images/${name}`);
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

import { AppConfigPage, AppPage, test as base } from '@grafana/plugin-e2e';

import pluginJson from '../../../src/plugin.json';

type AppTestFixture = {
  appConfigPage: AppConfigPage;
  gotoPage: (path?: string) => Promise<AppPage>;
};

// These specs need a Grafana with the built plugin and provisioning/ loaded
// (`docker compose up`); without GRAFANA_URL they skip and say so.
const noGrafana = process.env.GRAFANA_URL
  ? undefined
  : '@grafana/plugin-e2e specs need a running Grafana with this plugin: set GRAFANA_URL (docker compose up)';

export const test = base.extend<AppTestFixture>({
  page: async ({ page }, use, testInfo) => {
    if (noGrafana) {
      console.log(`[skip] ${testInfo.title}: ${noGrafana}`);
      testInfo.skip(true, noGrafana);
    }
    await use(page);
  },
  appConfigPage: async ({ gotoAppConfigPage }, use) => {
    const configPage = await gotoAppConfigPage({ pluginId: pluginJson.id });
    await use(configPage);
  },
  gotoPage: async ({ gotoAppPage }, use) => {
    await use((path) => gotoAppPage({ path, pluginId: pluginJson.id }));
  },
});

export { expect } from '@grafana/plugin-e2e';

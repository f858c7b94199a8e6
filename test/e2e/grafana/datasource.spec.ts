import type { ZVizDataSourceOptions } from '@zviz/shared/query';
import { expect, test } from './fixtures';

test('the provisioned ZViz datasource passes Save & test or says why not', async ({
  readProvisionedDataSource,
  gotoDataSourceConfigPage,
  page,
}) => {
  const ds = await readProvisionedDataSource<ZVizDataSourceOptions>({ fileName: 'zviz.yaml' });
  const configPage = await gotoDataSourceConfigPage(ds.uid);
  await expect(page.getByPlaceholder('http://prometheus:9090')).toHaveValue(String(ds.jsonData.prometheusUrl));
  const response = await configPage.saveAndTest();
  // CheckHealth's message is shown either way; OK needs Prometheus and the agent up.
  if (response.ok()) {
    await expect(configPage).toHaveAlert('success');
  } else {
    await expect(configPage).toHaveAlert('error');
  }
});

test('a new ZViz datasource explains a bad Prometheus URL', async ({ createDataSourceConfigPage, page }) => {
  const configPage = await createDataSourceConfigPage({ type: 'zviz-agent-datasource' });
  await page.getByPlaceholder('http://prometheus:9090').fill('prometheus:9090');
  await expect(page.getByText(/Use an http:\/\/ or https:\/\/ URL|Not a URL/)).toBeVisible();
  await page.getByPlaceholder('http://prometheus:9090').fill('http://127.0.0.1:1');
  await expect(configPage.saveAndTest()).not.toBeOK();
});

import { expect, test } from './fixtures';

test('the configuration page checks the provisioned ZViz datasource and saves settings', async ({
  appConfigPage,
  page,
}) => {
  // provisioning/datasources/zviz.yaml creates uid "zviz"; its health check runs the backend's CheckHealth.
  await expect(page.getByText(/ZViz: (working|not working)/)).toBeVisible();
  await page.getByLabel('Refresh seconds').fill('15');
  const saved = appConfigPage.waitForSettingsResponse();
  await page.getByRole('button', { name: /Save settings|Enable and save/ }).click();
  await expect(saved).toBeOK();
});

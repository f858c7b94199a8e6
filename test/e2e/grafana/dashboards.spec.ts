import { expect, test } from './fixtures';

test('the provisioned dashboard shows the decisions panel with data from the ZViz datasource', async ({
  readProvisionedDashboard,
  gotoDashboardPage,
  page,
}) => {
  const dashboard = await readProvisionedDashboard({ fileName: 'zviz/decisions.json' });
  const dashboardPage = await gotoDashboardPage(dashboard);
  const panel = dashboardPage.getPanelByTitle('Decisions by syscall');
  await expect(panel.locator).toBeVisible();
  await expect(page.getByRole('grid', { name: 'Decisions by syscall' })).toBeVisible();
  await expect(page.getByRole('rowheader').first()).toBeVisible();
});

test('the bundled overview dashboard loads with the Prometheus datasource', async ({ gotoDashboardPage, page }) => {
  await gotoDashboardPage({ uid: 'zviz-overview' });
  await expect(page.getByText('Broker Requests/sec')).toBeVisible();
  await expect(page.getByText('Decisions by syscall')).toBeVisible();
});

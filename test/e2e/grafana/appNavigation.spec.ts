import { ROUTES } from '../../../src/constants';
import { expect, test } from './fixtures';

test.describe('app pages', () => {
  test('overview shows fleet health with links to the dashboards', async ({ gotoPage, page }) => {
    await gotoPage(`/${ROUTES.Overview}`);
    await expect(page.getByText(/ZViz fleet overview/)).toBeVisible();
    for (const card of ['Agents up', 'Broker', 'In-flight', 'Broker p99 latency', 'Denials/s', 'Containers']) {
      await expect(page.getByRole('region', { name: card })).toBeVisible();
    }
    await expect(page.getByRole('link', { name: 'Security dashboard' })).toHaveAttribute('href', /\/d\/zviz-security/);
  });

  test('decisions shows the matrix and the live stream', async ({ gotoPage, page }) => {
    await gotoPage(`/${ROUTES.Decisions}`);
    await expect(
      page.getByRole('grid', { name: 'Decisions by syscall' }).or(page.getByText(/No data|Unable to render/))
    ).toBeVisible();
    await expect(page.getByRole('region', { name: 'Live decisions' })).toBeVisible();
  });

  test('containers lists containers or says there are none', async ({ gotoPage, page }) => {
    await gotoPage(`/${ROUTES.Containers}`);
    await expect(page.getByRole('table', { name: 'Containers' }).or(page.getByText(/No containers/))).toBeVisible();
  });

  test('alerts lists the templates and installs them', async ({ gotoPage, page }) => {
    await gotoPage(`/${ROUTES.Alerts}`);
    await expect(page.getByRole('row', { name: 'ZVizBrokerDown' })).toBeVisible();
    await expect(page.getByText(/\d+ of \d+ installed/)).toBeVisible();
  });
});

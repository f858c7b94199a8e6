// The built datasource module's editors (dist/datasource/module.js) in
// Chromium: config editor, query editor per query type with pickers filled
// from the resource endpoints, and the variable editor.
import { join } from 'node:path';

import { expect, screenshots, test } from './fixtures';

type Win = {
  zviz: {
    mountConfigEditor: (j?: unknown, s?: unknown) => void;
    mountQueryEditor: (q: unknown) => void;
    mountVariableEditor: (q: unknown) => void;
    variableValues: (q: unknown) => Promise<string[]>;
    lastOptions?: {
      jsonData: Record<string, unknown>;
      secureJsonData?: Record<string, string>;
      secureJsonFields: Record<string, boolean>;
    };
    lastQuery?: Record<string, unknown>;
    lastVariable?: Record<string, unknown>;
    runs: number;
    requests: Array<{ url: string; params?: unknown }>;
  };
};

test('config editor keeps URLs in jsonData, secrets in secureJsonData, and explains bad input', async ({ page }) => {
  await page.evaluate(() => (window as unknown as Win).zviz.mountConfigEditor({}, { agentToken: true }));
  await expect(page.getByText('Required')).toBeVisible();
  await page.getByPlaceholder('http://prometheus:9090').fill('prometheus:9090');
  await expect(page.getByText(/Use an http:\/\/ or https:\/\/ URL|Not a URL/)).toBeVisible();
  await page.getByPlaceholder('http://prometheus:9090').fill('http://prometheus:9090');
  await page.getByRole('radio', { name: 'Bearer token' }).first().click();
  await page.getByPlaceholder('Bearer token for Prometheus').fill('t0ken');
  await page.getByRole('radio', { name: 'Static list' }).click();
  await page.getByPlaceholder('http://node-1:9090').fill('http://node-1:9090');
  await page.getByPlaceholder('http://node-1:9090').press('Enter');
  const options = await page.evaluate(() => (window as unknown as Win).zviz.lastOptions!);
  expect(options.jsonData).toMatchObject({
    prometheusUrl: 'http://prometheus:9090',
    prometheusAuth: 'bearer',
    agentDiscovery: 'static',
    agents: ['http://node-1:9090'],
  });
  expect(options.secureJsonData).toMatchObject({ prometheusToken: 't0ken' });
  expect(JSON.stringify(options.jsonData)).not.toContain('t0ken');
  await page.screenshot({ path: join(screenshots, 'config-editor.png'), fullPage: true });
});

test('decisions query editor fills its syscall picker from the backend', async ({ page }) => {
  await page.evaluate(() => (window as unknown as Win).zviz.mountQueryEditor({ refId: 'A', queryType: 'decisions' }));
  await page.getByRole('combobox', { name: 'Syscalls' }).click();
  await page.getByRole('option', { name: 'ptrace' }).click();
  await page.keyboard.press('Escape');
  await page.getByRole('radio', { name: 'Rate' }).click();
  const q = await page.evaluate(() => (window as unknown as Win).zviz.lastQuery!);
  expect(q).toMatchObject({ queryType: 'decisions', syscalls: ['ptrace'], mode: 'rate' });
  const requests = await page.evaluate(() => (window as unknown as Win).zviz.requests.map((r) => r.url));
  expect(requests).toContain('/api/datasources/uid/zviz/resources/syscalls');
  await page.screenshot({ path: join(screenshots, 'query-editor-decisions.png') });
});

test('audit query editor picks container, agent and decision', async ({ page }) => {
  await page.evaluate(() => (window as unknown as Win).zviz.mountQueryEditor({ refId: 'A', queryType: 'decisions' }));
  await page.getByRole('radio', { name: 'Audit events' }).click();
  await page.getByRole('combobox', { name: 'Container' }).click();
  await page.getByRole('option', { name: /build-42 \(ci-42\)/ }).click();
  await page.getByRole('combobox', { name: 'Agent' }).click();
  await expect(page.getByRole('option', { name: /node-2:9090/ })).toContainText('connection refused');
  await page.getByRole('option', { name: /node-1:9090/ }).click();
  await page.getByRole('combobox', { name: 'Decision' }).click();
  await page.getByRole('option', { name: 'kill' }).click();
  const q = await page.evaluate(() => (window as unknown as Win).zviz.lastQuery!);
  expect(q).toMatchObject({
    queryType: 'audit',
    container: 'ci-42',
    agent: 'node-1:9090',
    decision: 'kill',
    limit: 100,
  });
  expect(await page.evaluate(() => (window as unknown as Win).zviz.runs)).toBeGreaterThanOrEqual(3);
  await page.screenshot({ path: join(screenshots, 'query-editor-audit.png') });
});

test('PromQL and health editors', async ({ page }) => {
  await page.evaluate(() =>
    (window as unknown as Win).zviz.mountQueryEditor({ refId: 'A', queryType: 'promql', expr: '' })
  );
  await page
    .getByLabel('PromQL expression')
    .fill('sum by (decision) (rate(zviz_broker_decisions_total[$__rate_interval]))');
  await page.getByLabel('PromQL expression').press('Shift+Enter');
  expect(await page.evaluate(() => (window as unknown as Win).zviz.lastQuery!)).toMatchObject({
    expr: 'sum by (decision) (rate(zviz_broker_decisions_total[$__rate_interval]))',
  });
  await page.getByRole('radio', { name: 'Agent health' }).click();
  // The radio's description tooltip covers the picker until the pointer leaves.
  await page.mouse.move(0, 0);
  await expect(page.getByRole('tooltip')).toHaveCount(0);
  await page.getByRole('combobox', { name: 'Agent' }).click();
  await page.getByRole('option', { name: /node-1:9090/ }).click();
  expect(await page.evaluate(() => (window as unknown as Win).zviz.lastQuery!)).toMatchObject({
    queryType: 'health',
    agent: 'node-1:9090',
  });
});

test('variable editor and variable support list values from the backend', async ({ page }) => {
  await page.evaluate(() => (window as unknown as Win).zviz.mountVariableEditor({ refId: 'v', kind: 'agents' }));
  await page.getByRole('radio', { name: 'Containers' }).click();
  await page.getByRole('textbox', { name: 'Agent' }).fill('node-1:9090');
  await page.getByRole('textbox', { name: 'Agent' }).blur();
  expect(await page.evaluate(() => (window as unknown as Win).zviz.lastVariable!)).toMatchObject({
    kind: 'containers',
    agent: 'node-1:9090',
  });
  await page.screenshot({ path: join(screenshots, 'variable-editor.png') });
  const values = await page.evaluate(() =>
    (window as unknown as Win).zviz.variableValues({ kind: 'syscalls', regex: '^(mount|ptrace)$' })
  );
  expect(values).toEqual(['mount', 'ptrace']);
});

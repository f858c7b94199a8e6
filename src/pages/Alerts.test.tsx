import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';

import { ALERT_TEMPLATES } from '../alerts/templates';
import { mockBackend, type MockBackend } from '../../test/support/frontend/backend';
import Alerts from './Alerts';

let backend: MockBackend;
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => backend,
  PluginPage: ({ children }: { children: React.ReactNode }) => <div>{children}</div>,
  DataSourcePicker: ({ current }: { current: string }) => <span>datasource {current}</span>,
}));

const allRules = ALERT_TEMPLATES.groups.flatMap((g) => g.rules);
const first = allRules[0];

describe('Alerts page', () => {
  it('lists the templates and which are installed', async () => {
    backend = mockBackend({
      'GET /api/v1/provisioning/alert-rules': {
        data: [{ uid: first.uid, title: first.title, folderUID: 'zviz-alerts', ruleGroup: 'x' }],
      },
    });
    render(<Alerts />);
    expect(await screen.findByText(`1 of ${allRules.length} installed`)).toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: first.title })).getByText('installed')).toBeInTheDocument();
    expect(within(screen.getByRole('row', { name: allRules[1].title })).getByText('not installed')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Update installed rules/ })).toBeEnabled();
  });

  it('creates the folder and installs every group through the provisioning API, bound to the datasource', async () => {
    let installed: string[] = [];
    backend = mockBackend({
      'GET /api/v1/provisioning/alert-rules': () => ({ data: installed.map((uid) => ({ uid })) }),
      'GET /api/folders/zviz-alerts': { status: 404, data: { message: 'folder not found' } },
      'POST /api/folders': { data: { uid: 'zviz-alerts' } },
      'PUT *': (req) => {
        installed = [...installed, ...(req.data as { rules: Array<{ uid: string }> }).rules.map((r) => r.uid)];
        return { data: {} };
      },
    });
    render(<Alerts />);
    await userEvent.click(await screen.findByRole('button', { name: /Install alert rules/ }));
    expect(await screen.findByText('Alert rules installed')).toBeInTheDocument();
    expect(await screen.findByText(`${allRules.length} of ${allRules.length} installed`)).toBeInTheDocument();
    const puts = backend.calls.filter((c) => c.method === 'PUT');
    expect(puts.map((p) => p.url)).toEqual(
      ALERT_TEMPLATES.groups.map(
        (g) => `/api/v1/provisioning/folder/zviz-alerts/rule-groups/${encodeURIComponent(g.title)}`
      )
    );
    const body = puts[0].data as {
      rules: Array<{ labels: Record<string, string>; data: Array<{ datasourceUid: string }> }>;
    };
    expect(body.rules[0].labels.__grafana_origin).toBe('plugin/zviz-sandbox-app');
    expect(JSON.stringify(puts.map((p) => p.data))).not.toContain(ALERT_TEMPLATES.datasourcePlaceholder);
    expect(body.rules[0].data.some((q) => q.datasourceUid === 'zviz')).toBe(true);
    const folderPost = backend.calls.find((c) => c.method === 'POST' && c.url === '/api/folders');
    expect(folderPost?.data).toEqual({ uid: 'zviz-alerts', title: 'ZViz' });
  });

  it('explains a refused install', async () => {
    backend = mockBackend({
      'GET /api/v1/provisioning/alert-rules': { data: [] },
      'GET /api/folders/zviz-alerts': { status: 403, data: { message: 'Access denied' } },
    });
    render(<Alerts />);
    await userEvent.click(await screen.findByRole('button', { name: /Install alert rules/ }));
    await waitFor(() => expect(screen.getByText(/needs the Editor or Admin role/)).toBeInTheDocument());
  });
});

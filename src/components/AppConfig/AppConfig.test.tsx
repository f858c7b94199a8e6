import { type AppPluginMeta, PluginType } from '@grafana/data';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';

import type { ZVizAppSettings } from '../../settings';
import { mockBackend, type MockBackend } from '../../../test/support/frontend/backend';
import AppConfig, { type AppConfigProps } from './AppConfig';

let backend: MockBackend;
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => backend,
  DataSourcePicker: ({ current }: { current: string }) => <span>picker {current}</span>,
}));

function props(jsonData: ZVizAppSettings = {}, enabled = true): AppConfigProps {
  return {
    plugin: {
      meta: {
        id: 'zviz-sandbox-app',
        name: 'ZViz',
        type: PluginType.app,
        enabled,
        pinned: true,
        jsonData,
      } as AppPluginMeta<ZVizAppSettings>,
    },
    query: {},
  } as unknown as AppConfigProps;
}

const reload = jest.fn();
beforeAll(() => {
  Object.defineProperty(window, 'location', { configurable: true, value: { ...window.location, reload } });
});

describe('Configuration page', () => {
  it('reports the health of the configured ZViz datasource', async () => {
    backend = mockBackend({
      'GET /api/datasources/uid/zviz': { data: { name: 'ZViz', type: 'zviz-agent-datasource' } },
      'GET /api/datasources/uid/zviz/health': {
        data: { status: 'OK', message: 'Prometheus 2.42 and 2 of 2 agents answer' },
      },
    });
    render(<AppConfig {...props()} />);
    expect(await screen.findByText('ZViz: working')).toBeInTheDocument();
    expect(screen.getByText('Prometheus 2.42 and 2 of 2 agents answer')).toBeInTheDocument();
  });

  it('shows a failing health check with the backend message', async () => {
    backend = mockBackend({
      'GET /api/datasources/uid/zviz': { data: { name: 'ZViz', type: 'zviz-agent-datasource' } },
      'GET /api/datasources/uid/zviz/health': {
        status: 400,
        data: { status: 'ERROR', message: 'Prometheus: connection refused' },
      },
    });
    render(<AppConfig {...props()} />);
    expect(await screen.findByText('ZViz: not working')).toBeInTheDocument();
    expect(screen.getByText('Prometheus: connection refused')).toBeInTheDocument();
  });

  it('creates the ZViz datasource when it is missing', async () => {
    let exists = false;
    backend = mockBackend({
      'GET /api/datasources/uid/zviz': () =>
        exists
          ? { data: { name: 'ZViz', type: 'zviz-agent-datasource' } }
          : { status: 404, data: { message: 'not found' } },
      'GET /api/datasources/uid/zviz/health': { data: { status: 'OK', message: 'ok' } },
      'POST /api/datasources': () => {
        exists = true;
        return { data: { id: 3 } };
      },
    });
    render(<AppConfig {...props({ agentJob: 'zviz-agents' })} />);
    expect(await screen.findByText('There is no datasource with uid "zviz"')).toBeInTheDocument();
    const url = screen.getByLabelText('Prometheus URL');
    await userEvent.clear(url);
    await userEvent.type(url, 'mimir:8080');
    expect(screen.getByText(/Not a URL|Use an http/)).toBeInTheDocument();
    await userEvent.clear(url);
    await userEvent.type(url, 'http://mimir:8080/prometheus');
    await userEvent.click(screen.getByRole('button', { name: /Create ZViz datasource/ }));
    expect(await screen.findByText('ZViz: working')).toBeInTheDocument();
    const post = backend.calls.find((c) => c.method === 'POST' && c.url === '/api/datasources');
    expect(post?.data).toEqual({
      name: 'ZViz',
      uid: 'zviz',
      type: 'zviz-agent-datasource',
      access: 'proxy',
      jsonData: {
        prometheusUrl: 'http://mimir:8080/prometheus',
        agentDiscovery: 'prometheus',
        agentJob: 'zviz-agents',
      },
    });
  });

  it('saves the settings as the plugin jsonData and enables the app', async () => {
    backend = mockBackend({
      'GET /api/datasources/uid/zviz': { status: 404, data: {} },
      'POST /api/plugins/zviz-sandbox-app/settings': { data: {} },
    });
    render(<AppConfig {...props({}, false)} />);
    const refresh = screen.getByLabelText('Refresh seconds');
    await userEvent.clear(refresh);
    await userEvent.type(refresh, '10');
    await userEvent.click(screen.getByRole('button', { name: 'Enable and save' }));
    const post = backend.calls.find((c) => c.url === '/api/plugins/zviz-sandbox-app/settings');
    expect(post?.data).toMatchObject({
      enabled: true,
      jsonData: {
        datasourceUid: 'zviz',
        prometheusUid: 'prometheus',
        agentJob: 'zviz',
        refreshSeconds: 10,
        liveDecisions: true,
      },
    });
    expect(reload).toHaveBeenCalled();
  });
});

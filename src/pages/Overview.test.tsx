import { render, screen, within } from '@testing-library/react';
import React from 'react';

import { AppSettingsContext } from '../hooks/useAppSettings';
import { DEFAULT_SETTINGS } from '../settings';
import { dsQuery, instantFrame, mockBackend, type MockBackend } from '../../test/support/frontend/backend';
import Overview from './Overview';

let backend: MockBackend;
jest.mock('@grafana/runtime', () => ({
  ...jest.requireActual('@grafana/runtime'),
  getBackendSrv: () => backend,
  PluginPage: ({ children }: { children: React.ReactNode }) => <div>{children}</div>,
}));

function card(name: string) {
  return screen.getByRole('region', { name });
}

describe('Overview page', () => {
  it('shows fleet health from the ZViz datasource, each figure linking to its dashboard', async () => {
    backend = mockBackend({
      'POST /api/ds/query': dsQuery({
        up: [instantFrame('up', 2)],
        targets: [instantFrame('targets', 3)],
        brokersReady: [instantFrame('brokersReady', 3)],
        brokers: [instantFrame('brokers', 3)],
        inflight: [instantFrame('inflight', 250)],
        p99: [instantFrame('p99', 0.0042)],
        denials: [instantFrame('denials', 0.5)],
        requests: [instantFrame('requests', 1234)],
        states: [instantFrame('states', 4, { state: 'running' }), instantFrame('states', 1, { state: 'failed' })],
      }),
    });
    render(
      <AppSettingsContext.Provider value={{ ...DEFAULT_SETTINGS, datasourceUid: 'zviz-prod', prometheusUid: 'prom' }}>
        <Overview />
      </AppSettingsContext.Provider>
    );
    expect(await within(card('Agents up')).findByText('2 / 3')).toBeInTheDocument();
    expect(card('Agents up')).toHaveAttribute('data-health', 'warning');
    expect(within(card('Broker')).getByText('running')).toBeInTheDocument();
    expect(card('In-flight')).toHaveAttribute('data-health', 'critical');
    expect(within(card('Broker p99 latency')).getByText('4.20 ms')).toBeInTheDocument();
    expect(card('Denials/s')).toHaveAttribute('data-health', 'ok');
    expect(within(card('Containers')).getByText('4 running')).toBeInTheDocument();
    expect(within(card('Containers')).getByText('1 failed')).toBeInTheDocument();
    expect(within(card('Denials/s')).getByRole('link')).toHaveAttribute('href', '/d/zviz-security?var-datasource=prom');
    const request = backend.calls.find((c) => c.url === '/api/ds/query')!;
    const queries = (request.data as { queries: Array<{ datasource: { uid: string }; expr: string }> }).queries;
    expect(queries.every((q) => q.datasource.uid === 'zviz-prod')).toBe(true);
    expect(queries.find((q) => q.expr.includes('up{'))?.expr).toBe('sum(up{job="zviz"})');
  });

  it('says which figures are missing when a query fails', async () => {
    backend = mockBackend({ 'POST /api/ds/query': dsQuery({ p99: 'Prometheus: 503 Service Unavailable' }) });
    render(<Overview />);
    expect(await screen.findByText(/Prometheus: 503 Service Unavailable/)).toBeInTheDocument();
    expect(card('Broker p99 latency')).toHaveAttribute('data-health', 'unknown');
  });
});

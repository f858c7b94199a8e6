import type { DataSourceSettings } from '@grafana/data';
import { fireEvent, render, screen } from '@testing-library/react';
import React, { useState } from 'react';

import type { ZVizSecureOptions } from '@zviz/shared/query';
import type { ZVizOptions } from '../types';
import { ConfigEditor, urlError } from './ConfigEditor';

type Settings = DataSourceSettings<ZVizOptions, ZVizSecureOptions>;

function settings(jsonData: Partial<ZVizOptions> = {}, secureJsonFields: Record<string, boolean> = {}): Settings {
  // Only what the editor reads; Grafana's settings carry more.
  return {
    uid: 'zviz',
    orgId: 1,
    name: 'ZViz',
    type: 'zviz-agent-datasource',
    typeName: 'ZViz',
    typeLogoUrl: '',
    access: 'proxy',
    url: '',
    user: '',
    basicAuth: false,
    basicAuthUser: '',
    isDefault: false,
    jsonData: jsonData as ZVizOptions,
    secureJsonFields,
    readOnly: false,
    withCredentials: false,
  } as unknown as Settings;
}

/** The editor wired to state, as Grafana's settings page holds it. */
function Harness({ initial, onChange }: { initial: Settings; onChange: (s: Settings) => void }) {
  const [options, setOptions] = useState(initial);
  return (
    <ConfigEditor
      options={options}
      onOptionsChange={(o) => {
        setOptions(o);
        onChange(o);
      }}
    />
  );
}

function renderEditor(initial = settings()) {
  const changes: Settings[] = [];
  render(<Harness initial={initial} onChange={(s) => changes.push(s)} />);
  return { last: () => changes[changes.length - 1] };
}

describe('ConfigEditor', () => {
  it('stores the Prometheus URL in jsonData and says what is wrong with a bad one', () => {
    const { last } = renderEditor();
    expect(screen.getByText('Required')).toBeInTheDocument();
    const url = screen.getByPlaceholderText('http://prometheus:9090');
    fireEvent.change(url, { target: { value: 'prometheus:9090' } });
    expect(screen.getByText(/Use an http:\/\/ or https:\/\/ URL|Not a URL/)).toBeInTheDocument();
    fireEvent.change(url, { target: { value: ' http://prom:9090 ' } });
    expect(last().jsonData.prometheusUrl).toBe('http://prom:9090');
    expect(screen.queryByText('Required')).not.toBeInTheDocument();
  });

  it('keeps secrets in secureJsonData and resets a configured one', () => {
    const { last } = renderEditor(
      settings({ prometheusUrl: 'http://p:9090', prometheusAuth: 'bearer' }, { prometheusToken: true })
    );
    // A configured secret is not shown, only marked as configured.
    expect(screen.getByDisplayValue('configured')).toBeDisabled();
    fireEvent.click(screen.getByRole('button', { name: 'Reset' }));
    expect(last().secureJsonFields.prometheusToken).toBe(false);
    fireEvent.change(screen.getByPlaceholderText('Bearer token for Prometheus'), { target: { value: 's3cret' } });
    expect(last().secureJsonData?.prometheusToken).toBe('s3cret');
    expect(JSON.stringify(last().jsonData)).not.toContain('s3cret');
  });

  it('asks for user and password with basic auth', () => {
    const { last } = renderEditor(settings({ prometheusUrl: 'http://p:9090' }));
    fireEvent.click(screen.getAllByRole('radio', { name: 'Basic' })[0]);
    expect(last().jsonData.prometheusAuth).toBe('basic');
    fireEvent.change(screen.getByPlaceholderText('Prometheus password'), { target: { value: 'pw' } });
    expect(last().secureJsonData?.prometheusPassword).toBe('pw');
  });

  it('discovers agents through a scrape job by default and takes a static list', () => {
    const { last } = renderEditor(settings({ prometheusUrl: 'http://p:9090' }));
    fireEvent.change(screen.getByPlaceholderText('zviz'), { target: { value: 'zviz-agents' } });
    expect(last().jsonData.agentJob).toBe('zviz-agents');
    fireEvent.click(screen.getByRole('radio', { name: 'Static list' }));
    expect(screen.getByText('List at least one agent')).toBeInTheDocument();
    const tags = screen.getByPlaceholderText('http://node-1:9090');
    fireEvent.change(tags, { target: { value: 'node-1:9090' } });
    fireEvent.keyDown(tags, { key: 'Enter' });
    expect(last().jsonData.agents).toEqual(['node-1:9090']);
    expect(screen.getByText('Not an http(s) URL: node-1:9090')).toBeInTheDocument();
  });

  it('sets the scheme of discovered agents and the scrape interval', () => {
    const { last } = renderEditor(settings({ prometheusUrl: 'http://p:9090' }));
    fireEvent.click(screen.getByRole('radio', { name: 'https' }));
    expect(last().jsonData.agentScheme).toBe('https');
    fireEvent.change(screen.getByPlaceholderText('15'), { target: { value: '0' } });
    expect(screen.getByText('Seconds, from 1 to 3600')).toBeInTheDocument();
    fireEvent.change(screen.getByPlaceholderText('15'), { target: { value: '30' } });
    expect(last().jsonData.scrapeIntervalSeconds).toBe(30);
  });

  it('validates the timeout and the agents asked at once, and hides the CA certificate when verification is skipped', () => {
    const { last } = renderEditor(settings({ prometheusUrl: 'http://p:9090' }));
    fireEvent.change(screen.getByPlaceholderText('10'), { target: { value: '0' } });
    expect(screen.getByText('Seconds, from 1 to 300')).toBeInTheDocument();
    fireEvent.change(screen.getByPlaceholderText('10'), { target: { value: '30' } });
    expect(last().jsonData.timeoutSeconds).toBe(30);
    fireEvent.change(screen.getByPlaceholderText('32'), { target: { value: '0' } });
    expect(screen.getByText('A whole number of agents, from 1 to 1000')).toBeInTheDocument();
    fireEvent.change(screen.getByPlaceholderText('32'), { target: { value: '64' } });
    expect(last().jsonData.agentConcurrency).toBe(64);
    expect(screen.getByPlaceholderText('-----BEGIN CERTIFICATE-----')).toBeInTheDocument();
    fireEvent.click(screen.getByLabelText(/Skip TLS verification/));
    expect(last().jsonData.tlsSkipVerify).toBe(true);
    expect(screen.queryByPlaceholderText('-----BEGIN CERTIFICATE-----')).not.toBeInTheDocument();
  });
});

describe('urlError', () => {
  it.each([
    ['', true, 'Required'],
    ['', false, undefined],
    ['https://mimir.example/prometheus', true, undefined],
    ['ftp://x', true, 'Use an http:// or https:// URL'],
  ])('%j (required %s) -> %s', (value, required, expected) => {
    expect(urlError(value, required)).toBe(expected);
  });
});

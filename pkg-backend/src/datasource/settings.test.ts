import { describe, expect, it } from 'vitest';

import { agentTarget, parseSettings, SettingsError } from './settings';

function problems(jsonData: unknown, secure: Record<string, string> = {}): string[] {
  try {
    parseSettings(JSON.stringify(jsonData), secure);
  } catch (error) {
    return (error as SettingsError).problems;
  }
  return [];
}

describe('datasource settings', () => {
  it('reads Prometheus with bearer auth, static agents, timeouts and TLS', () => {
    const s = parseSettings(
      JSON.stringify({
        prometheusUrl: 'https://mimir.example/prometheus/',
        prometheusAuth: 'bearer',
        agents: ['10.0.0.3:9090', 'https://node-2:9443'],
        agentAuth: 'basic',
        agentUser: 'grafana',
        timeoutSeconds: 2.5,
        tlsSkipVerify: true,
      }),
      { prometheusToken: 't', agentPassword: 'p' }
    );
    expect(s.prometheus).toEqual({ url: 'https://mimir.example/prometheus', auth: { kind: 'bearer', token: 't' } });
    expect(s.agents).toEqual({
      kind: 'static',
      targets: [
        { name: '10.0.0.3:9090', url: 'http://10.0.0.3:9090' },
        { name: 'node-2:9443', url: 'https://node-2:9443' },
      ],
    });
    expect(s.agentAuth).toEqual({ kind: 'basic', user: 'grafana', password: 'p' });
    expect(s.timeoutMs).toBe(2500);
    expect(s.agentConcurrency).toBe(32);
    expect(s.tls).toEqual({ skipVerify: true, ca: undefined });
  });

  it('defaults to discovery through up{job="zviz"} when only Prometheus is set, using the URL field too', () => {
    const s = parseSettings('{}', {}, 'http://prom:9090');
    expect(s.agents).toEqual({ kind: 'prometheus', job: 'zviz', scheme: 'http' });
    expect(s.prometheus?.url).toBe('http://prom:9090');
  });

  it('lists every problem in words that say what to change', () => {
    expect(problems({})).toEqual(['configure a Prometheus URL, agents, or both']);
    expect(problems({ agentDiscovery: 'prometheus' })).toEqual([
      'agent discovery through Prometheus needs a Prometheus URL',
    ]);
    expect(problems({ agents: ['a:1'], agentAuth: 'bearer', timeoutSeconds: 'soon' })).toEqual([
      'agent bearer auth needs a token',
      'timeout must be a number of seconds between 0 and 300, not "soon"',
    ]);
    expect(problems({ agents: ['a:1'], agentConcurrency: 0 })).toEqual([
      'agent concurrency must be a whole number of agents from 1 to 1000, not 0',
    ]);
    expect(problems({ agents: ['a:1'], agentConcurrency: 2.5 })).toHaveLength(1);
    expect(parseSettings(JSON.stringify({ agents: ['a:1'], agentConcurrency: 8 }), {}).agentConcurrency).toBe(8);
    expect(problems({ agents: ['a:1'] }, { tlsCACert: 'not pem' })).toEqual([
      'the CA certificate must be PEM (-----BEGIN CERTIFICATE-----)',
    ]);
    expect(() => parseSettings('{nope', {})).toThrow(/jsonData is not valid JSON/);
  });

  it('accepts host:port and http(s) URLs as agents, nothing else', () => {
    expect(agentTarget('node-1:9090')).toEqual({ name: 'node-1:9090', url: 'http://node-1:9090' });
    expect(agentTarget('ftp://node-1')).toBeUndefined();
    expect(agentTarget('http://node-1:9090/?x=1')).toBeUndefined();
  });
});

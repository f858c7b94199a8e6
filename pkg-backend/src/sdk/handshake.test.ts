import { describe, expect, it } from 'vitest';

import { checkMagicCookie, handshakeLine, negotiateVersion } from './handshake';
import { createLogger, hclogTimestamp } from './log';

describe('go-plugin handshake', () => {
  it("refuses to start without Grafana's magic cookie, saying why", () => {
    expect(() => checkMagicCookie({})).toThrow(/Grafana starts it.*grafana_plugin_type=datasource/);
    expect(() => checkMagicCookie({ grafana_plugin_type: 'datasource' })).not.toThrow();
  });

  it('negotiates protocol version 2 and rejects hosts that do not offer it', () => {
    expect(negotiateVersion({})).toBe(2);
    expect(negotiateVersion({ PLUGIN_PROTOCOL_VERSIONS: '1,2' })).toBe(2);
    expect(() => negotiateVersion({ PLUGIN_PROTOCOL_VERSIONS: '1' })).toThrow(/offers plugin protocol version\(s\) 1/);
  });

  it('prints CORE|APP|NETWORK|ADDR|PROTOCOL', () => {
    expect(handshakeLine(2, { network: 'unix', path: '/tmp/x/plugin.sock' })).toBe(
      '1|2|unix|/tmp/x/plugin.sock|grpc\n'
    );
    expect(handshakeLine(2, { network: 'tcp', host: '127.0.0.1', port: 10001 })).toBe('1|2|tcp|127.0.0.1:10001|grpc\n');
  });
});

describe('hclog JSON logs', () => {
  it('writes @level, @message, @timestamp with the six fraction digits go-plugin parses', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l) }).with({ uid: 'ds' });
    log.debug('hidden');
    log.warn('upstream slow', { error: new Error('timed out'), took_ms: 12 });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]);
    expect(entry).toMatchObject({
      '@level': 'warn',
      '@message': 'upstream slow',
      uid: 'ds',
      error: 'timed out',
      took_ms: 12,
    });
    expect(entry['@timestamp']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(hclogTimestamp(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67)))).toBe('2026-01-02T03:04:05.067000Z');
  });
});

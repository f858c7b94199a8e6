import { describe, expect, it } from 'vitest';

import { nativeNetworks, parseAddress } from './addresses';

describe('broker rule addresses', () => {
  it('reads networks, hosts, ports and unix paths', () => {
    expect(parseAddress('10.0.0.0/8')).toEqual({
      kind: 'network',
      network: { address: '10.0.0.0', prefix: 8, port: undefined },
    });
    expect(parseAddress('192.168.1.5:443')).toEqual({
      kind: 'network',
      network: { address: '192.168.1.5', prefix: 32, port: 443 },
    });
    expect(parseAddress('[::1]:5432')).toEqual({
      kind: 'network',
      network: { address: '::1', prefix: 128, port: 5432 },
    });
    expect(parseAddress('fd00::/8')).toEqual({
      kind: 'network',
      network: { address: 'fd00::', prefix: 8, port: undefined },
    });
    expect(parseAddress('unix:/run/postgresql/')).toEqual({ kind: 'unix', prefix: '/run/postgresql/' });
    expect(nativeNetworks({ address: '*', prefix: 0, port: 53 })).toEqual([
      { address: '0.0.0.0', prefix: 0, port: 53 },
      { address: '::', prefix: 0, port: 53 },
    ]);
  });

  it('explains what it cannot read', () => {
    expect(parseAddress('example.com:80')).toMatchObject({ error: expect.stringContaining('names are not resolved') });
    expect(parseAddress('10.0.0.1:99999')).toMatchObject({ error: expect.stringContaining('port out of range') });
    expect(parseAddress('10.0.0.0/40')).toMatchObject({ error: expect.stringContaining('longer than the 32 bits') });
    expect(parseAddress('unix:relative')).toMatchObject({ error: expect.stringContaining('unix:/path') });
    expect(parseAddress('*')).toMatchObject({ error: expect.stringContaining('needs a port') });
  });
});

// TLS to upstreams with a real certificate, as the backend's data source
// settings configure it (@zviz/agent-client's HttpClient against the
// backend's fixture agent): refused when unknown, accepted with the
// configured CA or with verification skipped.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { AgentClient } from '@zviz/agent-client/agent';
import { HttpClient } from '@zviz/agent-client/http';
import { binary, describeWhere } from '@zviz/test-support/requirements';

import { FixtureAgent } from './fixtures/fixture-agent';

describeWhere([binary('openssl')], 'agent client over TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-tls-'));
  let agent: FixtureAgent;
  let cert: string;

  beforeAll(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' }
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    agent = await FixtureAgent.start({ tls: { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert } });
  });
  afterAll(async () => {
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (tls: { ca?: string; skipVerify?: boolean }) =>
    new AgentClient({ name: agent.address, url: agent.url }, new HttpClient({ timeoutMs: 5000, tls }), {
      kind: 'none',
    });

  it('refuses a certificate it cannot verify, saying so', async () => {
    await expect(client({}).health()).rejects.toThrow(
      new RegExp(`^agent ${agent.address}: TLS: self[- ]signed certificate`)
    );
  });

  it('accepts it with the configured CA, or with verification skipped', async () => {
    expect((await client({ ca: cert }).health()).version).toBe('0.1.0');
    expect((await client({ skipVerify: true }).health()).version).toBe('0.1.0');
  });
});

// Requests at the edges of HTTP against a real agent: what Node's parser
// would answer by itself (no Host, an Expect it cannot meet, CONNECT, a head
// too large), content coding, and what /health tells a client without
// credentials. Every answer carries the security headers and the JSON error
// body, and says no more than the docs promise (docs/agent.md).
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, zviz } from '../../agent/test/support/agent-process';
import { parseRaw, probe, raw, type Answer } from './http-clients';

function expectHardenedJson(headers: Record<string, string | string[] | undefined>) {
  expect(headers).toMatchObject({
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
  });
}

describeWhere([root, seccompUserNotif], 'HTTP at its edges', () => {
  const token = 'protocol-test-token-0123456789abcdef';
  const auth = { Authorization: `Bearer ${token}` };
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start({ metrics: { auth: { type: 'bearer', token }, rate_limit: { rps: 0 } } });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it.each([
    ['an HTTP/1.1 request without Host', 400, 'GET /health HTTP/1.1\r\nConnection: close\r\n\r\n', /Host header/],
    [
      'an Expect the agent cannot meet',
      417,
      'GET /health HTTP/1.1\r\nHost: agent\r\nExpect: tea\r\nConnection: close\r\n\r\n',
      /Expect/,
    ],
    ['CONNECT', 405, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', /CONNECT/],
    ['malformed bytes', 400, 'NOT HTTP AT ALL\r\n\r\n', /bad request/],
  ])('answers %s with %i, the JSON body and the security headers, then closes', async (_, status, bytes, message) => {
    const answer = parseRaw(await raw(agent.port, bytes));
    expect(answer.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} `));
    expectHardenedJson(answer.headers);
    expect(JSON.parse(answer.body).error).toMatch(message);
    expect(answer.body).not.toContain('[still open]');
  });

  it('answers 414 for a long request target and 431 when the head passes 16 KiB, both in JSON', async () => {
    const long = (await probe(`${agent.url}/health?${'x'.repeat(5000)}`)) as Answer;
    expect(long.status).toBe(414);
    expectHardenedJson(long.headers);
    const huge = parseRaw(await raw(agent.port, `GET /health?${'x'.repeat(20_000)} HTTP/1.1\r\nHost: agent\r\n\r\n`));
    expect(huge.statusLine).toMatch(/^HTTP\/1\.1 431 /);
    expectHardenedJson(huge.headers);
    expect(JSON.parse(huge.body).error).toMatch(/request line and headers/);
  });

  it('sends gzip only to a client that accepts it', async () => {
    const encoding = async (accept: string | undefined) => {
      const answer = (await probe(`${agent.url}/metrics`, {
        headers: { ...auth, ...(accept === undefined ? {} : { 'Accept-Encoding': accept }) },
      })) as Answer;
      expect(answer.status).toBe(200);
      return answer.headers['content-encoding'] ?? 'identity';
    };
    expect(await encoding(undefined)).toBe('identity');
    expect(await encoding('gzip')).toBe('gzip');
    expect(await encoding('gzip;q=0')).toBe('identity');
    expect(await encoding('gzip; q=0.0, identity')).toBe('identity');
    expect(await encoding('identity;q=0.5, gzip;q=1')).toBe('gzip');
    expect(await encoding('*')).toBe('gzip');
    expect(await encoding('*;q=0, identity')).toBe('identity');
    expect(await encoding('br')).toBe('identity');
  });

  it('tells a client without credentials only status, version, uptime and counts on /health', async () => {
    const open = (await probe(`${agent.url}/health`)) as Answer;
    expect(open.status).toBe(200);
    const summary = JSON.parse(open.body);
    expect(Object.keys(summary)).toEqual(['status', 'version', 'uptime', 'containers', 'broker', 'components']);
    expect(summary).toMatchObject({
      status: expect.stringMatching(/^(healthy|degraded|unhealthy)$/),
      version: expect.any(String),
      uptime: expect.any(Number),
      containers: 0,
      broker: { status: 'running', inflight: 0 },
    });
    expect(Object.keys(summary.broker)).toEqual(['status', 'inflight']);
    for (const component of Object.values(summary.components)) {
      expect(Object.keys(component as object)).toEqual(['status']);
    }
    // None of the details: no paths, no kernel features, no library versions.
    expect(open.body).not.toContain(agent.dir);
    expect(open.body).not.toMatch(/cgroup|seccomp|kernel|tracepoint|\/sys\/|audit\.json/i);

    const full = JSON.parse(((await probe(`${agent.url}/health`, { headers: auth })) as Answer).body);
    expect(full.components.audit.path).toContain(agent.dir);
    expect(Object.keys(full)).toEqual(expect.arrayContaining(['node', 'variant', 'components']));
    // `zviz health` sends the configured token, so the operator sees everything.
    const cli = zviz(['health', '--config', agent.configPath, '--json']);
    expect(JSON.parse(cli.stdout).components.audit.path).toContain(agent.dir);
    // Wrong credentials are refused, not answered with the summary.
    expect(((await probe(`${agent.url}/health`, { headers: { Authorization: 'Bearer nope' } })) as Answer).status).toBe(
      401
    );
  });

  it('repeats at most a short piece of a long path or parameter in its errors', async () => {
    const path = `/${'p'.repeat(4000)}`;
    const missing = (await probe(`${agent.url}${path}`, { headers: auth })) as Answer;
    expect(missing.status).toBe(404);
    expect(missing.body.length).toBeLessThan(200);
    expect(JSON.parse(missing.body).error).toMatch(/\(4001 characters\)/);
    const parameter = (await probe(`${agent.url}/api/v1/decisions?limit=${'9'.repeat(3000)}`, {
      headers: auth,
    })) as Answer;
    expect(parameter.status).toBe(400);
    expect(parameter.body.length).toBeLessThan(250);
  });

  it('still serves after all of it', async () => {
    const scrape = (await probe(`${agent.url}/metrics`, { headers: { ...auth, 'Accept-Encoding': 'gzip' } })) as Answer;
    expect(scrape.status).toBe(200);
    expect(scrape.headers['content-encoding']).toBe('gzip');
    expect(((await probe(`${agent.url}/ready`)) as Answer).status).toBe(200);
  });
});

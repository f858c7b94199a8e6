// The server on a free port, answered by real HTTP requests: headers, limits,
// auth, TLS and every kind of bad request.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { binary, describeWhere } from '@zviz/test-support/requirements';
import type { AuthConfig } from '../config/schema';
import { silentLogger } from '../log/logger';
import { HttpError } from './errors';
import { AgentServer, type ServerSettings } from './http';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  peerFingerprint?: string;
}

function ask(
  server: AgentServer,
  path: string,
  {
    method = 'GET',
    headers = {},
    body,
    ca,
  }: { method?: string; headers?: Record<string, string>; body?: string; ca?: Buffer } = {}
): Promise<Answer> {
  const address = server.address!;
  const request = ca ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: address.host, port: address.port, path, method, headers, ca, servername: 'localhost', agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            peerFingerprint: ca ? (res.socket as TLSSocket).getPeerCertificate().fingerprint256 : undefined,
          })
        );
      }
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends bytes as they are and returns the raw answer. */
function raw(server: AgentServer, bytes: string): Promise<string> {
  const { host, port } = server.address!;
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(bytes);
  });
}

const NO_AUTH: AuthConfig = { type: 'none', exempt_probes: true };

function settings(overrides: Partial<ServerSettings> = {}): ServerSettings {
  return {
    address: { host: '127.0.0.1', port: 0 },
    auth: NO_AUTH,
    rateLimit: { rps: 0, burst: 20 },
    ...overrides,
  };
}

let server: AgentServer;

async function start(overrides: Partial<ServerSettings> = {}): Promise<AgentServer> {
  server = new AgentServer(silentLogger());
  server.route('GET', '/hello', ({ sendJson }) => sendJson(200, { hello: 'world' }));
  server.route('GET', '/probe', ({ sendJson }) => sendJson(200, { ok: true }), { access: 'probe' });
  server.route('GET', '/items/:id', ({ sendJson, params }) => sendJson(200, { id: params.id }));
  server.route('GET', '/teapot', () => {
    throw new HttpError(418, 'short and stout');
  });
  server.route('GET', '/broken', () => {
    throw new Error('secret internal detail');
  });
  server.route('POST', '/echo', async ({ sendJson, json }) => sendJson(200, await json(64)));
  await server.listen(settings(overrides));
  return server;
}

afterEach(async () => {
  await server?.close();
});

describe('AgentServer', () => {
  it('sends the hardening headers on every answer and no Server header', async () => {
    await start();
    for (const path of ['/hello', '/nope']) {
      const { headers } = await ask(server, path);
      expect(headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
      expect(headers.server).toBeUndefined();
      expect(headers['strict-transport-security']).toBeUndefined();
    }
  });

  it('routes with parameters and answers HEAD like GET without a body', async () => {
    await start();
    expect(JSON.parse((await ask(server, '/items/a%2Fb')).body)).toEqual({ id: 'a/b' });
    const head = await ask(server, '/hello', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('answers 404 for unknown paths and 405 with Allow for a wrong method', async () => {
    await start();
    const missing = await ask(server, '/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toEqual({ error: 'no such endpoint: /nope' });
    const wrong = await ask(server, '/hello', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('GET, HEAD');
  });

  it('reads a target that starts with two slashes as a path, not as a host name', async () => {
    await start();
    // As a reference relative to the agent, //hello named the host "hello"
    // and the path "/": the error said "no such endpoint: /".
    const doubled = await ask(server, '//hello');
    expect(doubled.status).toBe(404);
    expect(JSON.parse(doubled.body)).toEqual({ error: 'no such endpoint: //hello' });
    expect(JSON.parse((await ask(server, '//nope/x')).body)).toEqual({ error: 'no such endpoint: //nope/x' });
  });

  it('turns HttpErrors into their status and hides other errors behind a 500', async () => {
    await start();
    expect(await ask(server, '/teapot')).toMatchObject({ status: 418, body: '{"error":"short and stout"}\n' });
    const broken = await ask(server, '/broken');
    expect(broken.status).toBe(500);
    expect(broken.body).not.toContain('secret internal detail');
  });

  it('refuses oversized and malformed requests with 4xx and keeps serving', async () => {
    await start();
    expect((await ask(server, `/hello?${'x'.repeat(5000)}`)).status).toBe(414);
    expect(await raw(server, `GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`)).toMatch(
      /^HTTP\/1\.1 431 /
    );
    expect(await raw(server, 'THIS IS NOT HTTP\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 .*nosniff/s);
    expect(await raw(server, 'GET http://elsewhere/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(
      /^HTTP\/1\.1 400 /
    );
    const big = await ask(server, '/hello', { headers: { 'Content-Length': String(10 * 1024 * 1024) } }).catch(
      (e: Error) => e
    );
    expect(big instanceof Error ? 'reset' : big.status).toBe(413);
    expect((await ask(server, '/echo', { method: 'POST', body: 'x'.repeat(100) })).status).toBe(413);
    const notJson = await ask(server, '/echo', { method: 'POST', body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(notJson.body).toMatch(/not JSON/);
    expect((await ask(server, '/echo', { method: 'POST', body: '{"a":1}' })).body).toBe('{"a":1}\n');
    expect((await ask(server, '/hello')).status).toBe(200);
  });

  it('sends 100 Continue only to a request whose body a route reads, after it passed every check', async () => {
    await start({ auth: { type: 'bearer', token: 'a-token-of-sixteen-chars', exempt_probes: true } });
    const expect100 = (head: string) =>
      raw(server, `${head}Expect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n`);
    // Refused requests get their refusal at once: no invitation to send a body first.
    const unknown = await expect100(
      'GET /nope HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-sixteen-chars\r\n'
    );
    expect(unknown).toMatch(/^HTTP\/1\.1 404 /);
    const unauthenticated = await expect100('POST /echo HTTP/1.1\r\nHost: a\r\n');
    expect(unauthenticated).toMatch(/^HTTP\/1\.1 401 /);
    const noBody = await expect100(
      'GET /hello HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-sixteen-chars\r\n'
    );
    expect(noBody).toMatch(/^HTTP\/1\.1 200 /);
    // A route that reads the body asks for it.
    const { host, port } = server.address!;
    const echoed = await new Promise<string>((resolve) => {
      const socket = connect(port, host);
      let text = '';
      socket.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        if (text.startsWith('HTTP/1.1 100 Continue\r\n\r\n') && !text.includes('{')) {
          socket.write('{}');
        }
      });
      socket.on('close', () => resolve(text));
      socket.write(
        'POST /echo HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer a-token-of-sixteen-chars\r\nExpect: 100-continue\r\nContent-Length: 2\r\nConnection: close\r\n\r\n'
      );
    });
    expect(echoed).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 [\s\S]*\{\}\n$/);
  });

  it('reads a pipelining connection one request at a time, each once the answer before it is written', async () => {
    await start({ responseBudgetBytes: 8 * 1024 * 1024 });
    let handled = 0;
    const big = 'x'.repeat(1024 * 1024);
    server.route('GET', '/big', ({ send }) => {
      handled++;
      send(200, big, {});
    });
    // Forty requests in one write, and not a byte read. Node's parser alone
    // handles all forty at once and queues each answer behind the one being
    // written, in the agent's memory.
    const { host, port } = server.address!;
    const socket = connect(port, host);
    socket.pause();
    socket.on('error', () => undefined);
    socket.write('GET /big HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(40));
    let seen = -1;
    await waitFor(
      'the agent to stop taking requests',
      async () => {
        const settled = handled > 0 && handled === seen;
        seen = handled;
        return settled;
      },
      { intervalMs: 300 }
    );
    // As many as the kernel's buffers took (up to 10 MiB on loopback), and one waiting.
    expect(handled).toBeLessThanOrEqual(12);
    // Once the client reads, the rest follow, in order, none lost.
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.resume();
    await waitFor('all forty answers', async () => (text.match(/HTTP\/1\.1 200 OK\r\n/g) ?? []).length === 40);
    expect(handled).toBe(40);
    socket.destroy();
  });

  it('reads a body of many pieces, sent in bits, and the request pipelined after it', async () => {
    await start();
    server.route('POST', '/size', async ({ sendJson, json }) =>
      sendJson(200, { size: JSON.stringify(await json(64 * 1024)).length })
    );
    const body = JSON.stringify({ data: 'y'.repeat(20_000) });
    const bytes =
      `POST /size HTTP/1.1\r\nHost: a\r\nContent-Length: ${body.length}\r\n\r\n${body}` +
      'GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n';
    const { host, port } = server.address!;
    const text = await new Promise<string>((resolve) => {
      const socket = connect(port, host);
      let answer = '';
      socket.on('data', (c: Buffer) => (answer += c.toString('latin1')));
      socket.on('close', () => resolve(answer));
      // In bits of 1,000 bytes that cut heads and the body anywhere.
      let at = 0;
      const next = () => {
        socket.write(bytes.slice(at, at + 1000));
        at += 1000;
        if (at < bytes.length) {
          setTimeout(next, 2);
        }
      };
      next();
    });
    expect(text.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200']);
    expect(text).toContain(`{"size":${body.length}}`);
    expect(text).toContain('{"hello":"world"}');
  });

  it('does not let connections full of pipelined requests hold up a request on another', async () => {
    await start();
    let flooded = 0;
    server.route('GET', '/flood', ({ sendJson }) => {
      flooded++;
      sendJson(404, { error: 'no' });
    });
    // 40 connections, each writing 2,000 requests in one go and reading nothing.
    const { host, port } = server.address!;
    const packet = 'GET /flood HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(2000);
    const sockets = Array.from({ length: 40 }, () => {
      const socket = connect(port, host);
      socket.pause();
      socket.on('error', () => undefined);
      socket.write(packet);
      return socket;
    });
    await waitFor('the flood to start', async () => flooded > 0, { intervalMs: 1 });
    const answer = await ask(server, '/hello');
    const floodedBefore = flooded;
    sockets.forEach((s) => s.destroy());
    expect(answer.status).toBe(200);
    // The parser took each connection's packet whole and handled its 2,000
    // requests before anything else: all 80,000 came before /hello. Now each
    // connection gets a request a turn, as does /hello.
    expect(floodedBefore).toBeLessThan(8_000);
  });

  it('counts requests by route pattern and status', async () => {
    await start();
    await ask(server, '/items/1');
    await ask(server, '/items/2');
    await ask(server, '/nope');
    const samples = (await server.metricSource.collect()).get('zviz_http_requests_total');
    expect(samples).toEqual(
      expect.arrayContaining([
        { labels: { route: '/items/:id', code: '200' }, value: 2 },
        { labels: { route: 'unmatched', code: '404' }, value: 1 },
      ])
    );
  });
});

describe('rate limit', () => {
  it('lets a burst through, then answers 429 with Retry-After', async () => {
    await start({ rateLimit: { rps: 0.5, burst: 3 } });
    const statuses: number[] = [];
    let limited: Answer | undefined;
    for (let i = 0; i < 5; i++) {
      const answer = await ask(server, '/hello');
      statuses.push(answer.status);
      limited = answer.status === 429 ? answer : limited;
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(limited?.headers['retry-after']).toBe('2');
    expect(limited?.headers['x-content-type-options']).toBe('nosniff');
    expect(JSON.parse(limited!.body).error).toMatch(/rate limit exceeded/);
  });

  it('closes the connection after a 429, dropping what was pipelined behind it unread', async () => {
    await start({ rateLimit: { rps: 0.1, burst: 3 } });
    const text = await raw(server, 'GET /hello HTTP/1.1\r\nHost: a\r\n\r\n'.repeat(30));
    expect(text.match(/^HTTP\/1\.1 \d+/gm)).toEqual(['HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 200', 'HTTP/1.1 429']);
    expect(text).toMatch(/HTTP\/1\.1 429 Too Many Requests\r\n[^]*Connection: close\r\n/);
  });

  it('defaults to 10 a second with a burst of 20', async () => {
    await start({ rateLimit: { rps: 10, burst: 20 } });
    const answers = await Promise.all(Array.from({ length: 30 }, () => ask(server, '/hello')));
    const ok = answers.filter((a) => a.status === 200).length;
    // 20 saved up, plus whatever refilled while the 30 requests were sent.
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThan(30);
    expect(answers.filter((a) => a.status === 429).every((a) => a.headers['retry-after'] === '1')).toBe(true);
  });

  it('keeps refusals and answered requests on separate budgets, and never limits probes', async () => {
    await start({ rateLimit: { rps: 0.1, burst: 2 } });
    const statuses = async (path: string, n: number, headers: Record<string, string> = {}) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        out.push((await ask(server, path, { headers })).status);
      }
      return out;
    };
    expect(await statuses('/nope', 4)).toEqual([404, 404, 429, 429]);
    expect(await statuses('/hello', 3)).toEqual([200, 200, 429]);
    expect(await statuses('/probe', 10)).toEqual(Array(10).fill(200));
    const samples = (await server.metricSource.collect()).get('zviz_http_requests_total');
    expect(samples).toEqual(
      expect.arrayContaining([
        { labels: { route: 'unmatched', code: '429' }, value: 2 },
        { labels: { route: '/hello', code: '429' }, value: 1 },
      ])
    );
  });

  it('changes on reload', async () => {
    await start({ rateLimit: { rps: 0.1, burst: 1 } });
    expect((await ask(server, '/hello')).status).toBe(200);
    expect((await ask(server, '/hello')).status).toBe(429);
    server.reload(settings({ rateLimit: { rps: 0, burst: 1 } }));
    expect((await ask(server, '/hello')).status).toBe(200);
  });
});

describe('authentication', () => {
  const token = 'a-test-token-of-more-than-16-chars';

  it('bearer: refuses a missing or wrong token, accepts the right one, lets probes through', async () => {
    await start({ auth: { type: 'bearer', token, exempt_probes: true } });
    const missing = await ask(server, '/hello');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Bearer realm="zviz"');
    expect((await ask(server, '/hello', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await ask(server, '/hello', { headers: { Authorization: `Basic ${token}` } })).status).toBe(401);
    expect((await ask(server, '/hello', { headers: { Authorization: `bearer ${token}` } })).status).toBe(200);
    expect((await ask(server, '/probe')).status).toBe(200);
  });

  it('bearer: protects probes too when exempt_probes is false', async () => {
    await start({ auth: { type: 'bearer', token, exempt_probes: false } });
    expect((await ask(server, '/probe')).status).toBe(401);
    expect((await ask(server, '/probe', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  // Made with libxcrypt (Python's crypt module, METHOD_BLOWFISH), an
  // implementation independent of the one the agent checks it with.
  const hash = '$2b$10$0V8FoBviAGgl0HXVBla3bOYOC2weE/iWgrKy8bFc4.FulgQVBZIpa'; // password "pw", cost 10
  const basic = (user: string, password: string) => ({
    Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });

  it('basic: checks bcrypt hashes, refuses unknown users and wrong passwords', async () => {
    await start({ auth: { type: 'basic', users: { prometheus: hash }, exempt_probes: true } });
    const missing = await ask(server, '/hello');
    expect(missing.status).toBe(401);
    expect(missing.headers['www-authenticate']).toBe('Basic realm="zviz", charset="UTF-8"');
    expect((await ask(server, '/hello', { headers: basic('prometheus', 'wrong') })).status).toBe(401);
    expect((await ask(server, '/hello', { headers: basic('mallory', 'pw') })).status).toBe(401);
    expect((await ask(server, '/hello', { headers: { Authorization: 'Basic !!!notbase64' } })).status).toBe(401);
    expect((await ask(server, '/hello', { headers: basic('prometheus', 'pw') })).status).toBe(200);
    // Remembered: the second time costs no bcrypt round, and still answers right.
    expect((await ask(server, '/hello', { headers: basic('prometheus', 'pw') })).status).toBe(200);
    expect((await ask(server, '/hello', { headers: basic('prometheus', 'pw2') })).status).toBe(401);
  });

  it('applies new credentials on reload', async () => {
    await start({ auth: { type: 'bearer', token, exempt_probes: true } });
    server.reload(settings({ auth: { type: 'bearer', token: `${token}-rotated`, exempt_probes: true } }));
    expect((await ask(server, '/hello', { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await ask(server, '/hello', { headers: { Authorization: `Bearer ${token}-rotated` } })).status).toBe(200);
  });
});

describeWhere([binary('openssl')], 'TLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zviz-tls-'));
  const pair = (name: string) => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, `${name}.key`),
        '-out',
        join(dir, `${name}.crt`),
      ],
      { stdio: 'ignore' }
    );
    return { cert: readFileSync(join(dir, `${name}.crt`)), key: readFileSync(join(dir, `${name}.key`)) };
  };
  let first: { cert: Buffer; key: Buffer };
  let second: { cert: Buffer; key: Buffer };
  beforeAll(() => {
    first = pair('first');
    second = pair('second');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS with HSTS, and a reload swaps the certificate without a restart', async () => {
    await start({ tls: first });
    const answer = await ask(server, '/hello', { ca: first.cert });
    expect(answer.status).toBe(200);
    expect(answer.headers['strict-transport-security']).toBe('max-age=31536000');
    expect(answer.peerFingerprint).toBe(new X509Certificate(first.cert).fingerprint256);

    expect(server.reload(settings({ tls: second }))).toEqual([]);
    const after = await ask(server, '/hello', { ca: second.cert });
    expect(after.peerFingerprint).toBe(new X509Certificate(second.cert).fingerprint256);
    await expect(ask(server, '/hello', { ca: first.cert })).rejects.toThrow(/self[- ]signed|unable to verify/i);
  });

  it('refuses plain HTTP on the TLS port without crashing', async () => {
    await start({ tls: first });
    const answer = await raw(server, 'GET /hello HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(answer).not.toContain('"hello"');
    expect((await ask(server, '/hello', { ca: first.cert })).status).toBe(200);
  });

  it('says a switch between HTTP and HTTPS needs a restart', async () => {
    await start();
    expect(server.reload(settings({ tls: first }))).toEqual([
      'metrics.tls added or removed: restart the agent to switch between HTTP and HTTPS',
    ]);
  });
});

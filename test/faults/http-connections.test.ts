// Hostile connections against a real agent: 520 sockets that send nothing,
// trickle a request head, or never send a TLS hello, on the plain, TLS and
// bearer-protected ports. Whatever they do, the probes (/health, /ready) and
// the authenticated scrape keep answering, and the agent closes the sockets
// that never make a request (docs/agent.md, "Limits and failure behaviour").
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { binary, describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, sample } from '../../agent/test/support/agent-process';
import { outcomes, probe, Siege, sleep, type ProbeOptions, type SiegeMode } from './http-clients';

const HOSTILE = 520;
/** Longer than the agent's 10 s header timeout, so every first-wave socket should be gone by its end. */
const WINDOW_MS = 16_000;

interface Target {
  base: string;
  port: number;
  options: ProbeOptions;
  /** Headers of the authenticated scraper. */
  scraper: Record<string, string>;
}

/**
 * Keeps `HOSTILE` hostile connections open against the target and probes it
 * once a second meanwhile, each probe on a fresh connection as kubelet does.
 */
async function underSiege(target: Target, mode: SiegeMode) {
  const siege = new Siege(target.port, mode, HOSTILE);
  const seen: Record<string, Array<number | string>> = { '/health': [], '/ready': [], '/metrics': [] };
  try {
    await sleep(500); // let the agent accept the whole first wave
    const end = Date.now() + WINDOW_MS;
    while (Date.now() < end) {
      const [health, ready, metrics] = await Promise.all([
        probe(`${target.base}/health`, target.options),
        probe(`${target.base}/ready`, target.options),
        probe(`${target.base}/metrics`, { ...target.options, headers: target.scraper }),
      ]);
      seen['/health'].push(...outcomes([health]));
      seen['/ready'].push(...outcomes([ready]));
      seen['/metrics'].push(...outcomes([metrics]));
      await sleep(1000);
    }
    return { seen, firstWaveClosed: siege.firstWaveClosed, answers: Object.fromEntries(siege.answers) };
  } finally {
    siege.stop();
  }
}

function expectAllAnswered(seen: Record<string, Array<number | string>>) {
  for (const [path, statuses] of Object.entries(seen)) {
    expect({ path, statuses }).toEqual({ path, statuses: statuses.map(() => 200) });
  }
}

describeWhere([root, seccompUserNotif], 'plain HTTP port under 520 hostile connections', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start({ metrics: { rate_limit: { rps: 10, burst: 20 } } });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('keeps answering probes and scrapes while 520 idle sockets are held open, and closes them', async () => {
    const target = { base: agent.url, port: agent.port, options: {}, scraper: {} };
    const { seen, firstWaveClosed } = await underSiege(target, 'idle');
    expectAllAnswered(seen);
    expect(firstWaveClosed).toBe(HOSTILE);
  });

  it('keeps answering while 520 sockets trickle a request head, and closes them', async () => {
    const target = { base: agent.url, port: agent.port, options: {}, scraper: {} };
    const { seen, firstWaveClosed, answers } = await underSiege(target, 'trickle');
    expectAllAnswered(seen);
    expect(firstWaveClosed).toBe(HOSTILE);
    // Those that lived to the header timeout were told so; none was answered anything else.
    expect(Object.keys(answers).filter((line) => line !== 'HTTP/1.1 408 Request Timeout')).toEqual([]);
  });

  it('answers a trickling head 408 at the timeout counted from its start, as an idle socket opened after it, and destroys it', async () => {
    const before = sample(await agent.metrics(), 'zviz_http_connections_closed_total{reason="timeout"}') ?? 0;
    const opened = (socket: Socket) => new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // The client keeps its own side open after the answer, as a hostile one
    // would: a socket the agent only ended would stay open on its side.
    const socket = connect({ port: agent.port, host: '127.0.0.1', allowHalfOpen: true });
    const reset = new Promise<string>((resolve) => {
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      socket.on('close', () => resolve('closed without a reset'));
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
    const answered = new Promise<void>((resolve) => socket.on('end', () => resolve()));
    await opened(socket);
    const started = Date.now();
    socket.write('GET /health HTTP/1.1\r\nHost: agent\r\n');
    const trickle = setInterval(() => socket.write('X-Slow: 1\r\n'), 2000);
    // The reference, on the agent's own clock: a socket accepted after the
    // trickling one that sends nothing is closed when its wait since it was
    // accepted runs out. The trickling one's wait ran out no later, and it was
    // answered first (or by an earlier sweep): so when the idle one closes,
    // the end of the head it then sends comes too late for an answer but the
    // 408. A timeout that each line put off (or a longer one for a socket
    // that sends something) would answer that head 200 instead.
    const idle = connect({ port: agent.port, host: '127.0.0.1' });
    idle.on('error', () => undefined);
    await opened(idle);
    await new Promise<void>((resolve) => idle.once('close', () => resolve()));
    clearInterval(trickle);
    if (socket.writable) {
      socket.write('\r\n');
    }
    await answered;
    const at = Date.now() - started;
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(text).not.toMatch(/HTTP\/1\.1 200/);
    expect(text).toContain('X-Content-Type-Options: nosniff');
    expect(JSON.parse(text.split('\r\n\r\n')[1]).error).toMatch(/^request timeout/);
    // Not before the timeout either (HEADERS_TIMEOUT_MS, 10 s): a lower bound, which no slowness can fail.
    expect(at).toBeGreaterThanOrEqual(9_500);
    // Destroyed, not half-closed: what the client still sends is refused with a reset.
    const again = setInterval(() => socket.writable && socket.write('X-After: 1\r\n'), 100);
    expect(['ECONNRESET', 'EPIPE']).toContain(await reset);
    clearInterval(again);
    const metrics = await agent.metrics();
    // Both closed for their timeout: the idle one too.
    expect(sample(metrics, 'zviz_http_connections_closed_total{reason="timeout"}')).toBe(before + 2);
  });
});

describeWhere([root, seccompUserNotif], 'bearer-protected port under 520 hostile connections', () => {
  const token = 'fault-test-token-0123456789abcdef';
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start({ metrics: { auth: { type: 'bearer', token } } });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('keeps answering probes and the authenticated scraper while 520 sockets trickle', async () => {
    const target = { base: agent.url, port: agent.port, options: {}, scraper: { Authorization: `Bearer ${token}` } };
    const { seen } = await underSiege(target, 'trickle');
    expectAllAnswered(seen);
  });
});

describeWhere(
  [root, seccompUserNotif, binary('openssl')],
  'TLS port under 520 connections that never say hello',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'zviz-fault-tls-'));
    const cert = join(dir, 'agent.crt');
    const key = join(dir, 'agent.key');
    let agent: AgentProcess;
    let ca: Buffer;
    beforeAll(async () => {
      execFileSync(
        'openssl',
        [
          ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1'],
          ...['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
          ...['-keyout', key, '-out', cert],
        ],
        { stdio: 'ignore' }
      );
      ca = readFileSync(cert);
      agent = await AgentProcess.start(
        { metrics: { tls: { cert_file: cert, key_file: key } } },
        { waitForHealth: false }
      );
      await waitFor('the TLS agent to be ready', async () => {
        const answer = await probe(`https://127.0.0.1:${agent.port}/ready`, { ca });
        return typeof answer !== 'string' && answer.status === 200;
      });
    });
    afterAll(async () => {
      await agent?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('keeps answering probes and scrapes, and closes the silent sockets', async () => {
      const target = { base: `https://127.0.0.1:${agent.port}`, port: agent.port, options: { ca }, scraper: {} };
      const { seen, firstWaveClosed } = await underSiege(target, 'idle');
      expectAllAnswered(seen);
      expect(firstWaveClosed).toBe(HOSTILE);
    });
  }
);

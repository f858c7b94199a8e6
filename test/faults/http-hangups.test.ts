// Clients that hang up on a real agent at every point of an exchange: right
// after connecting, halfway through a request head, after the request but
// before reading the answer, with a reset instead of a close, and in the
// middle of a decision stream. The agent keeps answering its probes, counts
// every request it read (whether or not its answer was read), and frees
// every connection and stream client the hang-ups leave behind.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { waitFor } from '@zviz/test-support/ports';
import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, sample } from '../../agent/test/support/agent-process';
import { everySecond, probe, sleep, tally, type Answer } from './http-clients';

/** Opens a connection from 127.0.0.2 (the hang-ups' own client), runs `act` once it is up. */
function hangUp(port: number, act: (socket: Socket) => void): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve());
    socket.on('connect', () => act(socket));
    // Whatever the agent does, this side is gone after a second.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
}

const GET = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: agent\r\n${extra}\r\n`;

describeWhere([root, seccompUserNotif], 'clients that hang up', () => {
  let agent: AgentProcess;
  /** What the monitoring system, on its own address, sees in the agent's metrics. */
  const metric = async (series: string) => {
    const answer = (await probe(`${agent.url}/metrics`, { localAddress: '127.0.0.3' })) as Answer;
    return sample(answer.body, series) ?? 0;
  };
  beforeAll(async () => {
    agent = await AgentProcess.start({ metrics: { rate_limit: { rps: 0 } } });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('keeps answering probes while 400 clients hang up at every point of a request', async () => {
    const metricsBefore = await metric('zviz_http_requests_total{route="/metrics",code="200"}');
    const rounds = 20;
    const [seen] = await Promise.all([
      everySecond(6, {
        health: () => probe(`${agent.url}/health`),
        ready: () => probe(`${agent.url}/ready`),
      }),
      (async () => {
        for (let round = 0; round < rounds; round++) {
          await Promise.all([
            // Connects and resets at once.
            ...Array.from({ length: 5 }, () => hangUp(agent.port, (s) => s.resetAndDestroy())),
            // Half a request head, then a reset.
            ...Array.from({ length: 5 }, () =>
              hangUp(agent.port, (s) => {
                s.write('GET /metrics HTTP/1.1\r\nHost: ag');
                setTimeout(() => s.resetAndDestroy(), 20);
              })
            ),
            // A whole request for the largest answer, then a reset as soon as it starts to arrive.
            ...Array.from({ length: 5 }, () =>
              hangUp(agent.port, (s) => {
                s.once('data', () => s.resetAndDestroy());
                s.write(GET('/metrics'));
              })
            ),
            // A whole request, then the client half-closes at once and reads nothing.
            ...Array.from({ length: 5 }, () => hangUp(agent.port, (s) => s.end(GET('/metrics')))),
          ]);
        }
      })(),
    ]);
    expect(Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, tally(v)]))).toEqual(
      Object.fromEntries(Object.entries(seen).map(([k, v]) => [k, { 200: v.length }]))
    );
    // Each whole request was answered (or its answer cut off) and counted:
    // 10 a round, plus the reading of the count itself.
    const counted = (await metric('zviz_http_requests_total{route="/metrics",code="200"}')) - metricsBefore;
    expect(counted).toBe(rounds * 10 + 1);
    // Nothing the hang-ups left stays open: only this scrape's own connection.
    await waitFor('the hung-up connections to be gone', async () => (await metric('zviz_http_open_connections')) <= 1);
  });

  it('frees the stream clients that hang up in the middle of a decision stream', async () => {
    const streams = 20;
    const sockets = await Promise.all(
      Array.from(
        { length: streams },
        (_, i) =>
          new Promise<Socket>((resolve) => {
            // Each from an address of its own: one client holds at most api.stream.max_per_client streams.
            const socket = connect({ port: agent.port, host: '127.0.0.1', localAddress: `127.0.2.${i + 1}` });
            socket.on('error', () => undefined);
            socket.once('data', () => resolve(socket));
            socket.write(GET('/api/v1/decisions/stream'));
          })
      )
    );
    expect(await metric('zviz_api_stream_clients')).toBe(streams);
    sockets.slice(0, streams / 2).forEach((s) => s.resetAndDestroy());
    sockets.slice(streams / 2).forEach((s) => s.destroy());
    await waitFor('the stream clients to be gone', async () => (await metric('zviz_api_stream_clients')) === 0);
    await sleep(100);
    expect(((await probe(`${agent.url}/health`)) as Answer).status).toBe(200);
    expect(agent.child.exitCode).toBeNull();
  });
});

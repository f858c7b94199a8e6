// Request floods against a real agent from a client without credentials on
// the same host: unknown paths, wrong tokens, wrong basic-auth passwords. The
// flood is limited (and every refusal counted), but the probes and the
// authenticated scraper never get a 429 for it, and wrong passwords cannot
// buy more bcrypt work than the budget (docs/agent.md, "Limits and failure
// behaviour").
import { hashSync } from 'bcryptjs';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';

import { describeWhere, root, seccompUserNotif } from '@zviz/test-support/requirements';
import { AgentProcess, sample } from '../../agent/test/support/agent-process';
import { everySecond, flood, probe, tally } from './http-clients';

const SECONDS = 12;

/**
 * The agent's count of zviz_http_requests_total for one route and code, as
 * the monitoring system on another address (127.0.0.3) sees it.
 */
async function counted(agent: AgentProcess, route: string, code: number, auth: Record<string, string> = {}) {
  const answer = await probe(`${agent.url}/metrics`, { headers: auth, localAddress: '127.0.0.3' });
  if (typeof answer === 'string') {
    throw new Error(`scrape failed: ${answer}`);
  }
  return sample(answer.body, `zviz_http_requests_total{route="${route}",code="${code}"}`) ?? 0;
}

function expectAllOk(seen: Record<string, Array<number | string>>) {
  expect(Object.fromEntries(Object.entries(seen).map(([name, outcomes]) => [name, tally(outcomes)]))).toEqual(
    Object.fromEntries(Object.entries(seen).map(([name, outcomes]) => [name, { 200: outcomes.length }]))
  );
}

describeWhere([root, seccompUserNotif], 'bearer auth: unauthenticated flood on the same host', () => {
  const token = 'flood-test-token-0123456789abcdef';
  const auth = { Authorization: `Bearer ${token}` };
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start({ metrics: { auth: { type: 'bearer', token } } });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('limits the flood, counts each refusal, and never answers probes or the scraper 429', async () => {
    const unmatchedBefore = await counted(agent, 'unmatched', 429, auth);
    const [unknown, wrongToken, seen] = await Promise.all([
      flood(15, SECONDS, (n) => probe(`${agent.url}/no-such-path-${n}`)),
      flood(5, SECONDS, () => probe(`${agent.url}/metrics`, { headers: { Authorization: 'Bearer wrong' } })),
      everySecond(SECONDS, {
        health: () => probe(`${agent.url}/health`),
        ready: () => probe(`${agent.url}/ready`),
        scrape: () => probe(`${agent.url}/metrics`, { headers: auth }),
      }),
    ]);
    expectAllOk(seen);
    // The flood itself is still limited, and what was refused is counted.
    expect(tally(unknown)[429]).toBeGreaterThan(0);
    expect(Object.keys(tally(unknown)).sort()).toEqual(['404', '429']);
    expect(Object.keys(tally(wrongToken)).every((code) => code === '401' || code === '429')).toBe(true);
    expect((await counted(agent, 'unmatched', 429, auth)) - unmatchedBefore).toBe(tally(unknown)[429]);
  });
});

describeWhere([root, seccompUserNotif], 'no auth: a flood of unknown paths on the same host', () => {
  let agent: AgentProcess;
  beforeAll(async () => {
    agent = await AgentProcess.start();
  });
  afterAll(async () => {
    await agent?.stop();
  });

  it('never costs the probes or the scraper an answer', async () => {
    const [unknown, seen] = await Promise.all([
      flood(15, SECONDS, (n) => probe(`${agent.url}/no-such-path-${n}`)),
      everySecond(SECONDS, {
        health: () => probe(`${agent.url}/health`),
        ready: () => probe(`${agent.url}/ready`),
        scrape: () => probe(`${agent.url}/metrics`),
      }),
    ]);
    expectAllOk(seen);
    expect(tally(unknown)[429]).toBeGreaterThan(0);
  });

  it('counts a 429 under the route that was asked for, not as unmatched', async () => {
    const before = await counted(agent, '/api/v1/decisions', 429);
    const answers = await Promise.all(Array.from({ length: 40 }, () => probe(`${agent.url}/api/v1/decisions`)));
    const limited = tally(answers.map((a) => (typeof a === 'string' ? a : a.status)))[429] ?? 0;
    expect(limited).toBeGreaterThan(0);
    expect((await counted(agent, '/api/v1/decisions', 429)) - before).toBe(limited);
  });
});

describeWhere([root, seccompUserNotif], 'basic auth: wrong passwords from the same host', () => {
  // bcrypt, cost 10, of "pw" (made with libxcrypt, as in agent/src/server/http.test.ts).
  const hash = '$2b$10$0V8FoBviAGgl0HXVBla3bOYOC2weE/iWgrKy8bFc4.FulgQVBZIpa';
  const grafanaPassword = 'another-password';
  const basic = (user: string, password: string) => ({
    Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });
  const scraper = basic('prometheus', 'pw');
  let agent: AgentProcess;
  beforeAll(async () => {
    const users = { prometheus: hash, grafana: hashSync(grafanaPassword, 10) };
    agent = await AgentProcess.start({ metrics: { auth: { type: 'basic', users } } });
  });
  afterAll(async () => {
    await agent?.stop();
  });

  const hashes = async () =>
    sample(
      ((await probe(`${agent.url}/metrics`, { headers: scraper })) as { body: string }).body,
      'zviz_http_password_hashes_total'
    ) ?? NaN;

  it('bounds the bcrypt work a flood of new wrong passwords buys, and the scraper keeps answering', async () => {
    // The scraper has scraped before the flood starts, as Prometheus has.
    expect(outcomesOf(await probe(`${agent.url}/metrics`, { headers: scraper }))).toBe(200);
    const before = await hashes();
    const cpuBefore = cpuSeconds(agent.child.pid!);
    const [wrong, seen] = await Promise.all([
      flood(10, SECONDS, (n) => probe(`${agent.url}/metrics`, { headers: basic('prometheus', `guess-${n}`) })),
      everySecond(SECONDS, {
        health: () => probe(`${agent.url}/health`),
        ready: () => probe(`${agent.url}/ready`),
        scrape: () => probe(`${agent.url}/metrics`, { headers: scraper }),
      }),
    ]);
    const cpu = cpuSeconds(agent.child.pid!) - cpuBefore;
    const ran = (await hashes()) - before;
    console.log(
      `basic-auth flood: ${wrong.length} wrong passwords in ${SECONDS} s, ${ran} hashed, ` +
        `agent CPU ${cpu.toFixed(2)} s (${((cpu / SECONDS) * 100).toFixed(0)}% of a core)`
    );
    expectAllOk(seen);
    // A client's budget: 4 cost-10 checks at once, then one every 2 s.
    expect(ran).toBeLessThanOrEqual(4 + SECONDS / 2 + 1);
    expect(tally(wrong)[401]).toBe(ran);
    expect(tally(wrong)[401] + tally(wrong)[429]).toBe(wrong.length);
  });

  it('a client on another address gets its first password check in while the flood goes on', async () => {
    const other = { localAddress: '127.0.0.2' };
    const [, first] = await Promise.all([
      flood(10, 4, (n) => probe(`${agent.url}/metrics`, { headers: basic('prometheus', `again-${n}`) })),
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        return probe(`${agent.url}/metrics`, { headers: basic('grafana', grafanaPassword), ...other });
      })(),
    ]);
    expect(outcomesOf(first)).toBe(200);
  });
});

/** User and system CPU time of a process, in seconds. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function outcomesOf(answer: Awaited<ReturnType<typeof probe>>): number | string {
  return typeof answer === 'string' ? answer : answer.status;
}

import { describe, expect, it } from 'vitest';

import { UpstreamError } from '@zviz/agent-client/upstream-error';

import type { DiscoveredAgent } from '../instance';
import { fanOut, unansweredNotice } from './fan-out';

function agents(n: number): DiscoveredAgent[] {
  return Array.from({ length: n }, (_, i) => ({
    name: `node-${i}:9090`,
    url: `http://node-${i}:9090`,
    source: 'static',
    client: undefined as never,
  }));
}

/** Resolves after `ms`, or rejects as the HTTP client does when the signal aborts. */
function answerAfter<T>(ms: number, value: T, signal?: AbortSignal, name = 'x'): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(new UpstreamError(`agent ${name}`, 'cancelled', 'cancelled'));
    });
  });
}

describe('fanOut', () => {
  it('never has more than `concurrency` agents asked at once, and asks every one', async () => {
    let inFlight = 0;
    let most = 0;
    const asked: string[] = [];
    const result = await fanOut(agents(50), {}, { concurrency: 8, budgetMs: 10_000 }, async (agent, call) => {
      inFlight++;
      most = Math.max(most, inFlight);
      asked.push(agent.name);
      await answerAfter(2, agent.name, call.signal);
      inFlight--;
      return agent.name.length;
    });
    expect(most).toBe(8);
    expect(asked).toHaveLength(50);
    expect(result.answers.map((a) => a.agent.name)).toEqual(agents(50).map((a) => a.name));
    expect(result.failures).toEqual([]);
  });

  it('keeps each failure with its agent and the answers of the others', async () => {
    const result = await fanOut(agents(4), {}, { concurrency: 2, budgetMs: 10_000 }, async (agent) => {
      if (agent.name === 'node-2:9090') {
        throw new UpstreamError(`agent ${agent.name}`, 'connection refused', 'network');
      }
      return 1;
    });
    expect(result.answers.map((a) => a.agent.name)).toEqual(['node-0:9090', 'node-1:9090', 'node-3:9090']);
    expect(result.failures).toMatchObject([{ agent: 'node-2:9090', error: 'agent node-2:9090: connection refused' }]);
  });

  it('ends within the budget: a hung agent, and those still queued behind it, fail as out of time', async () => {
    const started = Date.now();
    const asked: Array<{ name: string; signal: AbortSignal | undefined }> = [];
    const result = await fanOut(agents(5), {}, { concurrency: 2, budgetMs: 300 }, (agent, call) => {
      asked.push({ name: agent.name, signal: call.signal });
      // node-0 and node-1 hang; with two at a time, the other three never get a turn.
      return answerAfter(agent.name === 'node-0:9090' || agent.name === 'node-1:9090' ? 60_000 : 1, 1, call.signal);
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    // Ended by the budget, not by the 60 s answers: the hung calls were cancelled.
    expect(asked.map(({ name, signal }) => [name, signal?.aborted])).toEqual([
      ['node-0:9090', true],
      ['node-1:9090', true],
    ]);
    expect(result.answers).toEqual([]);
    expect(result.failures.map((f) => f.error)).toEqual(
      agents(5).map((a) => `agent ${a.name}: no answer within the query's time budget of 0.3 s`)
    );
    expect(result.failures.every((f) => (f.cause as UpstreamError).kind === 'timeout')).toBe(true);
  });

  it('stops asking when Grafana cancels the call, and says so for those it never asked', async () => {
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 50);
    const result = await fanOut(
      agents(3),
      { signal: cancel.signal },
      { concurrency: 1, budgetMs: 60_000 },
      (agent, call) => answerAfter(60_000, 1, call.signal, agent.name)
    );
    expect(result.failures.map((f) => f.error)).toEqual([
      'agent node-0:9090: cancelled',
      'agent node-1:9090: cancelled',
      'agent node-2:9090: cancelled',
    ]);
  });

  it('hands every request the forwarded headers and response limit of the call', async () => {
    const seen: unknown[] = [];
    await fanOut(
      agents(2),
      { headers: { FromAlert: 'true' }, responseLimit: 5 },
      { concurrency: 4, budgetMs: 1000 },
      async (_a, call) => {
        seen.push({ headers: call.headers, limit: call.responseLimit, signal: call.signal instanceof AbortSignal });
        return 0;
      }
    );
    expect(seen).toEqual([
      { headers: { FromAlert: 'true' }, limit: 5, signal: true },
      { headers: { FromAlert: 'true' }, limit: 5, signal: true },
    ]);
  });
});

describe('unansweredNotice', () => {
  const failure = (i: number, detail: string) => ({
    agent: `node-${i}:9090`,
    error: `agent node-${i}:9090: ${detail}`,
    cause: new UpstreamError(`agent node-${i}:9090`, detail, 'network'),
  });

  it('is nothing when every agent answered', () => {
    expect(unansweredNotice([], 50)).toBeUndefined();
  });

  it('names each agent that did not answer with its reason', () => {
    expect(
      unansweredNotice(
        [failure(7, 'connection refused'), failure(9, 'timed out after 10 s')],
        50,
        'their events are missing'
      )
    ).toEqual({
      severity: 'warning',
      text: '2 of 50 agents did not answer: node-7:9090 (connection refused), node-9:9090 (timed out after 10 s); their events are missing',
    });
    expect(unansweredNotice([failure(0, 'connection refused')], 1)?.text).toBe(
      '1 of 1 agent did not answer: node-0:9090 (connection refused)'
    );
  });

  it('names ten and counts the rest', () => {
    const text = unansweredNotice(
      Array.from({ length: 25 }, (_, i) => failure(i, 'connection refused')),
      1000
    )!.text;
    expect(text.startsWith('25 of 1000 agents did not answer: node-0:9090 (connection refused), ')).toBe(true);
    expect(text).toContain('node-9:9090 (connection refused) and 15 more');
    expect(text).not.toContain('node-10:9090');
  });
});

// Asks many agents for one query, as a fleet needs it: at most `concurrency`
// requests in flight, and the whole fan-out within one time budget. An agent
// that has not answered when the budget runs out (still asked, or still
// waiting for its turn) is a failure like a refused connection, so one slow
// or dead node delays a panel by the budget at most and never fails it: each
// answer or failure stays with its agent, and the caller names the agents
// that did not answer (unansweredNotice).
import { setMaxListeners } from 'node:events';

import type { UpstreamCall } from '@zviz/agent-client/call';
import { UpstreamError } from '@zviz/agent-client/upstream-error';

import type { Notice } from '../../frames/frame';
import type { DiscoveredAgent } from '../discovered-agent';

export interface FanOut<T> {
  answers: Array<{ agent: DiscoveredAgent; value: T }>;
  failures: Array<{ agent: string; error: string; cause: unknown }>;
}

export interface FanOutLimits {
  /** Most agents asked at once. */
  concurrency: number;
  /** Most milliseconds the whole fan-out may take, queueing included. */
  budgetMs: number;
}

function formatSeconds(ms: number): string {
  const s = ms / 1000;
  return `${Number.isInteger(s) ? s : s.toFixed(1)} s`;
}

export async function fanOut<T>(
  agents: DiscoveredAgent[],
  call: UpstreamCall,
  limits: FanOutLimits,
  ask: (agent: DiscoveredAgent, call: UpstreamCall) => Promise<T>
): Promise<FanOut<T>> {
  const outcomes: Array<{ ok: true; value: T } | { ok: false; cause: unknown } | undefined> = new Array(agents.length);
  // One signal for every request of the fan-out: the caller's cancellation or the budget.
  const stop = new AbortController();
  // Every request in flight listens to it (sdk/server.ts does the same for a call's signal).
  setMaxListeners(0, stop.signal);
  const cancel = () => stop.abort();
  if (call.signal?.aborted) {
    stop.abort();
  }
  call.signal?.addEventListener('abort', cancel, { once: true });
  let timedOut = false;
  const budget = setTimeout(() => {
    timedOut = true;
    stop.abort();
  }, limits.budgetMs);
  const agentCall: UpstreamCall = { ...call, signal: stop.signal };
  const outOfTime = (agent: DiscoveredAgent) =>
    new UpstreamError(
      `agent ${agent.name}`,
      `no answer within the query's time budget of ${formatSeconds(limits.budgetMs)}`,
      'timeout'
    );

  let next = 0;
  const worker = async () => {
    while (next < agents.length && !stop.signal.aborted) {
      const i = next++;
      try {
        outcomes[i] = { ok: true, value: await ask(agents[i], agentCall) };
      } catch (cause) {
        outcomes[i] = { ok: false, cause: timedOut ? outOfTime(agents[i]) : cause };
      }
    }
  };
  try {
    const workers = Math.max(1, Math.min(limits.concurrency, agents.length));
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    clearTimeout(budget);
    call.signal?.removeEventListener('abort', cancel);
  }

  const result: FanOut<T> = { answers: [], failures: [] };
  outcomes.length = agents.length;
  for (let i = 0; i < agents.length; i++) {
    const outcome = outcomes[i];
    if (outcome?.ok) {
      result.answers.push({ agent: agents[i], value: outcome.value });
      continue;
    }
    // Never asked: the budget ran out, or Grafana cancelled, before its turn.
    const cause = outcome
      ? outcome.cause
      : timedOut
        ? outOfTime(agents[i])
        : new UpstreamError(`agent ${agents[i].name}`, 'cancelled', 'cancelled');
    result.failures.push({
      agent: agents[i].name,
      error: cause instanceof Error ? cause.message : String(cause),
      cause,
    });
  }
  return result;
}

/** How many agents a notice names before it only counts the rest. */
const NAMED_IN_NOTICE = 10;

/**
 * One warning naming the agents that did not answer and why, or undefined
 * when all answered: `2 of 50 agents did not answer: node-7:9090 (connection
 * refused), node-9:9090 (timed out after 10 s)`.
 */
export function unansweredNotice(
  failures: FanOut<unknown>['failures'],
  asked: number,
  consequence = ''
): Notice | undefined {
  if (failures.length === 0) {
    return undefined;
  }
  const named = failures.slice(0, NAMED_IN_NOTICE).map((f) => {
    const why = f.cause instanceof UpstreamError ? f.cause.detail : f.error;
    return `${f.agent} (${why})`;
  });
  const more = failures.length > NAMED_IN_NOTICE ? ` and ${failures.length - NAMED_IN_NOTICE} more` : '';
  return {
    severity: 'warning',
    text:
      `${failures.length} of ${asked} agent${asked === 1 ? '' : 's'} did not answer: ${named.join(', ')}${more}` +
      (consequence ? `; ${consequence}` : ''),
  };
}

// Asks several agents at once; each answer or failure stays with its agent.
import type { DiscoveredAgent } from '../instance';

export interface FanOut<T> {
  answers: Array<{ agent: DiscoveredAgent; value: T }>;
  failures: Array<{ agent: string; error: string; cause: unknown }>;
}

export async function fanOut<T>(
  agents: DiscoveredAgent[],
  ask: (agent: DiscoveredAgent) => Promise<T>
): Promise<FanOut<T>> {
  const settled = await Promise.allSettled(agents.map(ask));
  const result: FanOut<T> = { answers: [], failures: [] };
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') {
      result.answers.push({ agent: agents[i], value: outcome.value });
    } else {
      const cause: unknown = outcome.reason;
      result.failures.push({
        agent: agents[i].name,
        error: cause instanceof Error ? cause.message : String(cause),
        cause,
      });
    }
  });
  return result;
}

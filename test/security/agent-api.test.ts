// Attack class: the agent's HTTP API (attacks/http.c). It listens on
// 127.0.0.1, without authentication by default, and every profile without a
// network namespace of its own (`default`, `ci-runner`, `observe`) shares the
// node's loopback: a workload could list every tenant's containers
// (/api/v1/containers) and read their decisions (/api/v1/decisions: the
// paths they opened, the addresses they reached). The agent refuses a
// connection whose socket was made in a container cgroup, and counts it; with
// a victim container running through the same agent, the workload learns
// nothing of it, from the API, /metrics (every container's labels) or
// /health, over an IPv4 socket or an IPv6 one to the IPv4-mapped loopback.
// `strict` has no way to the node's loopback at all.
import { expect, it } from 'vitest';

import { attackSuite, matrix, outcomeOf } from './harness';

attackSuite("attack: the agent's HTTP API", (suite) => {
  it.each(matrix())(
    "%s (%s): a workload reads nothing of other containers from the agent's API",
    async (profile, mode) => {
      const agent = suite.agent();
      const refusedBefore = await closedForWorkloads(agent.url);
      const victim = await suite.victim('default', 'agent');
      try {
        const running = (await agent.containers()).filter((c) => c.state === 'running').map((c) => c.id);
        expect(running.length).toBeGreaterThan(0);
        const run = await suite.run({
          profile,
          mode,
          program: 'http',
          env: { ZVIZ_ATTACK_AGENT_PORT: String(agent.port) },
        });
        const names = ['api-containers', 'api-decisions', 'metrics', 'health', 'api-containers-v6-mapped'];
        for (const name of names) {
          const answer = outcomeOf(run, name);
          // Refused: no connection, or an answer other than 200 (authentication).
          expect(answer, `${name}: ${answer.slice(0, 300)}`).not.toMatch(/^ok HTTP\/1\.1 200/);
        }
        for (const id of running) {
          for (const name of names) {
            expect(outcomeOf(run, name)).not.toContain(id);
          }
        }
        if (profile !== 'strict') {
          expect(await closedForWorkloads(agent.url)).toBeGreaterThanOrEqual(refusedBefore + names.length);
        }
        await suite.expectContained(run, { outsideUnchanged: true });
      } finally {
        await victim.stop();
      }
    }
  );
});

/** zviz_http_connections_closed_total{reason="workload"} of the agent at `url`. */
async function closedForWorkloads(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('zviz_http_connections_closed_total{reason="workload"} '));
  return line ? Number(line.split(' ')[1]) : 0;
}

// "Save & test": checks Prometheus (a query for zviz_build_info) and every
// agent (/health), and says exactly what failed and where. In a fleet some
// nodes are always down: an agent that Prometheus also sees down (up == 0)
// is named but does not fail the check, since the data source's settings are
// not what is wrong; an agent Prometheus reaches and the data source does not
// (a firewall, credentials, the scheme) does.
import type { HealthReport } from '@zviz/shared/agent-api';
import { BUILD_INFO } from '@zviz/shared/metric-names';
import type { UpstreamCall } from '@zviz/agent-client/call';
import { UpstreamError } from '@zviz/agent-client/upstream-error';

import type { CheckHealthResult, ErrorSource } from '../sdk/types';
import { classify } from './errors';
import type { ZVizInstance } from './instance';

interface PrometheusDetails {
  url: string;
  ok: boolean;
  agentsReporting?: number;
  error?: string;
}

interface AgentDetails {
  name: string;
  url: string;
  ok: boolean;
  /** Prometheus' `up` for the agent (discovery through Prometheus). */
  up?: boolean;
  status?: string;
  version?: string;
  error?: string;
}

function unhealthyParts(report: HealthReport): string {
  const parts = Object.entries(report.components ?? {})
    .filter(([, c]) => c.status !== 'ok' && c.status !== 'disabled')
    .map(([name, c]) => `${name} ${c.status}${c.reason ? `: ${c.reason}` : ''}`);
  return parts.length ? ` (${parts.join('; ')})` : '';
}

/** How many agents' failures a message spells out before it only counts the rest. */
const LISTED = 10;

function listed(failures: string[]): string[] {
  return failures.length > LISTED
    ? [...failures.slice(0, LISTED), `and ${failures.length - LISTED} more agents`]
    : failures;
}

export async function checkHealth(instance: ZVizInstance, call: UpstreamCall): Promise<CheckHealthResult> {
  // Prometheus first, then the agents, whichever answers first.
  const problems: { prometheus: string[]; agents: string[] } = { prometheus: [], agents: [] };
  // Downstream unless something in the data source's own settings is wrong.
  let source: ErrorSource = 'downstream';
  const notes: { prometheus: string[]; agents: string[] } = { prometheus: [], agents: [] };
  let prometheus: PrometheusDetails | undefined;

  const checkPrometheus = async () => {
    if (!instance.prometheus) {
      return;
    }
    const client = instance.prometheus;
    prometheus = { url: instance.settings.prometheus!.url, ok: false };
    try {
      const answer = await client.query(BUILD_INFO, undefined, call);
      const count = answer.data.resultType === 'vector' ? answer.data.result.length : 0;
      prometheus.agentsReporting = count;
      if (count === 0) {
        prometheus.error = `no ${BUILD_INFO} series: Prometheus does not scrape any ZViz agent (yet)`;
        problems.prometheus.push(`${client.name}: ${prometheus.error}`);
      } else {
        prometheus.ok = true;
        notes.prometheus.push(
          `${client.name}: OK, ${count} agent${count === 1 ? '' : 's'} report${count === 1 ? 's' : ''} ${BUILD_INFO}`
        );
      }
    } catch (error) {
      const e = UpstreamError.from(client.name, error);
      prometheus.error = e.detail;
      problems.prometheus.push(e.message);
    }
  };

  let agents: AgentDetails[] = [];
  let downNote: string | undefined;
  const checkAgents = async () => {
    let discovered;
    try {
      discovered = await instance.agents(call);
    } catch (error) {
      const c = classify(error);
      problems.agents.push(c.message);
      if (c.source === 'plugin') {
        source = 'plugin';
      }
      return;
    }
    if (discovered.length === 0) {
      const c = classify(instance.noAgents());
      problems.agents.push(c.message);
      if (c.source === 'plugin') {
        source = 'plugin';
      }
      return;
    }
    const { answers, failures } = await instance.askAgents(discovered, call, (a, agentCall) =>
      a.client.health(agentCall)
    );
    const notHealthy: string[] = [];
    for (const { agent, value } of answers) {
      agents.push({ name: agent.name, url: agent.url, ok: true, status: value.status, version: value.version });
      if (value.status !== 'healthy') {
        notHealthy.push(`agent ${agent.name} is ${value.status}${unhealthyParts(value)}`);
      }
    }
    const knownDown: string[] = [];
    const unreachable: string[] = [];
    for (const failure of failures) {
      const agent = discovered.find((a) => a.name === failure.agent)!;
      agents.push({ name: agent.name, url: agent.url, ok: false, up: agent.up, error: failure.error });
      (agent.up === false && answers.length > 0 ? knownDown : unreachable).push(failure.error);
    }
    problems.agents.push(...listed(unreachable));
    agents = agents.sort((a, b) => a.name.localeCompare(b.name));
    notes.agents.push(...listed(notHealthy));
    notes.agents.push(`${answers.length} of ${discovered.length} agent${discovered.length === 1 ? '' : 's'} reachable`);
    if (knownDown.length > 0) {
      downNote = `${knownDown.length} down for Prometheus too (${instance.upSelector} == 0): ${listed(knownDown).join('; ')}`;
      notes.agents.push(downNote);
    }
  };

  await Promise.all([checkPrometheus(), checkAgents()]);
  const details = { prometheus, agents };
  const failed = [...problems.prometheus, ...problems.agents];
  if (failed.length > 0) {
    const message = [...failed, ...(downNote ? [downNote] : [])].join('; ');
    return { status: 'ERROR', message, details, errorSource: source };
  }
  return { status: 'OK', message: [...notes.prometheus, ...notes.agents].join('; '), details };
}

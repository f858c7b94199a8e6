// "Save & test": checks Prometheus (a query for zviz_build_info) and every
// agent (/health), and says exactly what failed and where.
import type { HealthReport } from '@zviz/shared/agent-api';

import type { UpstreamCall } from '../clients/call';
import { UpstreamError } from '../clients/upstream-error';
import type { CheckHealthResult, ErrorSource } from '../sdk/types';
import { classify } from './errors';
import type { ZVizInstance } from './instance';
import { fanOut } from './queries/fan-out';

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
      const answer = await client.query('zviz_build_info', undefined, call);
      const count = answer.data.resultType === 'vector' ? answer.data.result.length : 0;
      prometheus.agentsReporting = count;
      if (count === 0) {
        prometheus.error = 'no zviz_build_info series: Prometheus does not scrape any ZViz agent (yet)';
        problems.prometheus.push(`${client.name}: ${prometheus.error}`);
      } else {
        prometheus.ok = true;
        notes.prometheus.push(
          `${client.name}: OK, ${count} agent${count === 1 ? '' : 's'} report${count === 1 ? 's' : ''} zviz_build_info`
        );
      }
    } catch (error) {
      const e = UpstreamError.from(client.name, error);
      prometheus.error = e.detail;
      problems.prometheus.push(e.message);
    }
  };

  let agents: AgentDetails[] = [];
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
    const { answers, failures } = await fanOut(discovered, (a) => a.client.health(call));
    const healthy: string[] = [];
    for (const { agent, value } of answers) {
      agents.push({ name: agent.name, url: agent.url, ok: true, status: value.status, version: value.version });
      if (value.status === 'healthy') {
        healthy.push(agent.name);
      } else {
        notes.agents.push(`agent ${agent.name} is ${value.status}${unhealthyParts(value)}`);
      }
    }
    for (const failure of failures) {
      const agent = discovered.find((a) => a.name === failure.agent)!;
      agents.push({ name: agent.name, url: agent.url, ok: false, error: failure.error });
      problems.agents.push(failure.error);
    }
    agents = agents.sort((a, b) => a.name.localeCompare(b.name));
    notes.agents.push(`${answers.length} of ${discovered.length} agent${discovered.length === 1 ? '' : 's'} reachable`);
  };

  await Promise.all([checkPrometheus(), checkAgents()]);
  const details = { prometheus, agents };
  const failed = [...problems.prometheus, ...problems.agents];
  if (failed.length > 0) {
    return { status: 'ERROR', message: failed.join('; '), details, errorSource: source };
  }
  return { status: 'OK', message: [...notes.prometheus, ...notes.agents].join('; '), details };
}

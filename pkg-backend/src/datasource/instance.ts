// One configured ZViz data source: its settings, its connections (one
// keep-alive HTTP client shared by Prometheus and the agents) and agent
// discovery. Built by the instance manager when settings change.
import { AgentClient, type AgentTarget } from '@zviz/agent-client/agent';
import type { UpstreamCall } from '@zviz/agent-client/call';
import { HttpClient } from '@zviz/agent-client/http';
import { UpstreamError } from '@zviz/agent-client/upstream-error';

import { PrometheusClient } from '../clients/prometheus';
import { GRAFANA_RESPONSE_LIMIT } from '../sdk/response-limit';
import { QueryError } from './errors';
import type { DiscoveredAgent } from './discovered-agent';
import { type FanOut, fanOut } from './queries/fan-out';
import type { Settings } from './settings';

/** How long a Prometheus discovery answer is reused. */
const DISCOVERY_TTL_MS = 15_000;
/** Requests still running when settings change get this long before their connections close. */
const DISPOSE_GRACE_MS = 60_000;

export type { DiscoveredAgent };

export class ZVizInstance {
  readonly http: HttpClient;
  readonly prometheus?: PrometheusClient;
  private readonly clients = new Map<string, AgentClient>();
  private discovered?: { at: number; agents: DiscoveredAgent[] };

  constructor(
    readonly uid: string,
    readonly settings: Settings,
    version: string
  ) {
    this.http = new HttpClient({
      timeoutMs: settings.timeoutMs,
      tls: settings.tls,
      userAgent: `zviz-datasource/${version}`,
      limitSetting: GRAFANA_RESPONSE_LIMIT,
    });
    if (settings.prometheus) {
      this.prometheus = new PrometheusClient(settings.prometheus.url, this.http, settings.prometheus.auth);
    }
  }

  /** Prometheus, or a query error saying that this needs one configured. */
  requirePrometheus(what: string): PrometheusClient {
    if (!this.prometheus) {
      throw new QueryError(`${what} needs Prometheus: set a Prometheus URL in the data source settings`, 400, 'plugin');
    }
    return this.prometheus;
  }

  private client(target: AgentTarget): AgentClient {
    let client = this.clients.get(target.url);
    if (!client) {
      client = new AgentClient(target, this.http, this.settings.agentAuth);
      this.clients.set(target.url, client);
    }
    return client;
  }

  /** The PromQL selector of the agents' `up` series, for discovery and messages. */
  get upSelector(): string {
    const discovery = this.settings.agents;
    return discovery.kind === 'prometheus' ? `up{job="${discovery.job}"}` : '';
  }

  /** Every configured or discovered agent (even those Prometheus sees down). */
  async agents(call: UpstreamCall = {}): Promise<DiscoveredAgent[]> {
    const discovery = this.settings.agents;
    if (discovery.kind === 'static') {
      return discovery.targets.map((t) => ({ name: t.name, url: t.url, source: 'static', client: this.client(t) }));
    }
    if (this.discovered && Date.now() - this.discovered.at < DISCOVERY_TTL_MS) {
      return this.discovered.agents;
    }
    const prometheus = this.requirePrometheus('agent discovery');
    let answer;
    try {
      answer = await prometheus.query(this.upSelector, undefined, call);
    } catch (error) {
      const cause = UpstreamError.from(prometheus.name, error);
      throw new UpstreamError(
        cause.upstream,
        `agent discovery (${this.upSelector}) failed: ${cause.detail}`,
        cause.kind,
        cause.httpStatus
      );
    }
    const samples = answer.data.resultType === 'vector' ? answer.data.result : [];
    const byName = new Map<string, DiscoveredAgent>();
    for (const sample of samples) {
      const instance = sample.metric.instance;
      if (!instance || byName.has(instance)) {
        continue;
      }
      const target = { name: instance, url: `${discovery.scheme}://${instance}` };
      byName.set(instance, {
        ...target,
        source: 'prometheus',
        up: sample.value[1] === '1',
        client: this.client(target),
      });
    }
    const agents = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    this.discovered = { at: Date.now(), agents };
    return agents;
  }

  /** Agents to ask, narrowed to one by name when `only` is set. */
  async selectAgents(only: string, call: UpstreamCall = {}): Promise<DiscoveredAgent[]> {
    const agents = await this.agents(call);
    if (agents.length === 0) {
      throw this.noAgents();
    }
    if (!only) {
      return agents;
    }
    const match = agents.filter((a) => a.name === only || a.url === only);
    if (match.length === 0) {
      throw new QueryError(
        `agent ${only} is not among the data source's agents (${agents.map((a) => a.name).join(', ')})`,
        400,
        'plugin'
      );
    }
    return match;
  }

  /**
   * Asks `agents` within this data source's limits: at most `agentConcurrency`
   * at once, all of them within the timeout (queries/fan-out.ts).
   */
  askAgents<T>(
    agents: DiscoveredAgent[],
    call: UpstreamCall,
    ask: (agent: DiscoveredAgent, call: UpstreamCall) => Promise<T>
  ): Promise<FanOut<T>> {
    return fanOut(
      agents,
      call,
      { concurrency: this.settings.agentConcurrency, budgetMs: this.settings.timeoutMs },
      ask
    );
  }

  /** The error for an empty agent list, naming where none were found. */
  noAgents(): QueryError | UpstreamError {
    if (this.settings.agents.kind === 'prometheus' && this.prometheus) {
      return new UpstreamError(this.prometheus.name, `no agent found: ${this.upSelector} has no targets`, 'response');
    }
    return new QueryError('no agent configured: add agents in the data source settings', 400, 'plugin');
  }

  dispose(): void {
    setTimeout(() => this.http.close(), DISPOSE_GRACE_MS).unref();
  }
}

// An agent the data source found, by its configuration or through
// Prometheus' `up{job="zviz"}` (instance.ts), with the client that reaches it.
import type { AgentClient } from '@zviz/agent-client/agent';

export interface DiscoveredAgent {
  /** `host:port`, as Prometheus' `instance` label names it. */
  name: string;
  url: string;
  source: 'static' | 'prometheus';
  /** Prometheus' `up` for the target (discovery through Prometheus only). */
  up?: boolean;
  client: AgentClient;
}

import type { CoreConfig } from './config/schema';
import type { EventHub } from './events/hub';
import type { Logger } from './log/logger';
import type { MetricsRegistry } from './metrics/registry';
import type { AgentServer } from './server/http';

/**
 * What the agent hands each component it creates. `Sections`: the
 * configuration sections the component reads beside the core's (component.ts).
 */
export interface AgentContext<Sections extends object = object> {
  /** The running configuration; a successful reload replaces it (and calls `reload` on each component). */
  readonly config: CoreConfig & Sections;
  /** The file the configuration is read from (a default one that is absent too): kept from workloads (containers/agent-files.ts). */
  readonly configFile?: string;
  readonly log: Logger;
  /** `registry.addSource(source)` / `removeSource(source)` for the component's metric families. */
  readonly registry: MetricsRegistry;
  /** `server.route(method, path, handler)` for the component's API endpoints. */
  readonly server: AgentServer;
  /** `hub.publish(batch)` for decision events (the broker); `hub.subscribe(fn)` to receive them. */
  readonly hub: EventHub;
}

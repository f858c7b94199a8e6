// The decisions API: recent events from the hub's ring, and their stream.
import { AGENT_PATHS } from '@zviz/shared/agent-api';

import type { EventHub } from './hub';
import type { AgentServer } from '../server/http';
import { queryInteger, rejectUnknownParams } from '../server/query';
import { FILTER_PARAMS, parseFilter } from './filter';
import type { DecisionStream } from './stream';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export function registerDecisionRoutes(server: AgentServer, hub: EventHub, stream: DecisionStream): void {
  server.route('GET', AGENT_PATHS.decisions, ({ sendJson, query }) => {
    rejectUnknownParams(query, [...FILTER_PARAMS, 'since', 'limit']);
    const since = queryInteger(query, 'since', { min: 0, max: Number.MAX_SAFE_INTEGER });
    const limit = queryInteger(query, 'limit', { min: 1, max: MAX_LIMIT, fallback: DEFAULT_LIMIT }) ?? DEFAULT_LIMIT;
    sendJson(200, hub.query({ since, limit, filter: parseFilter(query) }));
  });
  server.route('GET', AGENT_PATHS.decisionStream, stream.handle);
}

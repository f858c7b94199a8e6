// What every query handler gets.
import type { UpstreamCall } from '@zviz/agent-client/call';

import type { Logger } from '../../sdk/log';
import type { DataQuery } from '../../sdk/types';
import type { ZVizInstance } from '../instance';

export interface QueryContext {
  instance: ZVizInstance;
  query: DataQuery;
  /** Cancellation, response limit and forwarded headers for every upstream request. */
  call: UpstreamCall;
  logger: Logger;
  /** The request came from a Grafana-managed alert rule (header FromAlert: true). */
  fromAlert: boolean;
}

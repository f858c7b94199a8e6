// Grafana's Data service: QueryData, and QueryChunkedData as the Go SDK
// serves it for a plugin without a chunked handler.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';

import { dataChunkMessages, dataResponseMessage, queryDataRequestOf } from '../convert';
import type { BackendPlugin, QueryDataResponse } from '../types';
import type { Handlers } from './calls';

/** QueryDataResponse as the protocol's message. */
export function queryDataMessage(responses: QueryDataResponse, json: boolean): { responses: Record<string, unknown> } {
  const out: Record<string, unknown> = {};
  for (const [refId, response] of responses) {
    out[refId] = dataResponseMessage(refId, response, json);
  }
  return { responses: out };
}

export function dataService(plugin: BackendPlugin, h: Handlers): UntypedServiceImplementation {
  const data: UntypedServiceImplementation = {};
  if (plugin.queryData) {
    const queryData = plugin.queryData.bind(plugin);
    data.QueryData = h.unary('QueryData', async (request, context) => {
      const json = request.format === 'JSON';
      return queryDataMessage(await queryData(queryDataRequestOf(request), context), json);
    });
    // As Grafana's Go SDK answers it for handlers without a chunked variant:
    // each query on its own, its frames as chunks `f0`, `f1`, … as soon as it
    // is done, then its error, if any.
    data.QueryChunkedData = h.streaming('QueryChunkedData', async (call, context) => {
      const json = call.request.format === 'JSON';
      const request = queryDataRequestOf(call.request);
      await Promise.all(
        request.queries.map(async (query) => {
          const responses = await queryData({ ...request, queries: [query] }, context);
          for (const [refId, response] of responses) {
            for (const chunk of dataChunkMessages(refId, response, json)) {
              if (!context.signal.aborted) {
                call.write(chunk);
              }
            }
          }
        })
      );
    });
  }
  return data;
}

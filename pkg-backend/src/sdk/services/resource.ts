// Grafana's Resource service: CallResource, a streamed HTTP answer (a head,
// then body chunks); a handler that fails before its head answers 500.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';

import { callResourceRequestOf, resourceHeadersMessage } from '../convert';
import type { Logger } from '../log';
import type { BackendPlugin, ResourceResponseWriter } from '../types';
import { describe, type Handlers } from './calls';

export function resourceService(plugin: BackendPlugin, h: Handlers, logger: Logger): UntypedServiceImplementation {
  const resource: UntypedServiceImplementation = {};
  if (plugin.callResource) {
    const callResource = plugin.callResource.bind(plugin);
    resource.CallResource = h.streaming('CallResource', async (call, context) => {
      let headSent = false;
      const writer: ResourceResponseWriter = {
        writeHead(status, headers = {}, errorSource) {
          if (headSent) {
            throw new Error('resource response head written twice');
          }
          headSent = true;
          const head: Record<string, unknown> = { code: status, headers: resourceHeadersMessage(headers) };
          if (errorSource !== undefined) {
            head.errorSource = errorSource;
          }
          call.write(head);
        },
        write(chunk) {
          if (!headSent) {
            writer.writeHead(200);
          }
          call.write({ body: Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk) });
        },
        end(chunk) {
          if (chunk !== undefined) {
            writer.write(chunk);
          } else if (!headSent) {
            writer.writeHead(204);
          }
        },
      };
      try {
        await callResource(callResourceRequestOf(call.request), writer, context);
      } catch (error) {
        if (headSent) {
          throw error;
        }
        logger.error('resource handler failed', { path: call.request.path, error: describe(error) });
        writer.writeHead(500, { 'Content-Type': 'application/json' }, 'plugin');
        writer.end(JSON.stringify({ error: describe(error) }));
      }
    });
  }
  return resource;
}

// Grafana's Stream service: subscribing, publishing and running a live
// stream whose frames and JSON messages go to Grafana Live.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';

import { frameToJSON } from '../../frames/json';
import { streamRequestOf, streamResultMessage } from '../convert';
import type { BackendPlugin } from '../types';
import type { Handlers } from './calls';

/** What a live stream may have waiting for Grafana before new packets are dropped. */
export const MAX_UNSENT_STREAM_BYTES = 16 * 1024 * 1024;

export function streamService(plugin: BackendPlugin, h: Handlers): UntypedServiceImplementation {
  const stream: UntypedServiceImplementation = {};
  if (plugin.subscribeStream) {
    const subscribe = plugin.subscribeStream.bind(plugin);
    stream.SubscribeStream = h.unary('SubscribeStream', async (request, context) =>
      streamResultMessage(await subscribe(streamRequestOf(request), context))
    );
  }
  if (plugin.publishStream) {
    const publish = plugin.publishStream.bind(plugin);
    stream.PublishStream = h.unary('PublishStream', async (request, context) =>
      streamResultMessage(await publish(streamRequestOf(request), context))
    );
  }
  if (plugin.runStream) {
    const runStream = plugin.runStream.bind(plugin);
    stream.RunStream = h.streaming('RunStream', async (call, context) => {
      // Bytes written to the call that gRPC has not passed on yet. A plugin
      // that writes faster than Grafana reads (agents flooding the relay, a
      // Grafana busy elsewhere) would otherwise queue without bound: 900 KB
      // events from a hostile upstream took the process from 140 to 375 MB
      // in 8 s. Past the bound, packets are dropped and the caller told.
      let unsent = 0;
      const send = (data: Buffer): boolean => {
        if (context.signal.aborted || (unsent > 0 && unsent + data.length > MAX_UNSENT_STREAM_BYTES)) {
          return false;
        }
        unsent += data.length;
        call.write({ data }, () => {
          unsent -= data.length;
        });
        return true;
      };
      await runStream(
        streamRequestOf(call.request),
        {
          sendFrame: (frame) => send(Buffer.from(frameToJSON(frame))),
          sendJSON: (data) => send(Buffer.isBuffer(data) ? data : Buffer.from(data)),
        },
        context
      );
    });
  }
  return stream;
}

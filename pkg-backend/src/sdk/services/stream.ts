// Grafana's Stream service: subscribing, publishing and running a live
// stream whose frames and JSON messages go to Grafana Live.
import type { UntypedServiceImplementation } from '@grpc/grpc-js';

import { frameToJSON } from '../../frames/json';
import { streamRequestOf, streamResultMessage } from '../convert';
import type { BackendPlugin } from '../types';
import type { Handlers } from './calls';

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
      const send = (data: Buffer) => {
        if (!context.signal.aborted) {
          call.write({ data });
        }
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

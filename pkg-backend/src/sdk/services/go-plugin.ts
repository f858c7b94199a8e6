// The services go-plugin itself looks for beside Grafana's: gRPC health,
// the stdio and broker streams (held open and quiet, as a Go plugin that
// prints nothing and brokers nothing holds them) and the controller's
// Shutdown.
import {
  type handleBidiStreamingCall,
  type Server,
  type ServerDuplexStream,
  type ServiceDefinition,
  status as GrpcStatus,
} from '@grpc/grpc-js';

import type { Logger } from '../log';
import { type Calls, grpcError, type ServerStreaming, type Unary } from './calls';

export interface GoPluginServices {
  health: ServiceDefinition;
  stdio: ServiceDefinition;
  broker: ServiceDefinition;
  controller: ServiceDefinition;
}

export function addGoPluginServices(
  server: Server,
  services: GoPluginServices,
  calls: Calls,
  logger: Logger,
  stop: () => Promise<void>
): void {
  server.addService(services.health, {
    Check: ((call, callback) => {
      const name = call.request.service;
      if (name === '' || name === 'plugin') {
        callback(null, { status: 'SERVING' });
      } else {
        callback(grpcError(GrpcStatus.NOT_FOUND, `unknown service ${name}`));
      }
    }) as Unary,
    Watch: ((call) => {
      const known = call.request.service === '' || call.request.service === 'plugin';
      call.write({ status: known ? 'SERVING' : 'SERVICE_UNKNOWN' });
      // The status never changes while serving: the call stays open until
      // the watcher leaves or the plugin stops.
      const context = calls.begin(call);
      context.signal.addEventListener('abort', () => {
        context.done();
        call.end();
      });
    }) as ServerStreaming,
  });
  server.addService(services.stdio, {
    // The host reads what the plugin prints outside its logs. This plugin
    // prints nothing but the handshake line to stdout and hclog JSON to
    // stderr, so the stream stays open and quiet until the host or the
    // plugin ends it, as a Go plugin's does.
    StreamStdio: ((call) => {
      const context = calls.begin(call);
      context.signal.addEventListener('abort', () => {
        context.done();
        call.end();
      });
    }) as ServerStreaming,
  });
  server.addService(services.broker, {
    // go-plugin's broker opens extra connections on request; Grafana's
    // plugin protocol never asks for one. The stream is held open, and what
    // the host sends on it is read and dropped, as a Go plugin that serves
    // no brokered service does.
    StartStream: ((call: ServerDuplexStream<unknown, unknown>) => {
      const context = calls.begin(call);
      call.on('data', () => undefined);
      const end = () => {
        context.done();
        call.end();
      };
      call.on('end', end);
      context.signal.addEventListener('abort', end, { once: true });
    }) as handleBidiStreamingCall<unknown, unknown>,
  });
  server.addService(services.controller, {
    Shutdown: ((_call, callback) => {
      logger.debug('shutdown requested by the plugin host');
      callback(null, {});
      setImmediate(() => void stop());
    }) as Unary,
  });
}

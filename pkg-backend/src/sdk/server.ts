// The gRPC server a plugin runs: Grafana's Data, Diagnostics, Resource and
// Stream services over a BackendPlugin, one adapter each in services/ (as
// Grafana's Go and Rust SDKs keep them), plus the health and controller
// services go-plugin looks for. Handlers the plugin lacks answer
// UNIMPLEMENTED, which Grafana maps to "not implemented" answers.
import { Server } from '@grpc/grpc-js';

import { dateHeader } from './date-header';
import { type Network } from './handshake';
import { listen } from './listener';
import type { Logger } from './log';
import { protocolServices } from './protocol';
import { Calls, handlers } from './services/calls';
import { dataService } from './services/data';
import { diagnosticsService } from './services/diagnostics';
import { addGoPluginServices } from './services/go-plugin';
import { resourceService } from './services/resource';
import { streamService } from './services/stream';
import type { BackendPlugin } from './types';

export interface PluginServer {
  address: Network;
  /** Resolves when the server stopped: after stop(), or after go-plugin's Shutdown call. */
  stopped: Promise<void>;
  /** Cancels running calls, stops accepting new ones and waits for the rest (at most `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export async function startPluginServer(
  plugin: BackendPlugin,
  options: { logger: Logger; env?: NodeJS.ProcessEnv }
): Promise<PluginServer> {
  const { logger } = options;
  const services = protocolServices();
  const server = new Server({
    'grpc.max_receive_message_length': 64 * 1024 * 1024,
    'grpc.max_send_message_length': -1,
    interceptors: [dateHeader],
  });
  const calls = new Calls();
  const h = handlers(calls, logger);

  let resolveStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (resolveStopped = resolve));
  let stopping: Promise<void> | undefined;
  let cleanup = () => undefined as void;

  const stop = (graceMs = 5000): Promise<void> => {
    stopping ??= (async () => {
      calls.abortAll('the plugin is shutting down');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      cleanup();
      resolveStopped();
    })();
    return stopping;
  };

  server.addService(services.data, dataService(plugin, h));
  server.addService(services.diagnostics, diagnosticsService(plugin, h));
  server.addService(services.resource, resourceService(plugin, h, logger));
  server.addService(services.stream, streamService(plugin, h));
  addGoPluginServices(server, services, calls, logger, stop);

  const listening = await listen(server, options.env ?? process.env, (why) =>
    logger.warn('cannot listen on a Unix socket, falling back to loopback TCP', { reason: why })
  );
  cleanup = listening.cleanup;
  return { address: listening.address, stopped, stop };
}

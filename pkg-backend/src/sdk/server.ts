// The gRPC server a plugin runs: Grafana's Data, Diagnostics, Resource and
// Stream services over a BackendPlugin, plus the health and controller
// services go-plugin looks for. Handlers the plugin lacks answer
// UNIMPLEMENTED, which Grafana maps to "not implemented" answers.
import {
  type handleBidiStreamingCall,
  type handleServerStreamingCall,
  type ServerDuplexStream,
  type handleUnaryCall,
  Server,
  type ServerErrorResponse,
  type ServerWritableStream,
  status as GrpcStatus,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';

import { setMaxListeners } from 'node:events';

import { frameToJSON } from '../frames/json';
import {
  callResourceRequestOf,
  checkHealthMessage,
  dataChunkMessages,
  dataResponseMessage,
  pluginContextOf,
  queryDataRequestOf,
  resourceHeadersMessage,
  streamRequestOf,
  streamResultMessage,
} from './convert';
import { type Network } from './handshake';
import { listen } from './listener';
import type { Logger } from './log';
import { protocolServices } from './protocol';
import type { BackendPlugin, CallContext, ResourceResponseWriter } from './types';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Unary = handleUnaryCall<any, any>;
type ServerStreaming = handleServerStreamingCall<any, any>;

export interface PluginServer {
  address: Network;
  /** Resolves when the server stopped: after stop(), or after go-plugin's Shutdown call. */
  stopped: Promise<void>;
  /** Cancels running calls, stops accepting new ones and waits for the rest (at most `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

function grpcError(code: GrpcStatus, details: string): ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Tracks every running call so shutdown can cancel it. */
class Calls {
  private readonly running = new Set<AbortController>();

  begin(call: { on(event: 'cancelled', listener: () => void): unknown }): CallContext & { done(): void } {
    const controller = new AbortController();
    // One call may ask many upstreams (a request of many queries, a fleet of
    // agents), each listening for the call's end: no count of listeners is a leak.
    setMaxListeners(0, controller.signal);
    this.running.add(controller);
    call.on('cancelled', () => controller.abort(new Error('cancelled by Grafana')));
    return { signal: controller.signal, done: () => this.running.delete(controller) };
  }

  abortAll(reason: string): void {
    for (const controller of this.running) {
      controller.abort(new Error(reason));
    }
    this.running.clear();
  }
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
  });
  const calls = new Calls();

  function unary<T>(name: string, run: (request: any, context: CallContext) => Promise<T>): Unary {
    return (call, callback) => {
      const context = calls.begin(call);
      run(call.request, context).then(
        (response) => {
          context.done();
          callback(null, response);
        },
        (error: unknown) => {
          context.done();
          logger.error(`${name} failed`, { error: describe(error) });
          callback(grpcError(GrpcStatus.INTERNAL, `${name}: ${describe(error)}`));
        }
      );
    };
  }

  function streaming(name: string, run: (call: ServerWritableStream<any, any>, context: CallContext) => Promise<void>) {
    const handler: ServerStreaming = (call) => {
      const context = calls.begin(call);
      run(call, context).then(
        () => {
          context.done();
          call.end();
        },
        (error: unknown) => {
          context.done();
          if (context.signal.aborted) {
            call.end();
            return;
          }
          logger.error(`${name} failed`, { error: describe(error) });
          call.emit('error', grpcError(GrpcStatus.INTERNAL, `${name}: ${describe(error)}`));
        }
      );
    };
    return handler;
  }

  const data: UntypedServiceImplementation = {};
  if (plugin.queryData) {
    const queryData = plugin.queryData.bind(plugin);
    data.QueryData = unary('QueryData', async (request, context) => {
      const json = request.format === 'JSON';
      const responses = await queryData(queryDataRequestOf(request), context);
      const out: Record<string, unknown> = {};
      for (const [refId, response] of responses) {
        out[refId] = dataResponseMessage(refId, response, json);
      }
      return { responses: out };
    });
    // As Grafana's Go SDK answers it for handlers without a chunked variant:
    // each query on its own, its frames as chunks `f0`, `f1`, … as soon as it
    // is done, then its error, if any.
    data.QueryChunkedData = streaming('QueryChunkedData', async (call, context) => {
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

  const diagnostics: UntypedServiceImplementation = {};
  if (plugin.checkHealth) {
    const checkHealth = plugin.checkHealth.bind(plugin);
    diagnostics.CheckHealth = unary('CheckHealth', async (request, context) =>
      checkHealthMessage(
        await checkHealth(
          { pluginContext: pluginContextOf(request.pluginContext), headers: request.headers ?? {} },
          context
        )
      )
    );
  }
  if (plugin.collectMetrics) {
    const collectMetrics = plugin.collectMetrics.bind(plugin);
    diagnostics.CollectMetrics = unary('CollectMetrics', async () => ({
      metrics: { prometheus: Buffer.from(await collectMetrics()) },
    }));
  }

  const resource: UntypedServiceImplementation = {};
  if (plugin.callResource) {
    const callResource = plugin.callResource.bind(plugin);
    resource.CallResource = streaming('CallResource', async (call, context) => {
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

  const stream: UntypedServiceImplementation = {};
  if (plugin.subscribeStream) {
    const subscribe = plugin.subscribeStream.bind(plugin);
    stream.SubscribeStream = unary('SubscribeStream', async (request, context) =>
      streamResultMessage(await subscribe(streamRequestOf(request), context))
    );
  }
  if (plugin.publishStream) {
    const publish = plugin.publishStream.bind(plugin);
    stream.PublishStream = unary('PublishStream', async (request, context) =>
      streamResultMessage(await publish(streamRequestOf(request), context))
    );
  }
  if (plugin.runStream) {
    const runStream = plugin.runStream.bind(plugin);
    stream.RunStream = streaming('RunStream', async (call, context) => {
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

  server.addService(services.data, data);
  server.addService(services.diagnostics, diagnostics);
  server.addService(services.resource, resource);
  server.addService(services.stream, stream);
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

  const listening = await listen(server, options.env ?? process.env, (why) =>
    logger.warn('cannot listen on a Unix socket, falling back to loopback TCP', { reason: why })
  );
  cleanup = listening.cleanup;
  return { address: listening.address, stopped, stop };
}

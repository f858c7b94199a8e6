// What every service adapter shares: each gRPC call gets a CallContext whose
// signal aborts when Grafana cancels the call or the plugin stops, and a
// handler's failure becomes one logged line and an INTERNAL status naming the
// method, as Grafana's Go SDK answers it.
import {
  type handleServerStreamingCall,
  type handleUnaryCall,
  type ServerErrorResponse,
  type ServerWritableStream,
  status as GrpcStatus,
} from '@grpc/grpc-js';

import { setMaxListeners } from 'node:events';

import type { Logger } from '../log';
import type { CallContext } from '../types';

/* eslint-disable @typescript-eslint/no-explicit-any */
export type Unary = handleUnaryCall<any, any>;
export type ServerStreaming = handleServerStreamingCall<any, any>;

export function grpcError(code: GrpcStatus, details: string): ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Tracks every running call so shutdown can cancel it. */
export class Calls {
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

/** Turns a plugin method into a gRPC handler of either shape. */
export interface Handlers {
  unary<T>(name: string, run: (request: any, context: CallContext) => Promise<T>): Unary;
  streaming(
    name: string,
    run: (call: ServerWritableStream<any, any>, context: CallContext) => Promise<void>
  ): ServerStreaming;
}

export function handlers(calls: Calls, logger: Logger): Handlers {
  return {
    unary(name, run) {
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
    },
    streaming(name, run) {
      return (call) => {
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
    },
  };
}

// Turns the protocol's services (protocol-schema.ts) into grpc-js service
// definitions. (@grpc/proto-loader would do the same from the .proto files
// and also build descriptor protos for server reflection, which nobody here
// asks for and which cost a third of the start-up time.)
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

import { messageCodec, prepareCodecs as prepare, serviceMethods } from './protocol-schema';

/**
 * The request and response types of every method, in the order the services
 * are defined in protocolServices(), which is the order prepareCodecs() takes.
 */
const methodTypes = new Set<string>();

function definition(service: string): ServiceDefinition {
  const methods: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of serviceMethods(service)) {
    methodTypes.add(method.requestType).add(method.responseType);
    const request = messageCodec(method.requestType);
    const response = messageCodec(method.responseType);
    methods[method.name] = {
      path: `/${service}/${method.name}`,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: (value) => request.encode(value as object),
      requestDeserialize: (bytes) => request.decode(bytes),
      responseSerialize: (value) => response.encode(value as object),
      responseDeserialize: (bytes) => response.decode(bytes),
      originalName: method.name,
    };
  }
  return methods as ServiceDefinition;
}

export interface ProtocolServices {
  stdio: ServiceDefinition;
  broker: ServiceDefinition;
  data: ServiceDefinition;
  diagnostics: ServiceDefinition;
  resource: ServiceDefinition;
  stream: ServiceDefinition;
  health: ServiceDefinition;
  controller: ServiceDefinition;
}

let cached: ProtocolServices | undefined;

/** The gRPC services of Grafana's plugin protocol plus go-plugin's companions. */
export function protocolServices(): ProtocolServices {
  // In the order Grafana calls them after the handshake (go-plugin's
  // streams, then queries and health checks), which prepareCodecs() follows.
  cached ??= {
    stdio: definition('plugin.GRPCStdio'),
    broker: definition('plugin.GRPCBroker'),
    data: definition('pluginv2.Data'),
    diagnostics: definition('pluginv2.Diagnostics'),
    resource: definition('pluginv2.Resource'),
    stream: definition('pluginv2.Stream'),
    health: definition('grpc.health.v1.Health'),
    controller: definition('plugin.GRPCController'),
  };
  return cached;
}

/** The request and response types of the services' methods, in the order prepareCodecs() takes them. */
export function methodMessageTypes(): string[] {
  protocolServices();
  return [...methodTypes];
}

/**
 * Generates the codecs of every message the services carry (protocol-schema.ts),
 * go-plugin's streams and QueryData's types first; serve() starts this right
 * after the handshake.
 */
export function prepareCodecs(): Promise<void> {
  return prepare(methodMessageTypes());
}

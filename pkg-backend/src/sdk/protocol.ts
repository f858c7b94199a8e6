// Turns the embedded .proto texts into grpc-js service definitions with
// protobufjs reflection. (@grpc/proto-loader would do the same and also build
// descriptor protos for server reflection, which nobody here asks for and
// which cost a third of the start-up time.)
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { parse, type Root, Service, type Type } from 'protobufjs';

import { messageCodec, prepareCodecs as prepare } from './codecs';

import goPluginProto from './proto/go-plugin.proto?raw';
import healthProto from './proto/health.proto?raw';
import pluginProto from './proto/plugin.proto?raw';

/**
 * The request and response types of every method, in the order the services
 * are defined in protocolServices(), which is the order prepareCodecs() takes.
 */
const methodTypes = new Set<Type>();

function definition(root: Root, name: string): ServiceDefinition {
  const service = root.lookup(name);
  if (!(service instanceof Service)) {
    throw new Error(`protocol definition lacks service ${name}`);
  }
  const methods: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType as Type;
    const response = method.resolvedResponseType as Type;
    methodTypes.add(request).add(response);
    const requestCodec = messageCodec(request);
    const responseCodec = messageCodec(response);
    methods[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: (value) => requestCodec.encode(value as object),
      requestDeserialize: (bytes) => requestCodec.decode(bytes),
      responseSerialize: (value) => responseCodec.encode(value as object),
      responseDeserialize: (bytes) => responseCodec.decode(bytes),
      originalName: method.name,
    };
  }
  return methods as ServiceDefinition;
}

export interface ProtocolServices {
  data: ServiceDefinition;
  diagnostics: ServiceDefinition;
  resource: ServiceDefinition;
  stream: ServiceDefinition;
  health: ServiceDefinition;
  controller: ServiceDefinition;
  stdio: ServiceDefinition;
  broker: ServiceDefinition;
}

let cached: ProtocolServices | undefined;

/** The gRPC services of Grafana's plugin protocol plus go-plugin's companions. */
export function protocolServices(): ProtocolServices {
  if (!cached) {
    const plugin = parse(pluginProto, { keepCase: true }).root;
    const health = parse(healthProto, { keepCase: true }).root;
    const goPlugin = parse(goPluginProto, { keepCase: true }).root;
    // In the order Grafana calls them after the handshake (go-plugin's
    // streams, then queries and health checks), which prepareCodecs() follows.
    cached = {
      stdio: definition(goPlugin, 'plugin.GRPCStdio'),
      broker: definition(goPlugin, 'plugin.GRPCBroker'),
      data: definition(plugin, 'pluginv2.Data'),
      diagnostics: definition(plugin, 'pluginv2.Diagnostics'),
      resource: definition(plugin, 'pluginv2.Resource'),
      stream: definition(plugin, 'pluginv2.Stream'),
      health: definition(health, 'grpc.health.v1.Health'),
      controller: definition(goPlugin, 'plugin.GRPCController'),
    };
  }
  return cached;
}

/** The request and response types of the services' methods, in the order prepareCodecs() takes them. */
export function methodMessageTypes(): Type[] {
  protocolServices();
  return [...methodTypes];
}

/**
 * Generates the codecs of every message the services carry (codecs.ts),
 * go-plugin's streams and QueryData's types first; serve() starts this right
 * after the handshake.
 */
export function prepareCodecs(): Promise<void> {
  protocolServices();
  return prepare(methodTypes);
}

// Turns the embedded .proto texts into grpc-js service definitions with
// protobufjs reflection. (@grpc/proto-loader would do the same and also build
// descriptor protos for server reflection, which nobody here asks for and
// which cost a third of the start-up time.)
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { type IConversionOptions, parse, type Root, Service, Type } from 'protobufjs';

import goPluginProto from './proto/go-plugin.proto?raw';
import healthProto from './proto/health.proto?raw';
import pluginProto from './proto/plugin.proto?raw';

/**
 * Field names stay as Grafana spells them (refId, jsonData, lastUpdatedMS);
 * int64 fields hold epoch milliseconds and small counts, so numbers are
 * exact; enums travel as their names; absent fields read as their defaults.
 */
const TO_OBJECT: IConversionOptions = { longs: Number, enums: String, bytes: Buffer, defaults: true };

/** The request and response types of every method, for prepareCodecs(). */
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
    methods[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: (value) => Buffer.from(request.encode(request.fromObject(value as object)).finish()),
      requestDeserialize: (bytes) => request.toObject(request.decode(bytes), TO_OBJECT),
      responseSerialize: (value) => Buffer.from(response.encode(response.fromObject(value as object)).finish()),
      responseDeserialize: (bytes) => response.toObject(response.decode(bytes), TO_OBJECT),
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
    cached = {
      data: definition(plugin, 'pluginv2.Data'),
      diagnostics: definition(plugin, 'pluginv2.Diagnostics'),
      resource: definition(plugin, 'pluginv2.Resource'),
      stream: definition(plugin, 'pluginv2.Stream'),
      health: definition(health, 'grpc.health.v1.Health'),
      controller: definition(goPlugin, 'plugin.GRPCController'),
      stdio: definition(goPlugin, 'plugin.GRPCStdio'),
      broker: definition(goPlugin, 'plugin.GRPCBroker'),
    };
  }
  return cached;
}

/**
 * Generates the encoders and decoders of every message the services carry,
 * nested ones included. protobufjs writes them with `new Function` on a type's
 * first use, which no code cache can hold and which otherwise falls on the
 * first call (about 15 ms of a first QueryData); serve() runs this right
 * after the handshake, while the host connects.
 */
export function prepareCodecs(): void {
  const pending = [...methodTypes];
  const seen = new Set<Type>();
  for (let type = pending.pop(); type; type = pending.pop()) {
    if (seen.has(type)) {
      continue;
    }
    seen.add(type);
    type.setup();
    for (const field of type.fieldsArray) {
      field.resolve();
      if (field.resolvedType instanceof Type) {
        pending.push(field.resolvedType);
      }
    }
  }
}

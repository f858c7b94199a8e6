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
 * Generates the encoders and decoders of every message the services carry,
 * nested ones included, one message type per turn of the event loop.
 * protobufjs writes them with `new Function` on a type's first use, which no
 * code cache can hold: for all 31 types that is 10 to 25 ms of CPU, which a
 * first call would otherwise pay for its own types. serve() starts this right
 * after the handshake; yielding between types lets a call that arrives
 * meanwhile run at once (a type it needs and that is not ready yet is set up
 * on its way, as without this), and the types of go-plugin's streams and of
 * QueryData come first.
 */
export async function prepareCodecs(): Promise<void> {
  const seen = new Set<Type>();
  for (const method of methodTypes) {
    // A method's types and the messages nested in them before the next method's.
    const pending = [method];
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
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

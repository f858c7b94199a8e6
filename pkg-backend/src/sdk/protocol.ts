// Turns the embedded .proto texts into grpc-js service definitions.
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON, type Options } from '@grpc/proto-loader';
import { parse } from 'protobufjs';

import controllerProto from './proto/controller.proto?raw';
import healthProto from './proto/health.proto?raw';
import pluginProto from './proto/plugin.proto?raw';

const LOADER_OPTIONS: Options = {
  // Field names stay as Grafana spells them (refId, jsonData, lastUpdatedMS).
  keepCase: true,
  // int64 fields hold epoch milliseconds and small counts: numbers are exact.
  longs: Number,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: false,
};

function load(text: string): GrpcObject {
  const root = parse(text, { keepCase: true }).root;
  return loadPackageDefinition(fromJSON(root.toJSON(), LOADER_OPTIONS));
}

interface ServiceConstructor {
  service: ServiceDefinition;
}

function service(pkg: GrpcObject, path: string): ServiceDefinition {
  let node: unknown = pkg;
  for (const part of path.split('.')) {
    node = (node as Record<string, unknown>)[part];
  }
  if (!node || !(node as ServiceConstructor).service) {
    throw new Error(`protocol definition lacks service ${path}`);
  }
  return (node as ServiceConstructor).service;
}

export interface ProtocolServices {
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
  if (!cached) {
    const plugin = load(pluginProto);
    const health = load(healthProto);
    const controller = load(controllerProto);
    cached = {
      data: service(plugin, 'pluginv2.Data'),
      diagnostics: service(plugin, 'pluginv2.Diagnostics'),
      resource: service(plugin, 'pluginv2.Resource'),
      stream: service(plugin, 'pluginv2.Stream'),
      health: service(health, 'grpc.health.v1.Health'),
      controller: service(controller, 'plugin.GRPCController'),
    };
  }
  return cached;
}

/** Client constructors for tests and benchmarks that play Grafana's part. */
export function protocolPackages(): { plugin: GrpcObject; health: GrpcObject; controller: GrpcObject } {
  return { plugin: load(pluginProto), health: load(healthProto), controller: load(controllerProto) };
}

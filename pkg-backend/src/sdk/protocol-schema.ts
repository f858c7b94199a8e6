// What the protocol's .proto files say, in the two forms the server needs:
// each service's methods (names, message types, streaming) and a codec per
// message type. Run from source (the tests), both come from parsing the
// embedded .proto texts with protobufjs, whose reflection codecs it writes
// with `new Function` on a type's first use. The executable's bundle
// replaces this module with both generated at build time from the same files
// (scripts/build.mjs: the method table as data, the codecs as pbjs' static
// module), so the executable neither parses .proto text nor generates code,
// and the V8 code cache holds the codecs (docs/benchmarks.md).
import { parse, type Root, Service, Type } from 'protobufjs';

import { TO_OBJECT } from './message-conversion';
import goPluginProto from './proto/go-plugin.proto?raw';
import healthProto from './proto/health.proto?raw';
import pluginProto from './proto/plugin.proto?raw';

export interface MethodShape {
  name: string;
  /** Fully qualified message type names, as `.pluginv2.QueryDataRequest`. */
  requestType: string;
  responseType: string;
  requestStream: boolean;
  responseStream: boolean;
}

export interface MessageCodec {
  encode(value: object): Buffer;
  decode(bytes: Buffer): unknown;
}

let roots: Root[] | undefined;

function parsed(): Root[] {
  roots ??= [pluginProto, healthProto, goPluginProto].map((text) => parse(text, { keepCase: true }).root);
  return roots;
}

/** The reflection type of a message (source only: the bundle has none). */
export function messageType(name: string): Type {
  for (const root of parsed()) {
    const found = root.lookup(name);
    if (found instanceof Type) {
      return found;
    }
  }
  throw new Error(`protocol definition lacks message ${name}`);
}

/** The methods of a service (`pluginv2.Data`), in the order the .proto file declares them. */
export function serviceMethods(name: string): MethodShape[] {
  for (const root of parsed()) {
    const service = root.lookup(name);
    if (service instanceof Service) {
      return service.methodsArray.map((method) => {
        method.resolve();
        return {
          name: method.name,
          requestType: (method.resolvedRequestType as Type).fullName,
          responseType: (method.resolvedResponseType as Type).fullName,
          requestStream: Boolean(method.requestStream),
          responseStream: Boolean(method.responseStream),
        };
      });
    }
  }
  throw new Error(`protocol definition lacks service ${name}`);
}

/** The codec of a message type. */
export function messageCodec(name: string): MessageCodec {
  const type = messageType(name);
  return {
    encode: (value) => Buffer.from(type.encode(type.fromObject(value)).finish()),
    decode: (bytes) => type.toObject(type.decode(bytes), TO_OBJECT),
  };
}

/**
 * Generates the codecs of these message types and of every message nested in
 * them, one type per turn of the event loop, in the order given. For all 31
 * types of the protocol that is 10 to 25 ms of CPU, which a first call would
 * otherwise pay for its own types. Yielding between types lets a call that
 * arrives meanwhile run at once (a type it needs that is not ready yet is set
 * up on its way, as without this). The bundle's codecs need none of it.
 */
export async function prepareCodecs(names: Iterable<string>): Promise<void> {
  const seen = new Set<Type>();
  for (const name of names) {
    // A method's types and the messages nested in them before the next method's.
    const pending = [messageType(name)];
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

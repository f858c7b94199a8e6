// Encoders and decoders of the protocol's messages. Run from source (the
// tests), they are protobufjs' reflection codecs, which protobufjs writes
// with `new Function` on a type's first use. The executable's bundle replaces
// this module with the same codecs generated at build time as plain code
// (pbjs' static module, scripts/build.mjs), which the V8 code cache holds, so
// neither the start nor a first call generates any (docs/benchmarks.md).
import { Type } from 'protobufjs';

import { TO_OBJECT } from './message-conversion';

export interface MessageCodec {
  encode(value: object): Buffer;
  decode(bytes: Buffer): unknown;
}

/** The codec of a message type of the parsed protocol. */
export function messageCodec(type: Type): MessageCodec {
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
 * up on its way, as without this).
 */
export async function prepareCodecs(types: Iterable<Type>): Promise<void> {
  const seen = new Set<Type>();
  for (const method of types) {
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

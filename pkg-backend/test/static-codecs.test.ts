// The executable's protocol codecs are pbjs' static code generated at build
// time (scripts/build.mjs); the source's are protobufjs' reflection codecs
// (src/sdk/codecs.ts). For every message type of the protocol, both must write
// the same bytes and read back the same objects.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Enum, type Field, MapField, Type } from 'protobufjs';
import { expect, it } from 'vitest';

import { describeWhere, file } from '@zviz/test-support/requirements';

import { messageCodec } from '../src/sdk/codecs';
import { TO_OBJECT } from '../src/sdk/message-conversion';
import { methodMessageTypes } from '../src/sdk/protocol';

const generated = join(__dirname, '..', 'build', 'protocol-codecs.js');

/** A value of a scalar, enum or message field, different from its default. */
function sample(field: Field, type: string, depth: number): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof Enum) {
    const names = Object.keys(resolved.values);
    return names[names.length - 1];
  }
  if (resolved instanceof Type) {
    return sampleMessage(resolved, depth + 1);
  }
  switch (type) {
    case 'string':
      return `${field.name} ✓`;
    case 'bytes':
      return Buffer.from([0, 1, 254, 255]);
    case 'bool':
      return true;
    case 'double':
    case 'float':
      return 1.5;
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return 1_764_979_200_123; // epoch milliseconds, beyond 32 bits
    default:
      return 7;
  }
}

/** A message with every field set (one member of each oneof), nested messages to a depth of 3. */
function sampleMessage(type: Type, depth = 0): Record<string, unknown> {
  const message: Record<string, unknown> = {};
  if (depth > 3) {
    return message;
  }
  const oneofMembers = new Set(type.oneofsArray.flatMap((o) => o.fieldsArray.slice(1)));
  for (const field of type.fieldsArray) {
    field.resolve();
    if (oneofMembers.has(field)) {
      continue;
    }
    const value = sample(field, field.type, depth);
    if (field instanceof MapField) {
      message[field.name] = { first: value, second: value };
    } else if (field.repeated) {
      message[field.name] = [value, value];
    } else {
      message[field.name] = value;
    }
  }
  return message;
}

/** Every message type the methods carry, nested ones included. */
function allTypes(): Type[] {
  const seen = new Set<Type>();
  const pending = methodMessageTypes();
  for (let type = pending.pop(); type; type = pending.pop()) {
    if (!seen.has(type)) {
      seen.add(type);
      for (const field of type.fieldsArray) {
        field.resolve();
        if (field.resolvedType instanceof Type) {
          pending.push(field.resolvedType);
        }
      }
    }
  }
  return [...seen];
}

describeWhere(
  [file(generated, 'needs the static codecs the build generates (npm run build -w pkg-backend)')],
  'static protocol codecs',
  () => {
    it('write the bytes and read back the objects that the reflection codecs do, for every message type', () => {
      const root = createRequire(__filename)(generated) as Record<string, unknown>;
      const types = allTypes();
      expect(types.length).toBeGreaterThan(20);
      for (const type of types) {
        let generatedType: any = root;
        for (const part of type.fullName.slice(1).split('.')) {
          generatedType = generatedType?.[part];
        }
        expect(typeof generatedType?.encode, type.fullName).toBe('function');
        const reflection = messageCodec(type);
        const value = sampleMessage(type);
        const bytes = reflection.encode(value);
        const staticBytes = Buffer.from(generatedType.encode(generatedType.fromObject(value)).finish());
        expect(staticBytes.equals(bytes), type.fullName).toBe(true);
        const decoded = generatedType.toObject(generatedType.decode(bytes), TO_OBJECT);
        expect(decoded, type.fullName).toEqual(reflection.decode(bytes));
        // An empty message reads back with every default, in both.
        const empty = Buffer.alloc(0);
        expect(generatedType.toObject(generatedType.decode(empty), TO_OBJECT), type.fullName).toEqual(
          reflection.decode(empty)
        );
      }
    });
  }
);

// The executable's protocol schema is generated at build time
// (scripts/build.mjs): the method table as data, the codecs as pbjs' static
// code. The source reads both from the .proto files with protobufjs
// (src/sdk/protocol-schema.ts). Both must list the same methods, and for every
// message type write the same bytes and read back the same objects.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Enum, type Field, MapField, Type } from 'protobufjs';
import { expect, it } from 'vitest';

import { describeWhere, file } from '@zviz/test-support/requirements';

import { TO_OBJECT } from '../src/sdk/message-conversion';
import { methodMessageTypes } from '../src/sdk/protocol';
import { messageCodec, messageType, serviceMethods } from '../src/sdk/protocol-schema';

const generated = join(__dirname, '..', 'build', 'protocol-codecs.js');
const methodTable = join(__dirname, '..', 'build', 'protocol-methods.json');

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
  const pending = methodMessageTypes().map(messageType);
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
  [
    file(generated, 'needs the static codecs the build generates (npm run build -w pkg-backend)'),
    file(methodTable, 'needs the method table the build generates (npm run build -w pkg-backend)'),
  ],
  'the protocol schema built into the executable',
  () => {
    it("lists every service's methods as the .proto files declare them", () => {
      const table = JSON.parse(readFileSync(methodTable, 'utf8')) as Record<string, unknown>;
      const services = [
        'pluginv2.Data',
        'pluginv2.Diagnostics',
        'pluginv2.Resource',
        'pluginv2.Stream',
        'grpc.health.v1.Health',
        'plugin.GRPCController',
        'plugin.GRPCStdio',
        'plugin.GRPCBroker',
      ];
      expect(Object.keys(table).sort()).toEqual([...services].sort());
      for (const service of services) {
        expect(table[service], service).toEqual(serviceMethods(service));
      }
      expect(serviceMethods('pluginv2.Data').map((m) => m.name)).toEqual(['QueryData', 'QueryChunkedData']);
    });

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
        const reflection = messageCodec(type.fullName);
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

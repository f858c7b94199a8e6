import { Type } from 'protobufjs';
import { describe, expect, it } from 'vitest';

import { methodMessageTypes, prepareCodecs } from './protocol';
import { messageType } from './protocol-schema';

/** protobufjs generates a type's codecs into own properties on its first use (Type#setup). */
function ready(type: Type): boolean {
  return Object.hasOwn(type, 'encode') && Object.hasOwn(type, 'decode') && Object.hasOwn(type, 'toObject');
}

/** Every message type the methods carry, nested ones included. */
function reachable(types: Type[]): Set<Type> {
  const seen = new Set<Type>();
  const pending = [...types];
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
  return seen;
}

describe('protocol codecs', () => {
  it("prepares go-plugin's streams and QueryData first, yields between types, and ends with every type ready", async () => {
    const methods = methodMessageTypes().map(messageType);
    const byName = (name: string) => methods.find((t) => t.fullName === name)!;
    const all = reachable(methods);
    expect(all.size).toBeGreaterThan(20);
    expect([...all].filter(ready)).toEqual([]);

    const done = prepareCodecs();
    // It returns after the first type, and each turn of the event loop adds
    // one more: a call arriving meanwhile runs before the rest are generated.
    expect([...all].filter(ready).map((t) => t.fullName)).toEqual([methods[0].fullName]);
    await new Promise((resolve) => setImmediate(resolve));
    expect([...all].filter(ready).length).toBe(2);

    // QueryData's request and everything nested in it come before Stream's and Resource's messages.
    const queryData = reachable([byName('.pluginv2.QueryDataRequest'), byName('.pluginv2.QueryDataResponse')]);
    let turns = 0;
    while (![...queryData].every(ready)) {
      await new Promise((resolve) => setImmediate(resolve));
      turns++;
    }
    expect(ready(byName('.pluginv2.RunStreamRequest'))).toBe(false);
    expect(ready(byName('.pluginv2.CallResourceRequest'))).toBe(false);
    expect(turns).toBeLessThan(all.size);

    await done;
    expect([...all].filter((t) => !ready(t)).map((t) => t.fullName)).toEqual([]);
  });
});

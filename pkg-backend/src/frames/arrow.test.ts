import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';

import { decodeFrame, encodeFrame } from './arrow';
import {
  booleanField,
  frame,
  int64Field,
  jsonField,
  nanosColumnFromSeconds,
  nanosFromISO,
  nanosFromSeconds,
  numberField,
  stringField,
  timeField,
} from './frame';

const t0 = 1_763_000_000_123_456_789n;

function sample() {
  return frame(
    'decisions',
    [
      timeField('time', [t0, t0 + 1n]),
      numberField('value', [1.5, null], { labels: { syscall: 'openat', decision: 'deny' }, config: { unit: 'ops' } }),
      int64Field('seq', [9_007_199_254_740_993n, -1n]),
      stringField('syscall', ['openat', 'connect']),
      booleanField('brokered', [true, false]),
      jsonField('labels', [{ agent: 'a:1' }, {}]),
    ],
    { type: 'timeseries-multi', typeVersion: [0, 1], custom: { mode: 'count' } },
    'A'
  );
}

describe('Arrow frame encoding', () => {
  it('writes the Arrow IPC file format (ARROW1 magic at both ends)', () => {
    const bytes = encodeFrame(sample());
    const text = Buffer.from(bytes);
    expect(text.subarray(0, 6).toString()).toBe('ARROW1');
    expect(text.subarray(text.length - 6).toString()).toBe('ARROW1');
  });

  it('uses exactly the Arrow types Grafana decodes: nanosecond timestamps, Utf8, Float64, Int64, Bool, Binary', () => {
    const table = tableFromIPC(encodeFrame(sample()));
    const types = table.schema.fields.map((f) => [f.name, String(f.type), f.nullable]);
    expect(types).toEqual([
      ['time', 'Timestamp<NANOSECOND>', false],
      ['value', 'Float64', true],
      ['seq', 'Int64', false],
      ['syscall', 'Utf8', false],
      ['brokered', 'Bool', false],
      ['labels', 'Binary', false],
    ]);
  });

  it('puts name, refId and meta in the schema metadata and labels, config, tstype in field metadata', () => {
    const table = tableFromIPC(encodeFrame(sample()));
    expect(table.schema.metadata.get('name')).toBe('decisions');
    expect(table.schema.metadata.get('refId')).toBe('A');
    expect(JSON.parse(table.schema.metadata.get('meta')!)).toEqual({
      type: 'timeseries-multi',
      typeVersion: [0, 1],
      custom: { mode: 'count' },
    });
    const value = table.schema.fields[1].metadata;
    expect(JSON.parse(value.get('labels')!)).toEqual({ syscall: 'openat', decision: 'deny' });
    expect(JSON.parse(value.get('config')!)).toEqual({ unit: 'ops' });
    expect(table.schema.fields.map((f) => f.metadata.get('tstype'))).toEqual([
      'time',
      'number',
      'number',
      'string',
      'boolean',
      'other',
    ]);
    // Grafana's decoder has no `name` field key: the Arrow field name is the name.
    expect(table.schema.fields.some((f) => f.metadata.has('name'))).toBe(false);
  });

  it('round-trips values, nulls and nanosecond times exactly', () => {
    const decoded = decodeFrame(encodeFrame(sample()));
    expect(decoded.name).toBe('decisions');
    expect(decoded.refId).toBe('A');
    expect(decoded.fields.map((f) => f.values)).toEqual([
      [t0, t0 + 1n],
      [1.5, null],
      [9_007_199_254_740_993n, -1n],
      ['openat', 'connect'],
      [true, false],
      [{ agent: 'a:1' }, {}],
    ]);
  });

  it('keeps the labels of same-named fields apart (one `value` field per decision)', () => {
    const decoded = decodeFrame(
      encodeFrame(
        frame('trend', [
          numberField('value', [1], { labels: { decision: 'allow' } }),
          numberField('value', [2], { labels: { decision: 'deny' } }),
        ])
      )
    );
    expect(decoded.fields.map((f) => [f.labels, f.values])).toEqual([
      [{ decision: 'allow' }, [1]],
      [{ decision: 'deny' }, [2]],
    ]);
  });

  it('encodes empty frames (no rows) that still carry their schema', () => {
    const decoded = decodeFrame(encodeFrame(frame('audit', [timeField('timestamp', []), stringField('body', [])])));
    expect(decoded.fields.map((f) => [f.name, f.arrowType, f.values.length])).toEqual([
      ['timestamp', 'Timestamp<NANOSECOND>', 0],
      ['body', 'Utf8', 0],
    ]);
  });

  it('refuses columns of different lengths and nulls in non-nullable fields', () => {
    expect(() => encodeFrame(frame('x', [stringField('a', ['1']), stringField('b', [])]))).toThrow(
      /different lengths \(a=1, b=0\)/
    );
    expect(() => encodeFrame(frame('x', [stringField('a', [null])]))).toThrow(/not nullable/);
  });

  it('converts Prometheus seconds and RFC 3339 nanosecond timestamps without losing precision', () => {
    expect(nanosFromSeconds(1_700_000_000.123)).toBe(1_700_000_000_123_000_000n);
    expect(nanosFromISO('2026-11-22T04:00:00.123456789Z')).toBe(1_795_320_000_123_456_789n);
    expect(nanosFromISO('2026-11-22T05:00:00.5+01:00')).toBe(1_795_320_000_500_000_000n);
    expect(nanosFromISO('yesterday')).toBeUndefined();
  });
});

describe('nanosecond columns from Prometheus seconds', () => {
  it('match BigInt arithmetic exactly, before and after 1970', () => {
    const seconds = [0, 1.001, 1_700_000_000.123, 4_102_444_800.999, -1.5];
    expect([...nanosColumnFromSeconds(seconds)]).toEqual(seconds.map((s) => BigInt(Math.round(s * 1000)) * 1_000_000n));
  });
});

// The lower bound must never pass the real size, or an answer that fits
// would be refused; and it must be close enough to refuse big answers unbuilt.
import { describe, expect, it } from 'vitest';

import { jsonBytesAtLeast } from './json-size';

const real = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('jsonBytesAtLeast', () => {
  it.each([
    ['a string', 'hello'],
    ['unicode', 'é ✓ 😀'],
    ['control characters', '\u0000\n\t"\\'],
    ['numbers', [0, -1.5, 1e21, Number.MAX_SAFE_INTEGER, NaN]],
    ['nested', { a: [1, { b: null, c: true }], d: 'x', e: undefined, f: () => 1 }],
    ['an empty object and array', { a: {}, b: [] }],
    ['an array with holes and undefined', [undefined, , 1]], // eslint-disable-line no-sparse-arrays
  ])('is at most the real size: %s', (_name, value) => {
    expect(jsonBytesAtLeast(value)).toBeLessThanOrEqual(real(value));
  });

  it('is close for decision events, whose size is mostly their strings', () => {
    const event = {
      seq: 41,
      timestamp: '2026-12-06T21:00:00.000Z',
      event_type: 'syscall',
      container_id: 'abc123',
      syscall: 'openat',
      args: { path: `/etc/${'x'.repeat(4000)}` },
      decision: 'deny',
      latency_us: 45,
      layer: 'broker',
    };
    const answer = { events: Array.from({ length: 1000 }, () => event), next: 41, missed: 0 };
    expect(jsonBytesAtLeast(answer)).toBeLessThanOrEqual(real(answer));
    expect(jsonBytesAtLeast(answer)).toBeGreaterThan(real(answer) * 0.95);
  });
});

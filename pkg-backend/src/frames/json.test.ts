import { describe, expect, it } from 'vitest';

import { frame, numberField, stringField, timeField } from './frame';
import { frameToJSON } from './json';

describe('JSON frame format (stream packets)', () => {
  it('writes schema and data the way Go data.FrameToJSON does', () => {
    const f = frame(
      'audit',
      [
        timeField('timestamp', [1_700_000_000_123_000_000n, 1_700_000_000_124_000_007n]),
        stringField('body', ['deny openat', 'allow connect']),
        numberField('latency_us', [12, null], { labels: { agent: 'a' }, config: { unit: 'µs' } }),
      ],
      { type: 'log-lines' }
    );
    expect(JSON.parse(frameToJSON(f))).toEqual({
      schema: {
        name: 'audit',
        meta: { type: 'log-lines' },
        fields: [
          { name: 'timestamp', type: 'time', typeInfo: { frame: 'time.Time' } },
          { name: 'body', type: 'string', typeInfo: { frame: 'string' } },
          {
            name: 'latency_us',
            type: 'number',
            typeInfo: { frame: 'float64', nullable: true },
            labels: { agent: 'a' },
            config: { unit: 'µs' },
          },
        ],
      },
      data: {
        values: [
          [1_700_000_000_123, 1_700_000_000_124],
          ['deny openat', 'allow connect'],
          [12, null],
        ],
        nanos: [[0, 7], null, null],
      },
    });
  });

  it('sends NaN and infinities as null and names them in entities', () => {
    const f = frame('x', [numberField('v', [1, NaN, Infinity, -Infinity])]);
    const json = JSON.parse(frameToJSON(f));
    expect(json.data.values).toEqual([[1, null, null, null]]);
    expect(json.data.entities).toEqual([{ NaN: [1], Inf: [2], NegInf: [3] }]);
  });
});

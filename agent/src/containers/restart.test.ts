import { describe, expect, it } from 'vitest';

import { backoffMs, parseRestart, shouldRestart } from './restart';

describe('restart policy', () => {
  it('parses the Docker forms', () => {
    expect(parseRestart('no')).toEqual({ mode: 'no', maxRestarts: 0 });
    expect(parseRestart('on-failure:3')).toEqual({ mode: 'on-failure', maxRestarts: 3 });
    expect(parseRestart('always')).toEqual({ mode: 'always', maxRestarts: 0 });
    expect(() => parseRestart('always:3')).toThrow(/invalid restart policy/);
    expect(() => parseRestart('sometimes')).toThrow(/no, on-failure, on-failure:N or always/);
  });

  it('restarts what the policy says, up to its maximum', () => {
    expect(shouldRestart(parseRestart('no'), true, 0)).toBe(false);
    expect(shouldRestart(parseRestart('on-failure'), false, 0)).toBe(false);
    expect(shouldRestart(parseRestart('on-failure:2'), true, 1)).toBe(true);
    expect(shouldRestart(parseRestart('on-failure:2'), true, 2)).toBe(false);
    expect(shouldRestart(parseRestart('always'), false, 100)).toBe(true);
  });

  it('backs off exponentially from 100 ms to at most 10 s', () => {
    expect([0, 1, 2, 3, 7, 20].map(backoffMs)).toEqual([100, 200, 400, 800, 10_000, 10_000]);
  });
});

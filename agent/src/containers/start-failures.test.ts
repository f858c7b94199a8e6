import { describe, expect, it } from 'vitest';

import { START_FAILURE_REASONS, StartFailures, startFailureReason } from './start-failures';

describe('the reason of a failed start', () => {
  it("is the broker addon's word when it is one of the closed list", () => {
    for (const reason of START_FAILURE_REASONS) {
      expect(startFailureReason(Object.assign(new Error('x'), { reason }))).toBe(reason);
    }
  });

  it('is agent for any other error, or any other word (never a new label value)', () => {
    expect(startFailureReason(new Error('cannot make the cgroup'))).toBe('agent');
    expect(startFailureReason(Object.assign(new Error('x'), { reason: 'mounts: EPERM' }))).toBe('agent');
    expect(startFailureReason(undefined)).toBe('agent');
  });

  it('is counted by reason, every reason listed from the start', () => {
    const failures = new StartFailures();
    expect(failures.entries()).toEqual(START_FAILURE_REASONS.map((r) => [r, 0]));
    failures.add('timeout');
    failures.add('timeout');
    failures.add('exec');
    expect(Object.fromEntries(failures.entries())).toEqual({ timeout: 2, setup: 0, exec: 1, agent: 0, output: 0 });
  });
});

// Tests that need root or a kernel feature skip with a printed reason on a
// machine without it. CI sets ZVIZ_FAIL_ON_SKIP=1, which turns every such skip
// into a failure: there, a missing feature is a broken environment, not an
// excuse.
import { describe, it } from 'vitest';

import { unmet, type Requirement } from './machine';

export { binary, btf, file, root, seccompUserNotif, unmet, type Requirement } from './machine';

export const failOnSkip = process.env.ZVIZ_FAIL_ON_SKIP === '1';

/**
 * `describe` that runs only where the requirements hold. Elsewhere it prints
 * why and skips, or, under ZVIZ_FAIL_ON_SKIP=1, fails with the reason.
 */
export function describeWhere(requirements: Requirement[], name: string, body: () => void): void {
  const why = unmet(requirements);
  if (!why) {
    describe(name, body);
    return;
  }
  if (failOnSkip) {
    describe(name, () => {
      it('has what it needs to run', () => {
        throw new Error(`${name}: ${why}; ZVIZ_FAIL_ON_SKIP=1 forbids skipping`);
      });
    });
    return;
  }
  console.warn(`[skip] ${name}: ${why}`);
  describe.skip(`${name} [skipped: ${why}]`, body);
}

// Tests that need root or a kernel feature skip with a printed reason on a
// machine without it. CI sets ZVIZ_FAIL_ON_SKIP=1, which turns every such skip
// into a failure: there, a missing feature is a broken environment, not an
// excuse.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'vitest';

export const failOnSkip = process.env.ZVIZ_FAIL_ON_SKIP === '1';

/** A requirement answers undefined when met, or why it is not. */
export type Requirement = () => string | undefined;

export const root: Requirement = () =>
  process.getuid?.() === 0 ? undefined : 'needs root (run the tests as root, as CI does)';

export const seccompUserNotif: Requirement = () => {
  try {
    const actions = readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8');
    return actions.includes('user_notif')
      ? undefined
      : 'kernel lacks seccomp user notification (SECCOMP_RET_USER_NOTIF)';
  } catch {
    return 'kernel has no seccomp filter support (/proc/sys/kernel/seccomp/actions_avail missing)';
  }
};

export const btf: Requirement = () =>
  existsSync('/sys/kernel/btf/vmlinux') ? undefined : 'kernel has no BTF (/sys/kernel/btf/vmlinux missing)';

export function binary(name: string, debianPackage = name): Requirement {
  return () => {
    try {
      execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
      return undefined;
    } catch {
      return `needs ${name} (apt-get install ${debianPackage})`;
    }
  };
}

export function file(path: string, why: string): Requirement {
  return () => {
    try {
      accessSync(path, constants.R_OK);
      return undefined;
    } catch {
      return `${why} (${path} missing)`;
    }
  };
}

/** The first unmet requirement, if any. */
export function unmet(requirements: Requirement[]): string | undefined {
  for (const requirement of requirements) {
    const why = requirement();
    if (why) {
      return why;
    }
  }
  return undefined;
}

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

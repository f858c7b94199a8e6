// What a test or a benchmark needs of this machine (root, a kernel feature,
// a command, a built file), each answering why it is missing. Plain Node:
// benchmarks run it outside the test runner (test/support/requirements.ts
// turns the answers into skips).
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';

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

// Syscalls that reach the same thing by different doors, which the checks
// (check.ts) and the compiler (compile.ts) must treat alike.

export const OPEN_SYSCALLS = ['open', 'openat', 'openat2', 'creat'] as const;
/** Calls that may carry a peer's address: rules on connect judge them too (with an address). */
export const ADDRESSED_SYSCALLS = ['sendto', 'sendmsg', 'sendmmsg', 'socketcall'] as const;
export const EXEC_SYSCALLS = ['execve', 'execveat'] as const;
/**
 * Refused with ENOSYS by every filter the sandbox installs, whatever the rules
 * say (compile.ts; a broker rule on it is a problem, check.ts): its flags live
 * in memory, out of the filter's sight, and CLONE_INTO_CGROUP starts the child
 * in any cgroup whose directory the workload can open, a read-only mount
 * notwithstanding (docs/security.md). libc falls back to clone, as under
 * Docker's default profile.
 */
export const CLONE3 = 'clone3';
/**
 * Landlock's calls. Refused with EOPNOTSUPP (what a kernel booted without
 * Landlock answers) by the filter of a profile whose opens the broker
 * emulates, where the rules would allow them (compile.ts): the kernel checks
 * Landlock in the task that opens, and an emulated open is made by the
 * broker, outside the workload's own domain, so a workload's Landlock
 * sandbox would not hold for those opens (docs/security.md). The program is
 * told Landlock is not there instead, and runs knowing it.
 */
export const LANDLOCK_SYSCALLS = ['landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self'] as const;

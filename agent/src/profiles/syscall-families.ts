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

// Syscalls that reach the same thing by different doors, which the checks
// (check.ts) and the compiler (compile.ts) must treat alike.

export const OPEN_SYSCALLS = ['open', 'openat', 'openat2', 'creat'] as const;
/** Calls that may carry a peer's address: rules on connect judge them too (with an address). */
export const ADDRESSED_SYSCALLS = ['sendto', 'sendmsg', 'sendmmsg', 'socketcall'] as const;
export const EXEC_SYSCALLS = ['execve', 'execveat'] as const;

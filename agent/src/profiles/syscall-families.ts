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
/**
 * fcntl's names (fcntl64 on i386). Every filter refuses its F_SETLEASE with
 * EINVAL, what a node with fs.leases-enable 0 answers, except F_UNLCK, which
 * takes nothing (compile.ts; a broker rule or argument rules of the profile's
 * own on them are a problem, check.ts). The kernel grants a lease to a file's
 * owner by fsuid, whatever the mount, and every other open of the file on
 * the node then waits for its holder, up to fs.lease-break-time (45 s): the
 * workload is uid 0, so it owned every root-owned file of its view, read-only
 * ones included (docs/security.md). The command is a register, so the filter
 * decides, and the kernel reads it as an unsigned int: the rules compare its
 * low 32 bits.
 */
export const FCNTL_SYSCALLS = ['fcntl', 'fcntl64'] as const;
export const F_SETLEASE = 1024;
export const F_UNLCK = 2;
/**
 * ioctl's TIOCSETD (set a terminal's line discipline) is refused with EPERM by
 * every filter where ioctl is allowed (compile.ts; a broker rule or argument
 * rules of the profile's own on ioctl are a problem, check.ts). Every
 * container has terminals: the one `zviz run` hands over as stdio, and the
 * pseudo-terminals of its own devpts instance. A line discipline the kernel
 * has not loaded (n_hdlc, slcan, n_gsm, ...) is loaded for the asking by
 * the node's root (tty_ldisc_autoload, on by default), so any container could
 * bring rarely used kernel code, with its history of exploited bugs, into
 * the node's kernel. Docker's and Podman's default profiles allow ioctl
 * whole; gVisor implements only N_TTY. The request number is the generic
 * one (0x5423 on x86 and arm64); it is a register, and the kernel reads it
 * as an unsigned int: the rules compare its low 32 bits.
 */
export const IOCTL_SYSCALLS = ['ioctl'] as const;
export const TIOCSETD = 0x5423;
/**
 * prlimit64 with a new limit for a process other than the caller (a pid that
 * is not 0) is refused with EPERM by every filter where prlimit64 is allowed
 * (compile.ts; a broker rule or argument rules of the profile's own on it are
 * a problem, check.ts); reading another's limits and setting its own stay
 * allowed (setrlimit and getrlimit are prlimit64 with pid 0 in libc). The
 * kernel lets a process set the limits of any process with the same uid and
 * gid, with no capability and no LSM hook, unlike nice values, affinity and
 * I/O priority (which also ask that the caller hold every capability of the
 * target): with --pid host a workload, uid 0, could lower the agent's or any
 * root process's limits on the node (descriptors, file size, CPU time,
 * address space) and so starve or end it (docs/security.md). The pid and the
 * new limit's pointer are registers, so the filter decides.
 */
export const PRLIMIT_SYSCALLS = ['prlimit64'] as const;
/**
 * unshare and clone with CLONE_NEWCGROUP are refused with EPERM by every filter
 * where the profile allows them (compile.ts). With a user namespace of its own
 * (observe allows them; uid 0 of the node maps into it), a workload that also
 * makes a cgroup namespace may mount the cgroup hierarchies there, writable,
 * rooted at its container's cgroup; their files are root's, so nothing but the
 * kernel's nsdelegate (off on hybrid hosts) stops it writing its own limits
 * (pids.max, cpu.cfs_quota_us) or moving itself into a cgroup of its own below
 * the container's, where the tracer no longer sees it and which the agent could
 * not remove (docs/security.md, "Cgroups below a container's"). clone3 is
 * refused whole (above). The flags are a register, so the filter decides.
 */
export const NAMESPACE_SYSCALLS = ['unshare', 'clone'] as const;
export const CLONE_NEWCGROUP = 0x02000000;
/**
 * umask(2): notified where the broker makes files (its opens are emulated),
 * so the supervisor knows the umask to apply (compile.ts;
 * agent/native/src/broker/umask_tracker.h).
 */
export const UMASK = 'umask';

// The flag checks an emulated open answers before it looks at any path, as
// the kernel makes them (docs/security.md, "Emulated opens"): openat2's
// struct open_how read from the workload exactly as copy_struct_from_user
// reads it, and the open flags judged by the running kernel itself.
//
// The kernel refuses an open's flags (build_open_flags: unknown flags or
// RESOLVE_* bits in openat2, a mode without O_CREAT, O_CREAT|O_DIRECTORY,
// O_TMPFILE without write access, RESOLVE_CACHED with O_CREAT, ...) before
// it reads the path, and the list changes between kernel versions. Rather
// than keep a copy of it, the broker hands the same flags to the same
// syscall on a directory descriptor that cannot exist (-1) and a relative
// path: the kernel answers EINVAL or EAGAIN from those checks, or EBADF from
// the lookup that follows them, so the workload gets exactly the errno it
// would have got, whatever the kernel. Opens with only flags no kernel
// refuses (the access mode, O_CLOEXEC, O_NOFOLLOW, O_DIRECTORY, O_APPEND,
// O_TRUNC, ...) skip the probe: most opens cost nothing more.
#pragma once

#include <linux/openat2.h>

#include <cstdint>

#include "broker/target.h"

namespace zviz::broker {

/**
 * Reads openat2's open_how of `size` bytes at `address` as the kernel does:
 * EINVAL when smaller than its first version, E2BIG when larger than a page
 * or when bytes beyond the struct the broker knows are not zero (the first
 * non-zero byte wins over a later unmapped page, as in check_zeroed_user),
 * EFAULT when unmapped. 0 on success; -EPERM when the workload's memory is
 * closed to the broker.
 */
int ReadOpenHow(const Target& target, uint64_t address, uint64_t size, struct open_how* how);

/** The errno the kernel's flag checks give `how` (openat2), or 0 when they pass. */
int KernelRefusesOpenHow(const struct open_how& how);

/** The same for open, openat and creat (their flags are masked as those syscalls mask them). */
int KernelRefusesOpenFlags(uint64_t flags, uint64_t mode);

}  // namespace zviz::broker

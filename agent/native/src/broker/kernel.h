// Kernel interfaces the broker uses that Debian's headers or glibc 2.36 lack
// or wrap in ways we do not want (raw syscalls keep per-thread semantics and
// are async-signal-safe in a freshly cloned child).
#pragma once

#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

// Linux 6.6: answer on the waiter's CPU (synchronous supervisors).
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
// Linux 6.9: a pidfd for one thread (signals still kill the whole process).
#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT 0x40000000
#endif
// Linux 6.8: mount ids that are never reused, and listing a namespace's mounts.
#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif
#ifndef SYS_statmount
#define SYS_statmount 457
#endif
#ifndef SYS_listmount
#define SYS_listmount 458
#endif
#ifndef LSMT_ROOT
#define LSMT_ROOT 0xffffffffffffffffULL
#endif

namespace zviz::sys {

/** The kernel's struct statx up to the mount id (glibc 2.36's copy hides stx_mnt_id in padding). */
struct Statx {
  uint32_t mask;
  uint32_t blksize;
  uint64_t attributes;
  uint32_t nlink;
  uint32_t uid;
  uint32_t gid;
  uint16_t mode;
  uint16_t pad1;
  uint64_t ino;
  uint64_t size;
  uint64_t blocks;
  uint64_t attributes_mask;
  struct {
    int64_t sec;
    uint32_t nsec;
    int32_t reserved;
  } atime, btime, ctime, mtime;
  uint32_t rdev_major;
  uint32_t rdev_minor;
  uint32_t dev_major;
  uint32_t dev_minor;
  uint64_t mnt_id;
  uint64_t spare[13];  // the rest of the kernel's 256 bytes
};
static_assert(sizeof(Statx) == 256, "struct statx is 256 bytes");

/** statx of an open descriptor (AT_EMPTY_PATH); 0 or -1 with errno. */
inline int StatxFd(int fd, unsigned mask, Statx* out) {
  return static_cast<int>(::syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, mask, out));
}

/** listmount(2)'s request (version 0: the caller's own mount namespace). */
struct MntIdReq {
  uint32_t size;
  uint32_t spare;
  uint64_t mnt_id;
  uint64_t param;
};

inline long Listmount(const MntIdReq* req, uint64_t* ids, size_t count) {
  return ::syscall(SYS_listmount, req, ids, count, 0);
}

inline long Seccomp(unsigned op, unsigned flags, void* args) { return ::syscall(SYS_seccomp, op, flags, args); }

inline int PidfdOpen(pid_t pid, unsigned flags) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, flags)); }

inline int PidfdSendSignal(int pidfd, int sig) {
  return static_cast<int>(::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

inline int Openat2(int dirfd, const char* path, struct open_how* how) {
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, how, sizeof(*how)));
}

inline long Clone3(struct clone_args* args) { return ::syscall(SYS_clone3, args, sizeof(*args)); }

inline int CloseRange(unsigned first, unsigned last, unsigned flags) {
  return static_cast<int>(::syscall(SYS_close_range, first, last, flags));
}

// Credentials of the calling thread only (glibc's wrappers change every
// thread of the process).
inline int ThreadSetfsuid(uid_t uid) { return static_cast<int>(::syscall(SYS_setfsuid, uid)); }
inline int ThreadSetfsgid(gid_t gid) { return static_cast<int>(::syscall(SYS_setfsgid, gid)); }
inline int ThreadUnshare(int flags) { return static_cast<int>(::syscall(SYS_unshare, flags)); }

inline int Tgkill(pid_t tgid, pid_t tid, int sig) { return static_cast<int>(::syscall(SYS_tgkill, tgid, tid, sig)); }
inline pid_t Gettid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

}  // namespace zviz::sys

// The task behind one notification, as the supervisor sees it: its memory
// (read, never written), its /proc entries in the agent's /proc (HostProc:
// thread ids are the agent's), and the
// notification's validity. Anything read from the target is only trusted
// after Valid() confirms, afterwards, that the notification (and so the
// thread id) still belongs to the same blocked task.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "broker/proc_status.h"

namespace zviz::broker {

/** An int argument of a notification (a descriptor, AT_FDCWD): the kernel reads only its low 32 bits. */
inline int32_t ArgInt(uint64_t raw) { return static_cast<int32_t>(static_cast<uint32_t>(raw)); }

class Target {
 public:
  Target(int listener, uint64_t id, pid_t tid) : listener_(listener), id_(id), tid_(tid) {}

  pid_t tid() const { return tid_; }
  uint64_t id() const { return id_; }

  /** SECCOMP_IOCTL_NOTIF_ID_VALID: the task is still blocked in this very syscall. */
  bool Valid() const;

  /**
   * Reads exactly `len` bytes; 0 or -errno. Reading, and the /proc entries
   * below, work for a task that made itself non-dumpable too (thread_caps.h).
   */
  int Read(uint64_t address, void* buffer, size_t len) const;

  /** Reads a NUL-terminated string of at most `max` bytes; 0, -EFAULT, or -ENAMETOOLONG. */
  int ReadString(uint64_t address, size_t max, std::string* out) const;

  /** The thread group id (process id) of the task, from /proc; -errno on failure. */
  pid_t Tgid() const;

  /** The task's /proc/<tid>/status; false when it is gone. */
  bool Status(TaskStatus* out) const;
  /** Status, with the task's file credentials (fsuid, fsgid, groups, CapEff); false when any is missing. */
  bool Credentials(TaskStatus* out) const;

  /**
   * The inode of the task's user namespace (/proc/<tid>/ns/user, followed
   * as a peer, with CAP_SYS_PTRACE raised when it is closed without); 0 with
   * errno when it cannot be read (the task is gone, or the entry is closed).
   */
  uint64_t UserNamespace() const;

  /** Opens /proc/<tid>/`what` (root, cwd, fd/N: the task's own magic links, followed as a peer); -1 with errno. */
  int OpenEntry(const char* what, int flags) const;

  /**
   * Whether the task's descriptor table has a free number below its
   * RLIMIT_NOFILE, which the kernel takes before it looks at a path: an open
   * that could not be installed must not create, truncate or open anything.
   * True when it cannot be told (the task is gone, /proc refused).
   */
  bool HasFreeDescriptor() const;

 private:
  int ReadOnce(uint64_t address, void* buffer, size_t len) const;
  int ReadStringOnce(uint64_t address, size_t max, std::string* out) const;

  int listener_;
  uint64_t id_;
  pid_t tid_;
};

}  // namespace zviz::broker

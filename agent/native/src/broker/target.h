// The task behind one notification, as the supervisor sees it: its memory
// (read, never written) and the notification's validity. Anything read from
// the target is only trusted after Valid() confirms, afterwards, that the
// notification (and so the thread id) still belongs to the same blocked task.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace zviz::broker {

class Target {
 public:
  Target(int listener, uint64_t id, pid_t tid) : listener_(listener), id_(id), tid_(tid) {}

  pid_t tid() const { return tid_; }
  uint64_t id() const { return id_; }

  /** SECCOMP_IOCTL_NOTIF_ID_VALID: the task is still blocked in this very syscall. */
  bool Valid() const;

  /** Reads exactly `len` bytes; 0 or -errno. */
  int Read(uint64_t address, void* buffer, size_t len) const;

  /** Reads a NUL-terminated string of at most `max` bytes; 0, -EFAULT, or -ENAMETOOLONG. */
  int ReadString(uint64_t address, size_t max, std::string* out) const;

  /** The thread group id (process id) of the task, from /proc; -errno on failure. */
  pid_t Tgid() const;

  /** A field of /proc/<tid>/status as an integer ("Umask" is octal); -1 when missing. */
  long StatusField(const char* name, int base) const;

  /**
   * The task's id in its own PID namespace, from the last number of a
   * /proc/<tid>/status line ("NStgid": its process, "NSpid": its thread);
   * -ESRCH when it cannot be read.
   */
  pid_t NamespaceId(const char* field) const;

 private:
  /** Reads the /proc/<tid>/status line `name` into `out`; false when missing. */
  bool StatusLine(const char* name, char* out, size_t size) const;

  int listener_;
  uint64_t id_;
  pid_t tid_;
};

}  // namespace zviz::broker

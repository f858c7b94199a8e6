// Emulated opens: for open, openat, openat2 and creat whose decision depends
// on the path, the broker resolves the path itself (from the target's root,
// cwd or directory fd), decides on the resolved path, opens the file and
// installs the descriptor in the target atomically with the answer
// (SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND). The target's memory
// is read once; the file the rules saw is the file the target gets, whatever
// the workload writes into the path buffer afterwards.
//
// Symlinks: resolution follows them as the kernel would, and the rules match
// the fully resolved path (d_path of the opened object), so a link from an
// allowed directory to a forbidden file is judged as the forbidden file. A
// file created by O_CREAT is created by openat(parent, name, O_NOFOLLOW) in
// the resolved parent directory, so a link planted between check and use
// cannot redirect the creation; a dangling final link is followed explicitly,
// one hop at a time, each hop re-checked.
//
// "/proc/self", "/proc/thread-self", "/dev/fd", "/dev/std{in,out,err}",
// "/proc/mounts" and "/proc/net" name the opener; they are rewritten to the
// target's own /proc entries before resolution. A path that still reaches the
// broker's own /proc entry (through some other link) is refused with EACCES.
// /dev/tty (5:0) answers ENXIO: sandboxed workloads have no controlling
// terminal. A workload that chrooted is resolved inside its root with
// RESOLVE_IN_ROOT, which refuses magic links.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "broker/policy.h"
#include "broker/target.h"
#include "common/unique_fd.h"

namespace zviz::broker {

struct OpenRequest {
  int dirfd = -100;  // AT_FDCWD
  std::string path;
  uint64_t flags = 0;
  uint64_t mode = 0;
  uint64_t resolve = 0;  // openat2 only
};

/** Read for O_RDONLY without O_CREAT, O_TRUNC or O_TMPFILE (and for O_PATH); write otherwise. */
Access ClassifyOpen(uint64_t flags);

enum class OpenVerdict {
  kAnswer,    // answer `error` (a rule refused, or the open failed as it would have in the kernel)
  kInstall,   // install `fd` as the syscall's result
  kDeferred,  // a FIFO that may block: open `fd` (O_PATH) in a worker, then install
  kAbandon,   // the notification is gone (target died or was interrupted); answer nothing
};

struct OpenResult {
  OpenVerdict verdict = OpenVerdict::kAnswer;
  Outcome outcome;  // the rule outcome; kAnswer with a non-refusal outcome is an emulated failure
  int error = 0;
  UniqueFd fd;
  std::string resolved;
  std::string note;
};

/** Per supervisor thread: what that thread's own root looks like, to notice chrooted targets. */
class OpenEmulator {
 public:
  OpenEmulator(const Policy& policy, pid_t broker_pid, bool can_set_umask);

  OpenResult Run(const Target& target, uint16_t syscall, const OpenRequest& request) const;

  /** Opens a FIFO found by Run (blocking until the other end opens); -errno on failure. */
  static int OpenDeferred(int opath_fd, uint64_t flags);

 private:
  Outcome Check(uint16_t syscall, Access access, const std::string& path) const;
  void FinishExisting(const Target& target, uint16_t syscall, Access access, const OpenRequest& request,
                      UniqueFd object, OpenResult* result) const;
  int ApplyUmask(const Target& target) const;

  const Policy& policy_;
  std::string broker_proc_;  // "/proc/<agent pid>"
  bool can_set_umask_;
  struct stat root_ {};
  bool root_known_ = false;
};

/** What d_path says about an open descriptor ("/etc/passwd", "pipe:[123]", "/tmp/x (deleted)"). */
std::string FdPath(int fd);

/** `base` joined with `path`, "." and ".." removed lexically; for naming paths that do not resolve. */
std::string LexicalPath(const std::string& base, const std::string& path);

}  // namespace zviz::broker

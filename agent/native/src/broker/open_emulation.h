// Emulated opens: for open, openat, openat2 and creat whose decision depends
// on the path, the broker resolves the path itself, decides on the resolved
// path, opens the file and installs the descriptor in the target atomically
// with the answer (SECCOMP_IOCTL_NOTIF_ADDFD + SECCOMP_ADDFD_FLAG_SEND). The
// target's memory is read once; the file the rules saw is the file the target
// gets, whatever the workload writes into the path buffer afterwards.
//
// The broker never grants what the workload could not do itself
// (docs/security.md, "Emulated opens"):
// - it resolves from the workload's own root, cwd or descriptor, in the
//   workload's mount namespace, wearing the workload's capabilities;
// - PathResolver keeps the agent's own /proc entries out of reach (no magic
//   link followed for the broker; "self" means the workload; /proc/<pid> of
//   an agent thread refused);
// - every object it is about to install passes the invariant: it lives on a
//   mount of the workload's mount namespace, or it is exactly an object the
//   workload already holds (a reopen of its own descriptor). A trip is
//   refused (EACCES), counted as a broker error and audited with a note.
//
// Symlinks: resolution follows them as the kernel would, and the rules match
// the fully resolved path (d_path of the opened object), so a link from an
// allowed directory to a forbidden file is judged as the forbidden file. A
// file created by O_CREAT is created by openat(parent, name, O_NOFOLLOW) in
// the resolved parent directory, so a link planted between check and use
// cannot redirect the creation; a dangling final link is followed explicitly,
// one hop at a time, each hop re-checked. /dev/tty (5:0) answers ENXIO:
// sandboxed workloads have no controlling terminal. A device node the
// container's device list does not allow is refused (EPERM) before it is
// opened, judged by the inode's device number (devices.h).
#pragma once

#include <fcntl.h>
#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>

#include "broker/devices.h"
#include "broker/path_resolver.h"
#include "broker/policy.h"
#include "broker/target.h"
#include "broker/umask_tracker.h"
#include "broker/workload_mounts.h"
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

/** Why the broker itself refused, beyond the rules: how the supervisor counts it. */
enum class BrokerRefusal {
  kNone,
  kInvariant,    // the object lies outside the workload's mount namespace (or cannot be placed): a broker error
  kAgentEntry,   // the path names the agent's own /proc entries (or a task that cannot be told)
  kUnreachable,  // the workload made itself non-dumpable: its memory and /proc links are closed to the broker
  kUnsupported,  // an O_PATH descriptor cannot be installed (SECCOMP_IOCTL_NOTIF_ADDFD refuses it)
  kDevice,       // a device node the container's device list does not allow (devices.h): EPERM, as the kernel
};

struct OpenResult {
  OpenVerdict verdict = OpenVerdict::kAnswer;
  Outcome outcome;  // the rule outcome; kAnswer with a non-refusal outcome is an emulated failure
  int error = 0;
  UniqueFd fd;
  std::string resolved;
  std::string note;
  BrokerRefusal refusal = BrokerRefusal::kNone;
  /** Descriptors the emulation used (the judged O_PATH object, the base directory): closed after the answer, not before it. */
  UniqueFd held[2];
};

/** One per supervisor thread, built on that thread after it joined the workload's mount namespace. */
class OpenEmulator {
 public:
  /**
   * `proc`: a /proc directory descriptor of the agent's, opened before the
   * thread joined the workload's namespace (the workload's own /proc may
   * belong to another pid namespace). `root_fixed`: the workload can never
   * change its root (it has neither CAP_SYS_CHROOT nor CAP_SYS_ADMIN, or its
   * filter refuses chroot), so its root is opened once.
   */
  OpenEmulator(const Policy& policy, int proc, bool can_set_umask, bool root_fixed);

  /** The container's device list; until set, no device node is opened. */
  void set_devices(const DeviceList* devices) { devices_ = devices; }

  /**
   * The supervisor's stop flag: an open the wake signal interrupts is given
   * up (kAbandon) once it is set, instead of made again.
   */
  void set_stopping(const std::atomic<bool>* stopping) { stopping_ = stopping; }
  /** What the supervisor knows of the workload's umask: a create asks /proc only when it does not know. */
  void set_umask_tracker(UmaskTracker* umask) { umask_ = umask; }

  /**
   * Whether resolving `path` (no openat2 RESOLVE_* scope) opens any of the
   * task's own /proc entries: its root when that can change, its cwd for a
   * relative path. When not, no CAP_SYS_PTRACE is needed to resolve it.
   */
  bool ReachesTask(const std::string& path) const { return !root_fixed_ || path.empty() || path[0] != '/'; }

  /** False (with the reason) when the thread cannot check the invariant: the supervisor then fails closed. */
  bool Ready(std::string* why) const;

  /**
   * Before the first notification: the steps of an allowed open walked once
   * on the workload's root (resolved from itself, its file system noted,
   * reopened through this thread's descriptors and named by d_path), so a
   * container's first opens do not pay this thread's first use of them.
   * Nothing is kept open, judged or installed; only with a fixed root.
   */
  void Warm();

  OpenResult Run(const Target& target, uint16_t syscall, const OpenRequest& request);

  /**
   * For execve: resolves and judges `request` (O_PATH semantics) and opens
   * nothing; an object judged allowed is held in `held[0]` (O_PATH).
   */
  OpenResult Judge(const Target& target, uint16_t syscall, const OpenRequest& request);

  /** A new descriptor of the object `opath_fd` holds, opened for reading; -errno. */
  int ReopenForReading(int opath_fd) const { return ReopenFifo(proc_, opath_fd, O_RDONLY | O_NONBLOCK); }

  /** Opens a FIFO found by Run, blocking until the other end opens; -errno (-EINTR when a signal interrupts it). */
  static int ReopenFifo(int proc, int opath_fd, uint64_t flags);

  /** What d_path says about one of this thread's descriptors ("/etc/passwd", "pipe:[123]"). */
  std::string FdPath(int fd) const;

 private:
  struct Bases;
  OpenResult Resolve(const Target& target, uint16_t syscall, const OpenRequest& request, bool judge_only);
  Outcome Check(uint16_t syscall, Access access, const std::string& path) const;
  bool Outside(const Resolved& object);
  void FinishExisting(const Target& target, uint16_t syscall, Access access, const OpenRequest& request,
                      const std::string& resolved_path, Resolved object, bool judge_only, OpenResult* result);
  /** The path the rules judge for `object`, found by `path`: the path itself when literal, else d_path. */
  std::string ObjectPath(const Resolved& object, const std::string& path) const;
  int ApplyUmask(const Target& target) const;

  const Policy& policy_;
  int proc_;
  bool can_set_umask_;
  bool root_fixed_;
  /** Whether a descriptor a create opened by name may be installed (the device list). */
  bool CreatedAllowed(int fd, uint64_t flags) const;

  const DeviceList* devices_ = nullptr;
  UmaskTracker* umask_ = nullptr;
  const std::atomic<bool>* stopping_ = nullptr;
  UniqueFd own_fds_;  // this thread's /proc/thread-self/fd: names and reopens its own descriptors
  UniqueFd root_;     // the workload's root when root_fixed_
  WorkloadMounts mounts_;
  bool mounts_ready_ = false;
  PathResolver resolver_;
};

/** `base` joined with `path`, "." and ".." removed lexically; for naming paths that do not resolve. */
std::string LexicalPath(const std::string& base, const std::string& path);

/** An absolute path without "..", in the form d_path gives: no empty or "." component, no trailing slash. */
std::string CanonicalPath(const std::string& absolute);

}  // namespace zviz::broker

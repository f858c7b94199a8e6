#include "broker/spawn.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>

#include "broker/fdpass.h"
#include "broker/kernel.h"
#include "init/protocol.h"

namespace zviz::broker {
namespace {

/** Where a child failed, for the agent's error message. */
enum Step : int32_t {
  kStepSignals = 1,
  kStepSetsid,
  kStepCgroup,
  kStepMounts,
  kStepStdio,
  kStepCloseFds,
  kStepChdir,
  kStepCapabilities,
  kStepNoNewPrivs,
  kStepParentDeath,
  kStepSeccomp,
  kStepExec,
  kStepNetwork,
  kStepProc,
  kStepView,
  kStepFork,
  kStepInit,
  kStepHandOver,
  kStepKernelFiles,
  kStepIpc,
  kStepUserNamespace,
};

const char* StepName(int32_t step) {
  switch (step) {
    case kStepSignals: return "resetting signals";
    case kStepSetsid: return "setsid";
    case kStepCgroup: return "joining the container cgroup";
    case kStepMounts: return "setting up the mount namespace (read-only, writable and tmpfs paths)";
    case kStepStdio: return "setting up stdin/stdout/stderr";
    case kStepCloseFds: return "closing inherited descriptors";
    case kStepChdir: return "changing to the working directory";
    case kStepCapabilities: return "dropping capabilities";
    case kStepNoNewPrivs: return "PR_SET_NO_NEW_PRIVS";
    case kStepParentDeath: return "PR_SET_PDEATHSIG";
    case kStepSeccomp: return "installing the seccomp filter";
    case kStepExec: return "execve";
    case kStepNetwork: return "setting up the network namespace (loopback)";
    case kStepProc: return "mounting /proc for the PID namespace";
    case kStepView: return "building the allow-list file system view";
    case kStepFork: return "starting the workload under the container's init";
    case kStepInit: return "executing zviz-init";
    case kStepHandOver: return "handing the seccomp listener to the agent";
    case kStepKernelFiles: return "making /proc/sys, /sys and the cgroup file systems read-only";
    case kStepIpc: return "mounting the IPC namespace's /dev/shm and /dev/mqueue";
    case kStepUserNamespace: return "entering the container's user namespace";
    default: return "starting";
  }
}

/** Child-to-agent messages on the bootstrap socket (SOCK_SEQPACKET: one per read). */
enum MessageType : int32_t { kHello = 1, kListener, kFailure, kUserNamespace };
struct Message {
  int32_t type;
  int32_t a;  // kListener: the listener's descriptor; kFailure: the step
  int32_t b;  // kFailure: errno
};
constexpr char kGo = 'G';  // agent to workload: the listener is taken, go on
constexpr char kMapped = 'M';  // agent to workload: its user namespace's uid and gid maps are written

// Children's side. No allocation, no locks, no libc state beyond errno.

/** Reports a failure with write(2): the one call every profile allows after the filter too. */
[[noreturn]] void ChildFail(int sock, int32_t step) {
  Message m = {kFailure, step, errno};
  (void)write(sock, &m, sizeof(m));
  _exit(127);
}

struct ChildMount {
  const char* path;
  const char* link_target;  // allow-list: the host path is a symlink to this; copied as a symlink
  MountStep::Kind kind;
  bool under_tmpfs;  // host view: inside an earlier tmpfs step, so cloned before that tmpfs hides it
};

struct ChildPlan {
  const char* file;
  char* const* argv;
  char* const* envp;
  const char* cwd;
  int stdio[3];
  int sock;
  const int* cgroup_fds;
  size_t cgroup_count;
  const ChildMount* mounts;
  size_t mount_count;
  int* trees;  // one detached mount per entry (allow-list; host view: inside a tmpfs), filled by the child
  bool allow_list;
  bool pid_ns;
  bool net_none;
  int init_fd;      // zviz-init, opened O_PATH by the agent
  int report_sock;  // the init's end of the exit-report socket
  int agent_pidfd;  // to see whether the agent died before PR_SET_PDEATHSIG was armed
  int init_ready[2];  // the workload waits for EOF: the init has become zviz-init
  uint64_t caps;
  unsigned seccomp_flags;
  struct sock_fprog* prog;
  pid_t parent;
};

int SetAttr(int dirfd, const char* path, unsigned flags, uint64_t set, uint64_t clear) {
  struct mount_attr attr = {};
  attr.attr_set = set;
  attr.attr_clr = clear;
  return static_cast<int>(::syscall(SYS_mount_setattr, dirfd, path, flags, &attr, sizeof(attr)));
}

/** mkdir -p of `path` (or only of its parent directory). */
int MakeDirs(const char* path, bool include_last) {
  char buf[PATH_MAX];
  const size_t n = strlen(path);
  if (n == 0 || n >= sizeof(buf)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(buf, path, n + 1);
  for (size_t i = 1; i <= n; ++i) {
    if (buf[i] != '/' && buf[i] != '\0') {
      continue;
    }
    if (buf[i] == '\0' && !include_last) {
      break;
    }
    const char saved = buf[i];
    buf[i] = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
      return -1;
    }
    buf[i] = saved;
  }
  return 0;
}

/** An empty regular file (a mount point for a file), and its parents. */
int MakeFile(const char* path) {
  if (MakeDirs(path, false) != 0) {
    return -1;
  }
  const int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    return -1;
  }
  close(fd);
  return 0;
}

/** Attaches a detached mount (open_tree) at `path`, creating the mount point. */
int Attach(int tree, const char* path) {
  struct stat st;
  if (fstat(tree, &st) != 0) {
    return -1;
  }
  if ((S_ISDIR(st.st_mode) ? MakeDirs(path, true) : MakeFile(path)) != 0) {
    return -1;
  }
  return static_cast<int>(::syscall(SYS_move_mount, tree, "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH));
}

int MountTmpfs(const char* path, const char* options, unsigned long flags) {
  if (MakeDirs(path, true) != 0) {
    return -1;
  }
  return mount("tmpfs", path, "tmpfs", flags, options);
}

/** A path bound on itself (so that it is a mount of its own), then made read-only; missing paths are skipped. */
int ReadOnlyInPlace(const char* path) {
  const bool root = path[0] == '/' && path[1] == '\0';
  if (!root && mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
    return errno == ENOENT ? 0 : -1;
  }
  return SetAttr(AT_FDCWD, path, AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0);
}

/**
 * What every container runtime keeps out of a container's reach, whatever
 * the profile (runc's and crun's masked and read-only paths): the kernel's
 * tunables, the sysrq trigger and sysfs, which includes every cgroup file
 * system (release_agent, other groups' limits, cgroup.procs of the roots),
 * are read-only; files that only tell about the host's kernel are masked.
 * Made last, over whatever the profile mounted, so no writable entry of a
 * profile can open them up again; the workload has no CAP_SYS_ADMIN to undo
 * a mount, and a user namespace it makes inherits them locked.
 */
constexpr const char* kReadOnlyKernelPaths[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus",
                                                "/proc/fs", "/sys"};
constexpr const char* kMaskedKernelPaths[] = {"/proc/kcore",       "/proc/keys",       "/proc/timer_list",
                                              "/proc/sched_debug", "/proc/latency_stats", "/proc/acpi",
                                              "/proc/asound",      "/proc/scsi",       "/sys/firmware",
                                              "/sys/devices/virtual/powercap"};

/** Hides `path`: /dev/null bound over a file, an empty read-only tmpfs over a directory; missing paths are skipped. */
int Mask(const char* path) {
  struct stat st;
  if (lstat(path, &st) != 0) {
    return errno == ENOENT ? 0 : -1;
  }
  if (S_ISDIR(st.st_mode)) {
    return mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=0555");
  }
  return mount("/dev/null", path, nullptr, MS_BIND, nullptr);
}

void ProtectKernelFiles(int sock) {
  for (const char* path : kMaskedKernelPaths) {
    if (Mask(path) != 0) {
      ChildFail(sock, kStepKernelFiles);
    }
  }
  for (const char* path : kReadOnlyKernelPaths) {
    if (ReadOnlyInPlace(path) != 0) {
      ChildFail(sock, kStepKernelFiles);
    }
  }
}

/** The namespace's own /proc. */
void MountProc(int sock) {
  if (MakeDirs("/proc", true) != 0 ||
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    ChildFail(sock, kStepProc);
  }
}

/**
 * The host view's IPC file systems belong to the container's IPC namespace:
 * POSIX shared memory (/dev/shm) is a tmpfs of its own, and a message queue
 * file system (/dev/mqueue), where the host has one, is this namespace's.
 */
void PrivateIpcFiles(int sock) {
  struct stat st;
  if (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) &&
      mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    ChildFail(sock, kStepIpc);
  }
  if (stat("/dev/mqueue", &st) == 0 && S_ISDIR(st.st_mode) &&
      mount("mqueue", "/dev/mqueue", "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    ChildFail(sock, kStepIpc);
  }
}

/** The host view: the agent's tree with the profile's read-only, writable and tmpfs paths. */
void SetUpHostView(const ChildPlan& p, int sock) {
  if (p.pid_ns) {
    MountProc(sock);
  }
  PrivateIpcFiles(sock);
  // Paths inside a tmpfs of the view (a workspace under a private /tmp) are
  // held before the tmpfs hides them, then attached inside it.
  for (size_t i = 0; i < p.mount_count; ++i) {
    const ChildMount& m = p.mounts[i];
    p.trees[i] = -1;
    if (!m.under_tmpfs) {
      continue;
    }
    p.trees[i] = static_cast<int>(
        ::syscall(SYS_open_tree, AT_FDCWD, m.path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (p.trees[i] < 0 && errno != ENOENT) {
      ChildFail(sock, kStepMounts);
    }
  }
  for (size_t i = 0; i < p.mount_count; ++i) {
    const char* path = p.mounts[i].path;
    int rc = 0;
    if (p.mounts[i].under_tmpfs) {
      if (p.trees[i] >= 0) {
        const bool ro = p.mounts[i].kind == MountStep::Kind::kReadOnly;
        rc = SetAttr(p.trees[i], "", AT_EMPTY_PATH | AT_RECURSIVE, ro ? MOUNT_ATTR_RDONLY : 0, ro ? 0 : MOUNT_ATTR_RDONLY);
        if (rc == 0) {
          rc = Attach(p.trees[i], path);
        }
        close(p.trees[i]);
      }
      if (rc != 0) {
        ChildFail(sock, kStepMounts);
      }
      continue;
    }
    switch (p.mounts[i].kind) {
      case MountStep::Kind::kReadOnly:
        rc = ReadOnlyInPlace(path);
        break;
      case MountStep::Kind::kWritable:
        if (mount(path, path, nullptr, MS_BIND | MS_REC, nullptr) != 0) {
          rc = errno == ENOENT ? 0 : -1;  // nothing there to open up
        } else {
          rc = SetAttr(AT_FDCWD, path, AT_RECURSIVE, 0, MOUNT_ATTR_RDONLY);
        }
        break;
      case MountStep::Kind::kTmpfs:
        rc = mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
        if (rc != 0 && errno == ENOENT) {
          rc = 0;
        }
        break;
      case MountStep::Kind::kMask:
        rc = Mask(path);
        break;
    }
    if (rc != 0) {
      ChildFail(sock, kStepMounts);
    }
  }
  ProtectKernelFiles(sock);
}

constexpr const char* kDevices[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
constexpr size_t kDeviceCount = sizeof(kDevices) / sizeof(kDevices[0]);

/**
 * The allow-list view: every allowed host path is cloned (open_tree) while
 * the host's tree is still visible; then the root becomes an empty tmpfs
 * (pivot_root, the host's tree detached), the clones are attached at their
 * own paths, and /proc and a minimal /dev are added. The root itself ends
 * read-only: nothing exists in the view but what the profile lists.
 */
void SetUpAllowListView(const ChildPlan& p, int sock) {
  int devices[kDeviceCount];
  for (size_t i = 0; i < kDeviceCount; ++i) {
    devices[i] = static_cast<int>(
        ::syscall(SYS_open_tree, AT_FDCWD, kDevices[i], OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
    if (devices[i] < 0 && errno != ENOENT) {
      ChildFail(sock, kStepView);
    }
  }
  for (size_t i = 0; i < p.mount_count; ++i) {
    const ChildMount& m = p.mounts[i];
    p.trees[i] = -1;
    if (m.kind == MountStep::Kind::kTmpfs || m.kind == MountStep::Kind::kMask || m.link_target != nullptr) {
      continue;
    }
    const int tree = static_cast<int>(
        ::syscall(SYS_open_tree, AT_FDCWD, m.path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE));
    if (tree < 0) {
      if (errno == ENOENT) {
        continue;  // not on this host: not in the view either
      }
      ChildFail(sock, kStepView);
    }
    const bool ro = m.kind == MountStep::Kind::kReadOnly;
    if (SetAttr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, ro ? MOUNT_ATTR_RDONLY : 0, ro ? 0 : MOUNT_ATTR_RDONLY) != 0) {
      ChildFail(sock, kStepView);
    }
    p.trees[i] = tree;
  }
  // The new root: a tmpfs mounted over /tmp for the moment (everything
  // needed from the host is already held), made the root, the old one gone.
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0 || chdir("/tmp") != 0 ||
      mkdir("old-root", 0700) != 0 || ::syscall(SYS_pivot_root, ".", "old-root") != 0 || chdir("/") != 0 ||
      umount2("/old-root", MNT_DETACH) != 0 || rmdir("/old-root") != 0) {
    ChildFail(sock, kStepView);
  }
  for (size_t i = 0; i < p.mount_count; ++i) {
    const ChildMount& m = p.mounts[i];
    int rc = 0;
    if (m.kind == MountStep::Kind::kTmpfs) {
      rc = MountTmpfs(m.path, "mode=1777", MS_NOSUID | MS_NODEV);
    } else if (m.kind == MountStep::Kind::kMask) {
      rc = Mask(m.path);  // only where an allowed path holds it
    } else if (m.link_target != nullptr) {
      rc = MakeDirs(m.path, false);
      if (rc == 0 && symlink(m.link_target, m.path) != 0 && errno != EEXIST) {
        rc = -1;
      }
    } else if (p.trees[i] >= 0) {
      rc = Attach(p.trees[i], m.path);
      close(p.trees[i]);
    }
    if (rc != 0) {
      ChildFail(sock, kStepView);
    }
  }
  MountProc(sock);
  // /dev: the harmless devices, a pseudo-terminal instance of its own, its
  // own shared memory, and the usual links to /proc/self/fd.
  if (MountTmpfs("/dev", "mode=0755", MS_NOSUID | MS_NOEXEC) != 0) {
    ChildFail(sock, kStepView);
  }
  for (size_t i = 0; i < kDeviceCount; ++i) {
    if (devices[i] >= 0 && (Attach(devices[i], kDevices[i]) != 0 || close(devices[i]) != 0)) {
      ChildFail(sock, kStepView);
    }
  }
  if (MakeDirs("/dev/pts", true) != 0 ||
      mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") != 0 ||
      symlink("pts/ptmx", "/dev/ptmx") != 0 || MountTmpfs("/dev/shm", "mode=1777", MS_NOSUID | MS_NODEV | MS_NOEXEC) != 0 ||
      symlink("/proc/self/fd", "/dev/fd") != 0 || symlink("/proc/self/fd/0", "/dev/stdin") != 0 ||
      symlink("/proc/self/fd/1", "/dev/stdout") != 0 || symlink("/proc/self/fd/2", "/dev/stderr") != 0 ||
      SetAttr(AT_FDCWD, "/dev", 0, MOUNT_ATTR_RDONLY, 0) != 0) {
    ChildFail(sock, kStepView);
  }
  ProtectKernelFiles(sock);
  if (SetAttr(AT_FDCWD, "/", 0, MOUNT_ATTR_RDONLY, 0) != 0) {
    ChildFail(sock, kStepView);
  }
}

/** A private view of the mounts: nothing propagates back to the agent's namespace. */
void SetUpMounts(const ChildPlan& p, int sock) {
  if (sys::ThreadUnshare(CLONE_NEWNS) != 0 || mount(nullptr, "/", nullptr, MS_REC | MS_SLAVE, nullptr) != 0) {
    ChildFail(sock, kStepMounts);
  }
  if (p.allow_list) {
    SetUpAllowListView(p, sock);
  } else {
    SetUpHostView(p, sock);
  }
}

/** A network namespace of its own: only the loopback interface, brought up. */
void SetUpNetwork(int sock) {
  if (sys::ThreadUnshare(CLONE_NEWNET) != 0) {
    ChildFail(sock, kStepNetwork);
  }
  const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct ifreq ifr = {};
  memcpy(ifr.ifr_name, "lo", 3);
  if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    ChildFail(sock, kStepNetwork);
  }
  ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
    ChildFail(sock, kStepNetwork);
  }
  close(s);
}

/** Moves `fd` to the lowest free descriptor at or above 10 (close-on-exec). */
int Lift(int fd, int sock) {
  const int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (high < 0) {
    ChildFail(sock, kStepStdio);
  }
  return high;
}

/** Closes every descriptor from `first` up, except those in `keep` (at most 5, in any order). */
int CloseAllFrom(unsigned first, const int* keep, size_t count) {
  int sorted[5];
  count = std::min<size_t>(count, 5);
  std::copy(keep, keep + count, sorted);
  std::sort(sorted, sorted + count);  // no allocation for a handful of ints
  unsigned next = first;
  for (size_t i = 0; i < count; ++i) {
    const auto fd = static_cast<unsigned>(sorted[i]);
    if (fd > next && sys::CloseRange(next, fd - 1, 0) != 0) {
      return -1;
    }
    if (fd >= next) {
      next = fd + 1;
    }
  }
  return sys::CloseRange(next, ~0U, 0);
}

void Format(char* out, size_t size, long value) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value > 0 && n < sizeof(digits));
  size_t i = 0;
  while (n > 0 && i + 1 < size) {
    out[i++] = digits[--n];
  }
  out[i] = '\0';
}

/**
 * Moves the workload into a user namespace of its own, owned by a uid no
 * account uses (docs/security.md, "Who the workload is"). The kernel keeps
 * per-user counts (pending signals above all, also inotify instances and
 * POSIX message queue bytes) per user namespace and uid, charging every
 * level up to the namespace's owner: without a namespace of its own the
 * workload's root is counted as the node's root, and one owned by root would
 * still be charged to it. The owner is the number of the container's IPC
 * namespace, new for every container and unique among the living ones, so
 * containers share no count either. The agent writes an identity map, so
 * the workload is still uid 0 for files and signals; its capabilities count
 * in this namespace only, whose parent owns every other namespace it has.
 */
void EnterUserNamespace(int sock) {
  struct stat ipc;
  if (stat("/proc/self/ns/ipc", &ipc) != 0 || ipc.st_ino == 0 || ipc.st_ino >= UINT32_MAX) {
    ChildFail(sock, kStepUserNamespace);
  }
  const uid_t owner = static_cast<uid_t>(ipc.st_ino);
  // The owner is the creator's effective uid. Keep the effective
  // capabilities across that change: some hosts let only a capable creator
  // make a user namespace. The uid calls are raw syscalls: glibc's wrappers
  // would change every thread it believes this process has (it was cloned
  // from the agent's threads without glibc knowing) and wait on locks those
  // threads may have held.
  if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) != 0 ||
      ::syscall(SYS_setresuid, -1, owner, -1) != 0 || unshare(CLONE_NEWUSER) != 0) {
    ChildFail(sock, kStepUserNamespace);
  }
  Message ask = {kUserNamespace, 0, 0};
  char mapped = 0;
  if (write(sock, &ask, sizeof(ask)) != sizeof(ask) || read(sock, &mapped, 1) != 1 || mapped != kMapped) {
    _exit(127);
  }
  // Root of the new namespace is the node's uid 0 again (the identity map).
  // The namespace started with the default secure bits, so the workload
  // loses its capabilities when it changes uid, as anywhere.
  if (::syscall(SYS_setresuid, 0, 0, 0) != 0 || ::syscall(SYS_setresgid, 0, 0, 0) != 0) {
    ChildFail(sock, kStepUserNamespace);
  }
}

/** The workload: from the container's setup to execve under the filter. */
[[noreturn]] void WorkloadMain(const ChildPlan& p) {
  int sock = p.sock;
  // Under an init, a session (and process group) of its own, as without one.
  if (p.pid_ns && setsid() < 0) {
    ChildFail(sock, kStepSetsid);
  }
  // Lift the descriptors we keep above 2 first, so placing stdio cannot
  // overwrite one of them.
  if (p.pid_ns) {
    close(p.init_ready[1]);  // only the init holds the write end
  }
  int moved[3];
  for (int i = 0; i < 3; ++i) {
    moved[i] = Lift(p.stdio[i], sock);
  }
  sock = Lift(sock, sock);
  for (int i = 0; i < 3; ++i) {
    if (dup3(moved[i], i, 0) < 0) {  // not close-on-exec: these are the workload's
      ChildFail(sock, kStepStdio);
    }
  }
  // Nothing of the agent's survives but stdio and the bootstrap socket
  // (close-on-exec itself).
  int ready = p.pid_ns ? Lift(p.init_ready[0], sock) : -1;
  int keep[2] = {sock, ready};
  if (CloseAllFrom(3, keep, p.pid_ns ? 2 : 1) != 0) {
    ChildFail(sock, kStepCloseFds);
  }
  if (p.cwd[0] != '\0' && chdir(p.cwd) != 0) {
    ChildFail(sock, kStepChdir);
  }
  // Before the capabilities are dropped: a new user namespace starts with
  // every capability (in it), and the bounding set is cut down from there.
  EnterUserNamespace(sock);
  for (int cap = 0; cap <= 63; ++cap) {
    if ((p.caps & (1ULL << cap)) != 0) {
      continue;
    }
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL) {
      ChildFail(sock, kStepCapabilities);
    }
  }
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL) {
    ChildFail(sock, kStepCapabilities);
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {};
  data[0].effective = data[0].permitted = static_cast<uint32_t>(p.caps);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(p.caps >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) {
    ChildFail(sock, kStepCapabilities);
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    ChildFail(sock, kStepNoNewPrivs);
  }
  // It dies with its parent: the agent, or the init (whose death ends the
  // whole namespace anyway).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    ChildFail(sock, kStepParentDeath);
  }
  if (getppid() != (p.pid_ns ? 1 : p.parent)) {
    _exit(127);  // the parent died before PDEATHSIG was armed
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) {
    ChildFail(sock, kStepSignals);
  }
  // PID 1 must be zviz-init, not the copy of the agent it was forked from,
  // before the workload can look at it: the init's end of this pipe closes
  // when it executes zviz-init (or dies).
  if (ready >= 0) {
    char none;
    ssize_t n;
    while ((n = read(ready, &none, 1)) < 0 && errno == EINTR) {
    }
    if (n != 0) {
      ChildFail(sock, kStepInit);
    }
    close(ready);
  }
  // The agent takes the listener with pidfd_getfd through a pidfd of this
  // process; the mount namespace travels along, since once the workload has
  // exited /proc/<pid>/ns/mnt is gone and the supervisor still needs it.
  int fds[2] = {sys::PidfdOpen(getpid(), 0), -1};
  if (fds[0] < 0) {
    ChildFail(sock, kStepHandOver);
  }
  fds[1] = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
  if (fds[1] < 0) {
    ChildFail(sock, kStepMounts);
  }
  Message hello = {kHello, 0, 0};
  if (SendWithFds(sock, &hello, sizeof(hello), fds, 2) != sizeof(hello)) {
    ChildFail(sock, kStepHandOver);
  }
  close(fds[0]);
  close(fds[1]);
  const long listener = sys::Seccomp(SECCOMP_SET_MODE_FILTER, p.seccomp_flags, p.prog);
  if (listener < 0) {
    ChildFail(sock, kStepSeccomp);
  }
  // From here on every syscall passes the filter; profiles must allow write,
  // read, execve and exit_group without brokering (the profile checker
  // insists). The agent holds its own copy of the listener once it says go.
  Message number = {kListener, static_cast<int32_t>(listener), 0};
  char go = 0;
  if (write(sock, &number, sizeof(number)) != sizeof(number) || read(sock, &go, 1) != 1 || go != kGo) {
    _exit(127);
  }
  execve(p.file, p.argv, p.envp);
  ChildFail(sock, kStepExec);
}

/** The first process: the container's setup, then the workload itself or, with a PID namespace, its init. */
[[noreturn]] void FirstMain(const ChildPlan& p) {
  const int sock = p.sock;
  // Handlers of the agent make no sense here (and libuv's would write into
  // the agent's own pipes); ignored signals would stay ignored across exec.
  // All signals stay blocked: the workload unblocks them just before its
  // filter goes on, the init never does.
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGKILL || sig == SIGSTOP || (sig >= 32 && sig < SIGRTMIN)) {
      continue;  // glibc keeps 32 and 33 for itself
    }
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    if (sigaction(sig, &sa, nullptr) != 0 && errno != EINVAL) {
      ChildFail(sock, kStepSignals);
    }
  }
  if (setsid() < 0) {
    ChildFail(sock, kStepSetsid);
  }
  for (size_t i = 0; i < p.cgroup_count; ++i) {
    // "0" moves the writing thread (v1 tasks: this process, single-threaded;
    // v2 cgroup.procs: the process).
    if (write(p.cgroup_fds[i], "0", 1) != 1) {
      ChildFail(sock, kStepCgroup);
    }
  }
  if (p.pid_ns) {
    // The init dies with the agent, and the kernel then kills every process
    // of the namespace. Its parent is outside the namespace (getppid() is 0),
    // so a pidfd of the agent tells whether it is already gone.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
      ChildFail(sock, kStepParentDeath);
    }
    struct pollfd agent = {p.agent_pidfd, POLLIN, 0};
    if (poll(&agent, 1, 0) != 0) {
      _exit(127);
    }
  }
  if (p.net_none) {
    SetUpNetwork(sock);
  }
  SetUpMounts(p, sock);
  if (!p.pid_ns) {
    WorkloadMain(p);
  }
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) {
    ChildFail(sock, kStepFork);
  }
  ChildPlan workload_plan = p;
  workload_plan.init_ready[0] = ready[0];
  workload_plan.init_ready[1] = ready[1];
  struct clone_args args = {};
  args.exit_signal = SIGCHLD;
  const long workload = sys::Clone3(&args);
  if (workload == 0) {
    WorkloadMain(workload_plan);
  }
  if (workload < 0) {
    ChildFail(sock, kStepFork);
  }
  // zviz-init gets the report socket and the agent's pidfd as descriptors 3
  // and 4, and nothing else of ours but close-on-exec descriptors (the
  // bootstrap socket, to report a failed exec, zviz-init itself, and the
  // write end of the pipe the workload waits on).
  close(ready[0]);
  int keep[5] = {Lift(sock, sock), Lift(p.init_fd, sock), Lift(p.report_sock, sock), Lift(p.agent_pidfd, sock),
                 Lift(ready[1], sock)};
  if (dup3(keep[2], ZVIZ_INIT_REPORT_FD, 0) < 0 || dup3(keep[3], ZVIZ_INIT_AGENT_FD, 0) < 0) {
    kill(static_cast<pid_t>(workload), SIGKILL);
    ChildFail(sock, kStepInit);
  }
  keep[2] = ZVIZ_INIT_REPORT_FD;
  keep[3] = ZVIZ_INIT_AGENT_FD;
  if (sys::CloseRange(0, ZVIZ_INIT_REPORT_FD - 1, 0) != 0 || CloseAllFrom(ZVIZ_INIT_REPORT_FD, keep, 5) != 0) {
    kill(static_cast<pid_t>(workload), SIGKILL);
    ChildFail(keep[0], kStepCloseFds);
  }
  // The init stays in the node's user namespace as uid 0, and the workload
  // may signal it: a signal it blocks (all of them) would be queued and
  // counted as the node root's. With no pending signals allowed, the kernel
  // still marks each one pending (only its siginfo, which the init never
  // reads, is dropped), and an RT signal queued with sigqueue is refused.
  const struct rlimit no_queue = {0, 0};
  if (setrlimit(RLIMIT_SIGPENDING, &no_queue) != 0) {
    kill(static_cast<pid_t>(workload), SIGKILL);
    ChildFail(keep[0], kStepSignals);
  }
  char pid[16];
  Format(pid, sizeof(pid), workload);
  char name[] = "zviz-init";
  char* const argv[] = {name, pid, nullptr};
  char* const envp[] = {nullptr};
  ::syscall(SYS_execveat, keep[1], "", argv, envp, AT_EMPTY_PATH);
  kill(static_cast<pid_t>(workload), SIGKILL);
  ChildFail(keep[0], kStepInit);
}

/**
 * Waits for one message on the bootstrap socket; `fds` receives SCM_RIGHTS,
 * `sender` the SCM_CREDENTIALS pid, `closed` whether the other end closed
 * without a word (every process holding it died).
 */
std::string Receive(int sock, Message* m, UniqueFd* fds, size_t max_fds, pid_t* sender, bool* closed = nullptr) {
  struct pollfd pfd = {sock, POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, 10'000);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    return ready == 0 ? "the workload did not install its filter within 10 s" : std::string("poll: ") + strerror(errno);
  }
  Received received = ReceiveWithFds(sock, m, sizeof(*m), 0);
  if (received.bytes < 0) {
    return std::string("recvmsg: ") + strerror(received.error);
  }
  for (size_t i = 0; i < received.fds.size() && i < max_fds; ++i) {
    fds[i] = std::move(received.fds[i]);  // any beyond `max_fds` are closed with `received`
  }
  if (sender != nullptr) {
    *sender = received.sender;  // -1 without SCM_CREDENTIALS
  }
  const ssize_t n = received.bytes;
  if (n == 0) {
    if (closed != nullptr) {
      *closed = true;
    }
    return "the workload exited before installing its filter";
  }
  if (n != sizeof(*m)) {
    return "unexpected message from the starting workload";
  }
  if (m->type == kFailure) {
    errno = m->b;
    return std::string(StepName(m->a)) + ": " + strerror(m->b);
  }
  return {};
}

/**
 * Writes the identity uid and gid maps of the user namespace the starting
 * workload `pid` (as the agent numbers it, from SCM_CREDENTIALS) just made:
 * only a writer with CAP_SETUID and CAP_SETGID over the parent namespace may
 * map more than its own uid. The workload waits for the answer, so the pid
 * cannot be reused meanwhile.
 */
std::string MapUserNamespace(pid_t pid) {
  if (pid <= 0) {
    return "the workload's user namespace request carried no pid";
  }
  static const char kIdentity[] = "0 0 4294967295\n";
  for (const char* file : {"uid_map", "gid_map"}) {
    const std::string path = "/proc/" + std::to_string(pid) + "/" + file;
    UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd || write(fd.get(), kIdentity, sizeof(kIdentity) - 1) != static_cast<ssize_t>(sizeof(kIdentity) - 1)) {
      return "writing " + path + " for the workload's user namespace: " + strerror(errno);
    }
  }
  return {};
}

/**
 * The agent's side of the bootstrap: the workload's pidfd and mount
 * namespace, then the listener's number; the listener taken with
 * pidfd_getfd; then "go".
 */
std::string TakeListener(int sock, Spawned* out, bool* closed_before_hello) {
  Message hello = {};
  UniqueFd fds[2];
  pid_t sender = -1;
  if (auto e = Receive(sock, &hello, fds, 2, &sender, closed_before_hello); !e.empty()) {
    return e;
  }
  if (hello.type == kUserNamespace) {
    if (auto e = MapUserNamespace(sender); !e.empty()) {
      return e;
    }
    const char mapped = kMapped;
    if (send(sock, &mapped, 1, MSG_NOSIGNAL) != 1) {
      return std::string("telling the workload its user namespace is ready: ") + strerror(errno);
    }
    sender = -1;
    if (auto e = Receive(sock, &hello, fds, 2, &sender); !e.empty()) {
      return e;
    }
  }
  if (hello.type != kHello || !fds[0]) {
    return "unexpected message from the starting workload";
  }
  out->workload_pid = sender;
  out->mount_ns = std::move(fds[1]);
  Message number = {};
  if (auto e = Receive(sock, &number, nullptr, 0, nullptr); !e.empty()) {
    return e;
  }
  if (number.type != kListener) {
    return "unexpected message from the starting workload";
  }
  out->listener.reset(static_cast<int>(::syscall(SYS_pidfd_getfd, fds[0].get(), number.a, 0)));
  if (!out->listener) {
    return std::string("taking the seccomp listener from the workload (pidfd_getfd): ") + strerror(errno) +
           (errno == EPERM ? " (a Yama ptrace_scope of 3 forbids it)" : "");
  }
  const char go = kGo;
  if (send(sock, &go, 1, MSG_NOSIGNAL) != 1) {
    out->listener.reset();
    return std::string("telling the workload to start: ") + strerror(errno);
  }
  return {};
}

void KillAndWait(Spawned* out) {
  sys::PidfdSendSignal(out->pidfd.get(), SIGKILL);
  siginfo_t info;
  while (waitid(P_PIDFD, static_cast<id_t>(out->pidfd.get()), &info, WEXITED) < 0 && errno == EINTR) {
  }
  out->pidfd.reset();
  out->pid = -1;
  out->listener.reset();
  out->mount_ns.reset();
}

}  // namespace

std::string DefaultInitPath() {
  Dl_info info = {};
  if (dladdr(reinterpret_cast<void*>(&DefaultInitPath), &info) == 0 || info.dli_fname == nullptr) {
    return {};
  }
  std::string path = info.dli_fname;
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string("zviz-init") : path.substr(0, slash + 1) + "zviz-init";
}

namespace {

/**
 * One attempt. `into_v2`: the first process is cloned into the v2 cgroup
 * (CLONE_INTO_CGROUP) instead of writing its cgroup.procs; `killed_at_birth`
 * says when such a child was killed before it said a word.
 */
std::string SpawnOnce(const SpawnRequest& request, bool into_v2, bool* killed_at_birth, Spawned* out) {
  if (request.program == nullptr || request.argv.empty()) {
    return "nothing to run";
  }
  for (int fd : request.stdio) {
    if (fd < 0) {
      return "stdin, stdout and stderr must be open descriptors";
    }
  }
  // Everything the children need, prepared here: they must not allocate.
  std::vector<char*> argv;
  for (const std::string& a : request.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : request.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::vector<std::string> link_targets(request.mounts.size());
  std::vector<ChildMount> mounts;
  for (size_t i = 0; i < request.mounts.size(); ++i) {
    const MountStep& step = request.mounts[i];
    if (step.path.empty() || step.path[0] != '/' || step.path.size() >= PATH_MAX) {
      return "mount paths must be absolute: " + step.path;
    }
    ChildMount m = {step.path.c_str(), nullptr, step.kind, false};
    // A mask under a private tmpfs has nothing to hide there: the host's directory is not in the view.
    for (size_t j = 0; j < i && step.kind != MountStep::Kind::kTmpfs && step.kind != MountStep::Kind::kMask; ++j) {
      const std::string& outer = request.mounts[j].path;
      if (request.mounts[j].kind == MountStep::Kind::kTmpfs && step.path.size() > outer.size() &&
          step.path.compare(0, outer.size(), outer) == 0 && (outer == "/" || step.path[outer.size()] == '/')) {
        m.under_tmpfs = true;  // a workspace under a private /tmp
      }
    }
    // The allow-list view keeps the host's symlinks (/lib -> usr/lib) as links.
    struct stat st;
    if (request.allow_list && step.kind != MountStep::Kind::kTmpfs && step.kind != MountStep::Kind::kMask && lstat(step.path.c_str(), &st) == 0 &&
        S_ISLNK(st.st_mode)) {
      char target[PATH_MAX];
      const ssize_t n = readlink(step.path.c_str(), target, sizeof(target) - 1);
      if (n > 0) {
        link_targets[i].assign(target, static_cast<size_t>(n));
        m.link_target = link_targets[i].c_str();
      }
    }
    mounts.push_back(m);
  }
  std::vector<int> trees(mounts.size(), -1);
  struct sock_fprog prog = {static_cast<unsigned short>(request.program->size()),
                            const_cast<struct sock_filter*>(request.program->data())};

  // Joining a cgroup by writing to cgroup.procs takes the kernel's global
  // threadgroup lock for writing, which first waits for an RCU grace period
  // (5 to 30 ms on a loaded 2-core machine, at every start); moving only the
  // writing thread ("0" to a v1 tasks file) takes no such lock, nor does a
  // clone into a cgroup. So the first process joins the v1 cgroups by their
  // tasks files while it is still single-threaded (all of it moves), and the
  // v2 cgroup by CLONE_INTO_CGROUP; where that cannot be used (SpawnWorkload),
  // by writing its cgroup.procs.
  std::vector<UniqueFd> cgroups;
  std::vector<int> cgroup_raw;
  std::vector<std::string> join_files;
  for (const std::string& procs : request.cgroup_v1_procs) {
    static const std::string kProcs = "/cgroup.procs";
    if (procs.size() <= kProcs.size() || procs.compare(procs.size() - kProcs.size(), kProcs.size(), kProcs) != 0) {
      return "not a cgroup.procs file: " + procs;
    }
    join_files.push_back(procs.substr(0, procs.size() - kProcs.size()) + "/tasks");
  }
  UniqueFd v2_dir;
  if (!request.cgroup_v2.empty()) {
    if (into_v2) {
      v2_dir.reset(open(request.cgroup_v2.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
      if (!v2_dir) {
        return "cannot open " + request.cgroup_v2 + ": " + strerror(errno);
      }
    } else {
      join_files.insert(join_files.begin(), request.cgroup_v2 + "/cgroup.procs");
    }
  }
  for (const std::string& file : join_files) {
    UniqueFd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) {
      return "cannot open " + file + ": " + strerror(errno);
    }
    cgroup_raw.push_back(fd.get());
    cgroups.push_back(std::move(fd));
  }
  UniqueFd init;
  UniqueFd agent;
  UniqueFd report_ours;
  UniqueFd report_theirs;
  if (request.pid_namespace) {
    const std::string path = request.init_path.empty() ? DefaultInitPath() : request.init_path;
    init.reset(open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!init) {
      return "cannot open the containers' init " + path + ": " + strerror(errno) +
             " (it is built with the broker addon: npm run build)";
    }
    agent.reset(sys::PidfdOpen(getpid(), 0));
    int pair[2];
    if (!agent || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
      return std::string("preparing the container's init: ") + strerror(errno);
    }
    report_ours.reset(pair[0]);
    report_theirs.reset(pair[1]);
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
    return std::string("socketpair: ") + strerror(errno);
  }
  UniqueFd ours(pair[0]);
  UniqueFd theirs(pair[1]);
  // The workload's pid, as the agent sees it, comes with its first message.
  const int on = 1;
  if (setsockopt(ours.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0) {
    return std::string("SO_PASSCRED: ") + strerror(errno);
  }

  ChildPlan plan = {};
  plan.file = request.file.c_str();
  plan.argv = argv.data();
  plan.envp = envp.data();
  plan.cwd = request.cwd.c_str();
  for (int i = 0; i < 3; ++i) plan.stdio[i] = request.stdio[i];
  plan.sock = theirs.get();
  plan.cgroup_fds = cgroup_raw.data();
  plan.cgroup_count = cgroup_raw.size();
  plan.mounts = mounts.data();
  plan.mount_count = mounts.size();
  plan.trees = trees.data();
  plan.allow_list = request.allow_list;
  plan.pid_ns = request.pid_namespace;
  plan.net_none = request.network_none;
  plan.init_fd = init.get();
  plan.report_sock = report_theirs.get();
  plan.agent_pidfd = agent.get();
  plan.caps = request.capabilities;
  plan.seccomp_flags = SECCOMP_FILTER_FLAG_NEW_LISTENER |
                       (request.wait_killable_recv ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
  plan.prog = &prog;
  plan.parent = getpid();

  // No signal may run an agent handler in the child before it resets them.
  sigset_t all, saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  int pidfd = -1;
  struct clone_args args = {};
  // Every container has its own IPC namespace: System V IPC and POSIX message
  // queues of the host (and of other containers) are out of reach, and what
  // the workload makes ends with the container.
  args.flags = CLONE_PIDFD | CLONE_NEWIPC | (request.pid_namespace ? CLONE_NEWPID : 0);
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (v2_dir) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(v2_dir.get());
  }
  long pid = sys::Clone3(&args);
  if (pid == 0) {
    FirstMain(plan);
  }
  const int clone_error = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  if (pid < 0) {
    return std::string("clone3: ") + strerror(clone_error);
  }
  out->pid = static_cast<pid_t>(pid);
  out->pidfd.reset(pidfd);
  theirs.reset();
  report_theirs.reset();
  cgroups.clear();
  v2_dir.reset();

  bool closed = false;
  if (auto error = TakeListener(ours.get(), out, &closed); !error.empty()) {
    if (into_v2 && closed) {
      // Every holder of the socket is gone or going: see how the first
      // process ended (its pidfd turns readable when it has).
      struct pollfd ended = {out->pidfd.get(), POLLIN, 0};
      siginfo_t info = {};
      if (poll(&ended, 1, 1000) == 1 &&
          waitid(P_PIDFD, static_cast<id_t>(out->pidfd.get()), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_code == CLD_KILLED && info.si_status == SIGKILL) {
        *killed_at_birth = true;
      }
    }
    KillAndWait(out);
    return error;
  }
  if (!out->mount_ns) {
    KillAndWait(out);
    return "the workload did not send its mount namespace";
  }
  if (!request.pid_namespace) {
    out->workload_pid = out->pid;
  }
  out->status = std::move(ours);
  out->exit_report = std::move(report_ours);
  return {};
}

}  // namespace

std::string SpawnWorkload(const SpawnRequest& request, Spawned* out) {
  // Not into a cgroup that once had cgroup.kill written: on Linux 6.18 the
  // child is then killed at birth (the clone compares the target's kill
  // sequence number with the one of the parent's own cgroup). A restarted
  // container's cgroup was killed at the end of its last run; a first start
  // whose child dies so all the same (the agent's own cgroup was killed once)
  // is tried again by cgroup.procs.
  const bool into_v2 = !request.cgroup_v2.empty() && request.cgroup_v2_fresh;
  bool killed_at_birth = false;
  std::string error = SpawnOnce(request, into_v2, &killed_at_birth, out);
  if (!error.empty() && killed_at_birth) {
    error = SpawnOnce(request, false, &killed_at_birth, out);
  }
  return error;
}

int AwaitExec(int status_fd, int timeout_ms) {
  struct pollfd pfd = {status_fd, POLLIN, 0};
  int ready;
  do {
    ready = poll(&pfd, 1, timeout_ms);
  } while (ready < 0 && errno == EINTR);
  if (ready <= 0) {
    return -1;
  }
  Message m = {};
  ssize_t n;
  do {
    n = recv(status_fd, &m, sizeof(m), 0);
  } while (n < 0 && errno == EINTR);
  if (n == 0) {
    return 0;  // every end in the children closed on exec
  }
  if (n == sizeof(m) && m.type == kFailure && m.a == kStepExec) {
    return m.b;
  }
  return -1;
}

}  // namespace zviz::broker

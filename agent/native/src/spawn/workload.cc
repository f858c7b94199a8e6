// The workload's process from the container's setup to its filter
// (spawn/child.h): only its own stdio and the bootstrap socket left open, its
// user namespace, its capabilities cut to the profile's, no new privileges,
// death with its parent, and, under an init, the wait for PID 1 to be
// zviz-init. Each step is one the workload could not be trusted to take
// after execve. Runs between clone3 and execve: raw calls only.
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <csignal>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {
namespace {

/** The soft descriptor limit every process of a node starts with (the kernel's INR_OPEN_CUR, systemd's default). */
constexpr rlim_t kStartingFiles = 1024;

/**
 * The container's capabilities and no more, wherever one could come back
 * from: the bounding set (so that no file capability raises one at execve),
 * the ambient set, then what the process holds now.
 */
void DropCapabilities(uint64_t caps, int sock) {
  for (int cap = 0; cap <= 63; ++cap) {
    if ((caps & (1ULL << cap)) != 0) {
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
  data[0].effective = data[0].permitted = static_cast<uint32_t>(caps);
  data[1].effective = data[1].permitted = static_cast<uint32_t>(caps >> 32);
  if (::syscall(SYS_capset, &header, data) != 0) {
    ChildFail(sock, kStepCapabilities);
  }
}

/**
 * A new, empty session keyring, as runc gives every container. The session
 * keyring is inherited across fork and exec, so the workload held the
 * agent's (or zviz run's): every key the node keeps there (systemd gives each
 * service one; Kerberos, NFS and dm-crypt keep keys in them), shared with
 * every other container, for any profile that lets keyctl through. A kernel
 * without keys has nothing to share (ENOSYS); any other failure stops the
 * start rather than hand the agent's keyring over.
 */
void JoinOwnKeyring(int sock) {
  if (::syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr, 0, 0, 0) < 0 && errno != ENOSYS) {
    ChildFail(sock, kStepKeyring);
  }
}

/**
 * A directory the caller handed over as stdio (`zviz run ... <DIR`) is the
 * caller's open directory in the node's mount namespace: every call relative
 * to it (mkdirat, unlinkat, renameat, linkat, symlinkat, fchmodat,
 * fchownat) reaches the node's tree on the node's own mount, past the view
 * and its read-only mounts, with the workload's root's capabilities over
 * the node's files (its user namespace maps the node's uid 0). A directory
 * is no input or output a program can use (read answers EISDIR), so it is
 * replaced by /dev/null of the view, read-only: the program reads an empty
 * input (test/security/caller-writes.test.ts).
 */
void NoCallerDirectories(int sock) {
  for (int i = 0; i < 3; ++i) {
    struct stat st;
    if (fstat(i, &st) != 0) {
      ChildFail(sock, kStepStdio);
    }
    if (!S_ISDIR(st.st_mode)) {
      continue;
    }
    const int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null < 0 || dup3(null, i, 0) < 0) {
      ChildFail(sock, kStepStdio);
    }
    close(null);
  }
}

}  // namespace

[[noreturn]] void WorkloadMain(const ChildPlan& p) {
  int sock = p.sock;
  // Under an init, a session (and process group) of its own, as without one.
  if (p.pid_ns && setsid() < 0) {
    ChildFail(sock, kStepSetsid);
  }
  // As root of the node's user namespace, before the workload's own.
  JoinOwnKeyring(sock);
  // Lift every descriptor we keep above 2 first, so placing stdio cannot
  // overwrite one of them: zviz-spawn may have been executed with any of 0
  // to 2 closed (the agent's own stdio can be close-on-exec: Node marks a
  // terminal's so), and then the pipe of BecomeInit or a descriptor of the
  // plan got that number.
  if (p.pid_ns) {
    close(p.init_ready[1]);  // only the init holds the write end
  }
  int moved[3];
  for (int i = 0; i < 3; ++i) {
    moved[i] = Lift(p.stdio[i], sock);
  }
  sock = Lift(sock, sock);
  const int ready = p.pid_ns ? Lift(p.init_ready[0], sock) : -1;
  for (int i = 0; i < 3; ++i) {
    if (dup3(moved[i], i, 0) < 0) {  // not close-on-exec: these are the workload's
      ChildFail(sock, kStepStdio);
    }
  }
  NoCallerDirectories(sock);
  // Nothing of the agent's survives but stdio and the bootstrap socket
  // (close-on-exec itself).
  int keep[2] = {sock, ready};
  if (CloseAllFrom(3, keep, p.pid_ns ? 2 : 1) != 0) {
    ChildFail(sock, kStepCloseFds);
  }
  // Node raises its own soft RLIMIT_NOFILE to the hard one as it starts, and
  // the workload would inherit that (20,000 here; 524,288 under systemd's
  // default hard limit) where its caller had 1024: programs that use select()
  // (FD_SETSIZE is 1024) or close every descriptor up to the limit break or
  // crawl, which is why systemd and the kernel start every process at 1024.
  // The hard limit stays the caller's, for the workload to raise to as Node
  // does. Here, with only stdio and the bootstrap socket open, and after the
  // view was made with as many descriptors as it needed
  // (test/security/inherited.test.ts).
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) != 0) {
    ChildFail(sock, kStepFileLimit);
  }
  files.rlim_cur = files.rlim_max < kStartingFiles ? files.rlim_max : kStartingFiles;
  if (setrlimit(RLIMIT_NOFILE, &files) != 0) {
    ChildFail(sock, kStepFileLimit);
  }
  if (p.cwd[0] != '\0' && ChdirNoLinks(p.cwd) != 0) {
    ChildFail(sock, kStepChdir);
  }
  // Before the capabilities are dropped: a new user namespace starts with
  // every capability (in it), and the bounding set is cut down from there.
  EnterUserNamespace(sock);
  DropCapabilities(p.caps, sock);
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    ChildFail(sock, kStepNoNewPrivs);
  }
  // It dies with its parent: the agent, or the init (whose death ends the
  // whole namespace anyway).
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) {
    ChildFail(sock, kStepParentDeath);
  }
  if (getppid() != (p.pid_ns ? 1 : p.parent)) {
    errno = ESRCH;  // the parent died before PDEATHSIG was armed
    ChildFail(sock, kStepParentDeath);
  }
  sigset_t none;
  sigemptyset(&none);
  if (sigprocmask(SIG_SETMASK, &none, nullptr) != 0) {
    ChildFail(sock, kStepSignals);
  }
  // PID 1 must be zviz-init, not zviz-spawn with the start plan and the
  // container's descriptors, before the workload can look at it: the init
  // closes its end of this pipe once it has named itself and armed its death
  // signal (or it dies).
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
  InstallFilterAndExec(p, sock);
}

}  // namespace zviz::broker::child

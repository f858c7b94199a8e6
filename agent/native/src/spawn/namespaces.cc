// The namespaces a container's processes make for themselves with unshare
// (spawn/child.h): the network namespace (loopback only, for network "none")
// and the mount namespace by the first process, the user namespace by the
// workload. The IPC and PID namespaces come with clone3 itself (spawn.cc).
// Runs between clone3 and execve: raw calls only.
#include <linux/securebits.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cerrno>
#include <climits>
#include <cstring>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {

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

// MS_SLAVE: nothing mounted in the container propagates back to the agent's
// namespace, while the host's later mounts still reach the container.
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
  // change every thread glibc believes the process has, and the workload
  // was cloned behind glibc's back (become_init.cc).
  if (prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0) != 0 ||
      ::syscall(SYS_setresuid, -1, owner, -1) != 0 || unshare(CLONE_NEWUSER) != 0) {
    ChildFail(sock, kStepUserNamespace);
  }
  AskAgent(sock, Message{kUserNamespace, 0, 0}, kMapped, kStepUserNamespace);
  // Root of the new namespace is the node's uid 0 again (the identity map).
  // The namespace started with the default secure bits, so the workload
  // loses its capabilities when it changes uid, as anywhere.
  if (::syscall(SYS_setresuid, 0, 0, 0) != 0 || ::syscall(SYS_setresgid, 0, 0, 0) != 0) {
    ChildFail(sock, kStepUserNamespace);
  }
}

}  // namespace zviz::broker::child

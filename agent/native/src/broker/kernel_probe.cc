// Probing the kernel's seccomp features (kernel_probe.h).
#include "broker/kernel_probe.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>

#include "broker/kernel.h"
#include "common/unique_fd.h"

namespace zviz::broker {

namespace {

/** What needs no listener: user notification at all, and whether the kernel takes WAIT_KILLABLE_RECV. */
KernelSupport ProbeFlags() {
  KernelSupport s;
  std::ifstream actions("/proc/sys/kernel/seccomp/actions_avail");
  std::string line;
  std::getline(actions, line);
  s.user_notif = line.find("user_notif") != std::string::npos;
  if (!s.user_notif) {
    s.detail = "kernel lacks seccomp user notification";
    return s;
  }
  // Valid flags with a NULL program give EFAULT; unknown flags give EINVAL.
  s.wait_killable_recv =
      sys::Seccomp(SECCOMP_SET_MODE_FILTER,
                   SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, nullptr) < 0 &&
      errno == EFAULT;
  return s;
}

/** SYNC_WAKE_UP and ADDFD_FLAG_SEND: what a listener answers. */
struct ListenerFeatures {
  bool sync_wake_up = false;
  bool addfd_send = false;
  std::string detail;
};

/**
 * Asks `listener` without changing it: SET_FLAGS with no flag is what a new
 * listener has already (kernels before 6.6 do not know the ioctl: EINVAL),
 * and no notification has id 0, none is pending on a workload that has not
 * executed yet, so ADDFD with SEND fails with ENOENT where the kernel knows
 * the flag (5.14) and EINVAL before.
 */
ListenerFeatures AskListener(int listener) {
  ListenerFeatures f;
  f.sync_wake_up = ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 0) == 0;
  struct seccomp_notif_addfd add = {};
  add.id = 0;
  add.flags = SECCOMP_ADDFD_FLAG_SEND;
  add.srcfd = 0;
  f.addfd_send = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno == ENOENT;
  return f;
}

/** The listener of a throwaway child (a fork of this process) that installs a trivial filter and waits to be killed. */
ListenerFeatures AskThrowawayListener() {
  ListenerFeatures f;
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    f.detail = "probe: pipe failed";
    return f;
  }
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {1, allow};
  pid_t child = fork();
  if (child == 0) {
    // Only async-signal-safe calls in the child of a threaded process.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int listener = static_cast<int>(sys::Seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
    if (write(pipefd[1], &listener, sizeof(listener)) != sizeof(listener)) {
      _exit(1);
    }
    for (;;) {
      pause();
    }
  }
  close(pipefd[1]);
  int remote = -1;
  ssize_t n = child > 0 ? read(pipefd[0], &remote, sizeof(remote)) : -1;
  close(pipefd[0]);
  if (child > 0 && n == sizeof(remote) && remote >= 0) {
    UniqueFd pidfd(sys::PidfdOpen(child, 0));
    UniqueFd listener(pidfd ? static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd.get(), remote, 0)) : -1);
    if (listener) {
      f = AskListener(listener.get());
    } else {
      f.detail = std::string("probe: cannot take the test listener: ") + std::strerror(errno);
    }
  } else {
    f.detail = "probe: the test child did not install its filter";
  }
  if (child > 0) {
    kill(child, SIGKILL);
    while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  return f;
}

std::once_flag listener_features_once;
ListenerFeatures listener_features;

/** Asked once: of `listener` when one is given, else of a throwaway child's. */
const ListenerFeatures& Features(int listener) {
  std::call_once(listener_features_once, [listener] {
    listener_features = listener >= 0 ? AskListener(listener) : AskThrowawayListener();
  });
  return listener_features;
}

}  // namespace

const KernelSupport& KernelFlags() {
  static const KernelSupport flags = ProbeFlags();
  return flags;
}

void NoteListener(int listener) {
  if (KernelFlags().user_notif) {
    Features(listener);
  }
}

const KernelSupport& ProbeKernel() {
  static const KernelSupport support = [] {
    KernelSupport s = KernelFlags();
    if (!s.user_notif) {
      return s;
    }
    const ListenerFeatures& f = Features(-1);
    s.sync_wake_up = f.sync_wake_up;
    s.addfd_send = f.addfd_send;
    if (!f.detail.empty()) {
      s.detail = f.detail;
    }
    return s;
  }();
  return support;
}

}  // namespace zviz::broker

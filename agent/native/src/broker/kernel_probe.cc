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

#include "broker/kernel.h"
#include "common/unique_fd.h"

namespace zviz::broker {

const KernelSupport& ProbeKernel() {
  static const KernelSupport support = [] {
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
    // SYNC_WAKE_UP and ADDFD_FLAG_SEND need a real listener: a child that
    // installs a trivial filter and waits to be killed.
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) {
      s.detail = "probe: pipe failed";
      return s;
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
        // Set and probe on a throwaway listener.
        s.sync_wake_up =
            ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0;
        struct seccomp_notif_addfd add = {};
        add.id = 0;
        add.flags = SECCOMP_ADDFD_FLAG_SEND;
        add.srcfd = 0;
        s.addfd_send = ioctl(listener.get(), SECCOMP_IOCTL_NOTIF_ADDFD, &add) < 0 && errno == ENOENT;
      } else {
        s.detail = std::string("probe: cannot take the test listener: ") + std::strerror(errno);
      }
    } else {
      s.detail = "probe: the test child did not install its filter";
    }
    if (child > 0) {
      kill(child, SIGKILL);
      while (waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    return s;
  }();
  return support;
}

}  // namespace zviz::broker

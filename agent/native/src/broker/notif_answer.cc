// The ioctls that answer a notification (notif_answer.h).
#include "broker/notif_answer.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <time.h>

#include <cerrno>

#include "broker/kernel.h"
#include "broker/kernel_probe.h"

namespace zviz::broker {

void Answer::FromOutcome(const Outcome& o) {
  rule = o.rule;
  decision = o.decision;
  layer = Layer::kBroker;
  switch (o.decision) {
    case Decision::kDeny:
      how = How::kErrno;
      error = o.errno_value;
      break;
    case Decision::kKill:
      how = How::kKill;
      break;
    default:
      how = How::kContinue;
      break;
  }
}

int SendResponse(int listener, uint64_t id, int64_t val, int32_t error, uint32_t flags) {
  // Room for a response struct larger than ours (SECCOMP_GET_NOTIF_SIZES), zeroed.
  alignas(8) char buf[kMaxResponseSize] = {};
  auto* resp = reinterpret_cast<struct seccomp_notif_resp*>(buf);
  resp->id = id;
  resp->val = val;
  resp->error = error;
  resp->flags = flags;
  for (;;) {
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0) {
      return 0;
    }
    if (errno != EINTR) {
      return -errno;
    }
  }
}

int InstallFd(int listener, uint64_t id, int fd, bool cloexec) {
  struct seccomp_notif_addfd add = {};
  add.id = id;
  add.flags = ProbeKernel().addfd_send ? SECCOMP_ADDFD_FLAG_SEND : 0;
  add.srcfd = static_cast<uint32_t>(fd);
  add.newfd_flags = cloexec ? O_CLOEXEC : 0;
  int rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
  if (rc < 0 && errno == EINTR && (add.flags & SECCOMP_ADDFD_FLAG_SEND)) {
    // Interrupted either before the request was queued (nothing happened: a
    // second try installs it) or while it waited for the task (withdrawn, the
    // call left answered: a second try says EINPROGRESS). One try tells which;
    // a second interruption is taken as the worse.
    rc = ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
    if (rc < 0 && errno == EINTR) {
      return -EINPROGRESS;
    }
  }
  if (rc < 0) {
    // ESRCH: the task left its wait (a signal, or it died) while the
    // descriptor was queued for it; the kernel installed nothing. That is
    // ENOENT to every caller: a FIFO that met its other end is then kept for
    // the restarted call instead of being closed as a refused install.
    return errno == ESRCH ? -ENOENT : -errno;
  }
  if (!ProbeKernel().addfd_send) {
    // Before Linux 5.14: not atomic; a signal between the two steps leaks the fd in the target.
    int sent = SendResponse(listener, id, rc, 0, 0);
    if (sent < 0) {
      return sent;
    }
  }
  return rc;
}

bool KillAnsweredTask(pid_t tid) {
  UniqueFd pidfd(sys::PidfdOpen(tid, PIDFD_THREAD));
  if (!pidfd && errno == EINVAL) {
    pidfd.reset(sys::PidfdOpen(tid, 0));  // before Linux 6.9: a pidfd names a process (tid is then its leader's or fails)
  }
  return pidfd && sys::PidfdSendSignal(pidfd.get(), SIGKILL) == 0;
}

bool KillTarget(const Target& target) {
  UniqueFd pidfd(sys::PidfdOpen(target.tid(), PIDFD_THREAD));
  if (!pidfd && errno == EINVAL) {
    // Before Linux 6.9 a pidfd names a process; SIGKILL ends all its threads anyway.
    pid_t tgid = target.Tgid();
    if (tgid > 0) {
      pidfd.reset(sys::PidfdOpen(tgid, 0));
    }
  }
  if (!pidfd || !target.Valid()) {
    return false;  // the thread id may have been reused: never signal a stranger
  }
  return sys::PidfdSendSignal(pidfd.get(), SIGKILL) == 0;
}

uint64_t NowNs(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace zviz::broker

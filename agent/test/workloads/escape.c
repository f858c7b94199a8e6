// Tries to get out from under the broker; prints one line per attempt with
// its result. Run under a profile that refuses writes to FORBIDDEN.
//   escape FORBIDDEN
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>

static void report(const char* what, long rc, int err) {
  if (rc < 0) {
    printf("%s errno %s\n", what, strerrorname_np(err));
  } else {
    printf("%s ok %ld\n", what, rc);
  }
}

static void try_open(const char* what, const char* path) {
  int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
  report(what, fd, errno);
  if (fd >= 0) close(fd);
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const char* forbidden = argv[1];
  struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
  struct sock_fprog prog = {1, allow};
  struct sock_filter notify[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF)};
  struct sock_fprog notify_prog = {1, notify};

  try_open("open-before", forbidden);
  // A second listener of our own, to answer our own opens.
  long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &notify_prog);
  report("seccomp-new-listener", rc, errno);
  // An allow-everything filter on top: filters stack, the strictest wins.
  rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
  report("seccomp-stack-allow", rc, errno);
  try_open("open-after-stack", forbidden);
  rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0);
  report("prctl-strict", rc, errno);
  rc = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  report("prctl-filter", rc, errno);
  rc = ptrace(PTRACE_ATTACH, getppid(), 0, 0);
  report("ptrace-attach-parent", rc, errno);
  rc = ptrace(PTRACE_TRACEME, 0, 0, 0);
  report("ptrace-traceme", rc, errno);
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = BPF_MAP_TYPE_ARRAY;
  attr.key_size = 4;
  attr.value_size = 4;
  attr.max_entries = 1;
  rc = syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr));
  report("bpf-map-create", rc, errno);
  // The agent's listener, taken from the agent (pid from argv or the parent).
  int pidfd = (int)syscall(SYS_pidfd_open, getppid(), 0);
  long stolen = -1;
  int stolen_errno = ESRCH;
  for (int fd = 3; pidfd >= 0 && fd < 64; fd++) {
    stolen = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    stolen_errno = errno;
    if (stolen >= 0 || errno != EBADF) break;
  }
  report("pidfd-getfd-parent", stolen, stolen_errno);
  rc = syscall(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */);
  report("unshare-user", rc, errno);
  try_open("open-at-end", forbidden);
  return 0;
}

// A minimal C seccomp supervisor, the yardstick for the ZViz broker: the
// child sends its listener and runs the workload; this process answers every
// notification with CONTINUE, synchronously, with SYNC_WAKE_UP when the
// kernel has it. Nothing else: no decision, no counting.
// To compare like with like, the workload can be set up as a container
// runtime sets up a container's first process: ZVIZ_BENCH_CGROUP_PROCS
// (cgroup.procs files, ':'-separated) puts it in cgroups, ZVIZ_BENCH_SETSID=1
// in a session of its own (runc does both; with scheduler autogroups a new
// session is a new scheduling group, which every wake-up pays for).
//   reference PROGRAM ARGS...
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  struct sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {sizeof(filter) / sizeof(filter[0]), filter};
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    const char* cgroups = getenv("ZVIZ_BENCH_CGROUP_PROCS");
    if (cgroups != NULL) {
      char list[4096];
      snprintf(list, sizeof(list), "%s", cgroups);
      for (char* file = strtok(list, ":"); file != NULL; file = strtok(NULL, ":")) {
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) _exit(126);
        close(fd);
      }
    }
    if (getenv("ZVIZ_BENCH_SETSID") != NULL && setsid() < 0) _exit(126);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    char control[CMSG_SPACE(sizeof(int))] = {0};
    char byte = 0;
    struct iovec iov = {&byte, 1};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (fd < 0 || sendmsg(sv[1], &msg, 0) != 1) _exit(127);
    execv(argv[1], argv + 1);
    _exit(127);
  }
  close(sv[1]);
  char control[CMSG_SPACE(sizeof(int))] = {0};
  char byte;
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
  if (recvmsg(sv[0], &msg, 0) != 1) return 1;
  int listener;
  memcpy(&listener, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 1UL);  // SYNC_WAKE_UP; harmless where unknown
  struct seccomp_notif req;
  struct seccomp_notif_resp resp;
  for (;;) {
    memset(&req, 0, sizeof(req));
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) {
      if (errno == EINTR) continue;
      break;  // ENOENT once the workload is gone
    }
    memset(&resp, 0, sizeof(resp));
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
  int status;
  waitpid(child, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

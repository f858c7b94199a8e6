// The C reference for emulated opens: the least a seccomp supervisor must do
// to open files for its workload. The workload's openat goes to this process
// (libseccomp user notification); it reads the path from the workload's
// memory (process_vm_readv), checks the notification is still valid, decides
// by prefix and access (reads under ZVIZ_BENCH_ALLOW, default "/etc/", are
// allowed, and writes too with ZVIZ_BENCH_ALLOW_WRITE=1; everything else
// answers EACCES), opens the file itself and
// installs it in the workload with SECCOMP_IOCTL_NOTIF_ADDFD and
// SECCOMP_ADDFD_FLAG_SEND. Synchronous, SYNC_WAKE_UP when the kernel has it.
// No resolution of its own, no namespaces, no counting: a lower bound for
// what the ZViz broker does on the same opens. As reference.c, it can set
// its workload up as a container runtime does (ZVIZ_BENCH_CGROUP_PROCS,
// ZVIZ_BENCH_SETSID=1), for the like-for-like comparison. With
// ZVIZ_BENCH_STEP_TIMES=FILE it times its steps as the broker's step timer
// does (path, bases, valid, resolve, reopen, answer, release, total, idle;
// the bases and resolve steps with ZVIZ_BENCH_BROKER_STEPS only; mean per step, in
// microseconds) and writes them to FILE as JSON.
//
// With ZVIZ_BENCH_BROKER_STEPS=1 it makes the broker's system calls for each
// open, in the broker's order, and nothing else of the broker's work: it
// raises CAP_SYS_PTRACE around the path read and lowers it after (capset,
// twice), reads the task's capabilities (capget), resolves the path from the
// root with openat2 (O_PATH, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
// RESOLVE_NO_SYMLINKS), reads the object's type and mount (statx), reopens
// the judged descriptor through /proc/thread-self/fd and closes both
// descriptors after the answer. What the broker costs beyond that is its own
// code (docs/benchmarks.md, "Emulated opens").
//   reference-open PROGRAM ARGS...
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x4000U
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif

// The step timer: sums and counts per step, as in agent/native/src/broker/step_times.h.
enum { kPath, kBases, kValid, kResolve, kOpen, kAnswer, kRelease, kTotal, kIdle, kSteps };
static const char* const step_names[kSteps] = {"path",   "bases",   "valid", "resolve", "reopen",
                                               "answer", "release", "total", "idle"};
static double step_sum[kSteps];
static long step_count[kSteps];
static int timing;
static double last_us, begun_us, ended_us;

static void lap(int step) {
  if (!timing) return;
  double now = now_us();
  step_sum[step] += now - last_us;
  step_count[step]++;
  last_us = now;
}

static void send_fd(int sock, int fd) {
  char control[CMSG_SPACE(sizeof(int))] = {0};
  char byte = 0;
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (sendmsg(sock, &msg, 0) != 1) _exit(127);
}

static int receive_fd(int sock) {
  char control[CMSG_SPACE(sizeof(int))] = {0};
  char byte;
  struct iovec iov = {&byte, 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)};
  if (recvmsg(sock, &msg, 0) != 1) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(int));
  return fd;
}

/** The path at `address` in `pid`, read up to each page end (as the broker reads it); 0 or -errno. */
static int read_path(pid_t pid, unsigned long address, char* out, size_t size) {
  size_t done = 0;
  while (done < size) {
    size_t want = 4096 - ((address + done) % 4096);
    if (want > size - done) want = size - done;
    struct iovec local = {out + done, want};
    struct iovec remote = {(void*)(address + done), want};
    ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return -EFAULT;
    if (memchr(out + done, '\0', (size_t)n) != NULL) return 0;
    done += (size_t)n;
  }
  return -ENAMETOOLONG;
}

/** The calling thread's effective set: `effective`, permitted unchanged (as thread_caps.cc's capset). */
static void set_effective(const struct __user_cap_data_struct* permitted, unsigned long long effective) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {permitted[0], permitted[1]};
  data[0].effective = (unsigned)effective;
  data[1].effective = (unsigned)(effective >> 32);
  if (syscall(SYS_capset, &header, data) != 0) _exit(125);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* allow = getenv("ZVIZ_BENCH_ALLOW") ? getenv("ZVIZ_BENCH_ALLOW") : "/etc/";
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
    perror("reference-open: socketpair");
    return 1;
  }
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
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL || seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(openat), 0) != 0 ||
        seccomp_rule_add(ctx, SCMP_ACT_NOTIFY, SCMP_SYS(open), 0) != 0 || seccomp_load(ctx) != 0) {
      _exit(126);
    }
    send_fd(sv[1], seccomp_notify_fd(ctx));
    execv(argv[1], argv + 1);
    _exit(127);
  }
  close(sv[1]);
  int listener = receive_fd(sv[0]);
  if (listener < 0) {
    fprintf(stderr, "reference-open: no listener from the workload (its filter failed to load, or it died)\n");
    return 1;
  }
  ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, 1UL);  // SYNC_WAKE_UP; harmless where unknown
  struct seccomp_notif* req;
  struct seccomp_notif_resp* resp;
  if (seccomp_notify_alloc(&req, &resp) != 0) {
    fprintf(stderr, "reference-open: seccomp_notify_alloc failed\n");
    return 1;
  }
  char path[PATH_MAX];
  timing = getenv("ZVIZ_BENCH_STEP_TIMES") != NULL;
  // The broker's steps: its capabilities less CAP_SYS_PTRACE, raised for the path read.
  const int broker_steps = getenv("ZVIZ_BENCH_BROKER_STEPS") != NULL;
  struct __user_cap_data_struct caps[2] = {{0}};
  unsigned long long lowered = 0;
  int root = -1, own_fds = -1;
  if (broker_steps) {
    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    if (syscall(SYS_capget, &header, caps) != 0) return 1;
    lowered = (((unsigned long long)caps[1].effective << 32) | caps[0].effective) & ~(1ULL << CAP_SYS_PTRACE);
    set_effective(caps, lowered);
    root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    own_fds = open("/proc/thread-self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0 || own_fds < 0) return 1;
  }
  const size_t allow_len = strlen(allow);
  const int allow_write = getenv("ZVIZ_BENCH_ALLOW_WRITE") != NULL;
  for (;;) {
    memset(req, 0, sizeof(*req));  // the kernel refuses a non-zeroed request
    if (seccomp_notify_receive(listener, req) != 0) {
      if (errno == EINTR) continue;
      break;  // the workload is gone
    }
    if (timing) {
      begun_us = last_us = now_us();
      if (ended_us > 0) {
        step_sum[kIdle] += begun_us - ended_us;
        step_count[kIdle]++;
      }
    }
    const int is_openat = req->data.nr == SCMP_SYS(openat);
    const unsigned long address = is_openat ? req->data.args[1] : req->data.args[0];
    const int flags = (int)(is_openat ? req->data.args[2] : req->data.args[1]);
    if (broker_steps) set_effective(caps, lowered | (1ULL << CAP_SYS_PTRACE));
    int error = -read_path((pid_t)req->pid, address, path, sizeof(path));
    lap(kPath);
    if (broker_steps) {
      struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, (int)req->pid};
      struct __user_cap_data_struct task[2];
      if (syscall(SYS_capget, &header, task) != 0) error = EACCES;
      set_effective(caps, lowered);
      lap(kBases);
    }
    if (error == 0 && seccomp_notify_id_valid(listener, req->id) != 0) continue;  // gone meanwhile
    lap(kValid);
    // The broker judges what it resolved; without its steps, the path as read.
    if (!broker_steps && error == 0 && (!(allow_write || (flags & O_ACCMODE) == O_RDONLY) || strncmp(path, allow, allow_len) != 0)) error = EACCES;
    int object = -1;
    if (broker_steps && error == 0) {
      struct open_how how = {.flags = O_PATH | O_CLOEXEC,
                             .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS};
      struct statx st;
      object = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
      if (object < 0) {
        error = errno;
      } else if (statx(object, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC,
                       STATX_TYPE | STATX_MODE | STATX_INO | STATX_MNT_ID_UNIQUE, &st) != 0) {
        error = errno;
      }
      lap(kResolve);
    }
    if (error == 0 && (!(allow_write || (flags & O_ACCMODE) == O_RDONLY) || strncmp(path, allow, allow_len) != 0)) error = EACCES;
    if (error == 0) {
      int fd;
      if (broker_steps) {
        char name[16];
        snprintf(name, sizeof(name), "%d", object);
        fd = openat(own_fds, name, flags | O_CLOEXEC | O_NOCTTY);
      } else {
        const mode_t mode = (mode_t)(is_openat ? req->data.args[3] : req->data.args[2]);
        fd = openat(AT_FDCWD, path, flags | O_CLOEXEC, mode);
      }
      lap(kOpen);
      if (fd < 0) {
        error = errno;
      } else {
        struct seccomp_notif_addfd addfd = {
            .id = req->id, .flags = SECCOMP_ADDFD_FLAG_SEND, .srcfd = (unsigned)fd, .newfd_flags = flags & O_CLOEXEC};
        ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
        lap(kAnswer);
        close(fd);
        if (object >= 0) close(object);
        lap(kRelease);
        if (timing) {
          step_sum[kTotal] += last_us - begun_us;
          step_count[kTotal]++;
          ended_us = last_us;
        }
        continue;
      }
    }
    memset(resp, 0, sizeof(*resp));
    resp->id = req->id;
    resp->error = -error;
    seccomp_notify_respond(listener, resp);
    lap(kAnswer);
    if (object >= 0) close(object);
    if (timing) {
      step_sum[kTotal] += last_us - begun_us;
      step_count[kTotal]++;
      ended_us = last_us;
    }
  }
  const char* times = getenv("ZVIZ_BENCH_STEP_TIMES");
  if (timing && times != NULL) {
    FILE* out = fopen(times, "w");
    if (out == NULL) return 1;
    fprintf(out, "{\"unit\":\"us\",\"steps\":{");
    for (int i = 0; i < kSteps; i++) {
      fprintf(out, "%s\"%s\":{\"count\":%ld,\"mean\":%.3f}", i ? "," : "", step_names[i], step_count[i],
              step_count[i] ? step_sum[i] / (double)step_count[i] : 0);
    }
    fprintf(out, "}}\n");
    fclose(out);
  }
  int status;
  if (waitpid(child, &status, 0) != child) {
    fprintf(stderr, "reference-open: cannot wait for the workload: %s\n", strerror(errno));
    return 1;
  }
  if (WIFSIGNALED(status)) {
    // Said, so a failed run tells a killed workload from a failed supervisor.
    fprintf(stderr, "reference-open: the workload ended by signal %d (%s)\n", WTERMSIG(status),
            strsignal(WTERMSIG(status)));
    return 1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

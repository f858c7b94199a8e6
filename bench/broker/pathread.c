// What reading an emulated open's path costs the broker, and what the two
// ways around its capset calls would save (docs/benchmarks.md, "The path read
// and CAP_SYS_PTRACE"). Part 6 of bench/broker/run.mjs.
//
// A child in a user namespace of its own, owned by another uid, as a ZViz
// container's workload is (spawn_namespaces.cc): reading its memory takes
// CAP_SYS_PTRACE, which this thread keeps in its permitted set only, as the
// supervisor thread does. Side by side, interleaved, the same 256 bytes read:
//   broker:   capset (raise), process_vm_readv, capset (lower): what ships;
//   raised:   process_vm_readv with the capability left raised (rejected:
//             docs/security.md, "Emulated opens", step 6);
//   mem fd:   pread of a /proc/<pid>/mem descriptor opened once with the
//             capability (rejected: it stays bound to the address space it
//             was opened on, docs/security.md).
// Prints the median of ROUNDS rounds' means, in µs of this thread's CPU
// time, and the ratios.
// Usage: pathread [CALLS per round, default 100000] [ROUNDS, default 7]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

// The same address in the child: it is a fork, not an exec.
static char path[256] = "/etc/hostname";

static struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
static struct __user_cap_data_struct raised[2];
static struct __user_cap_data_struct lowered[2];

// CPU time of this thread: other jobs on the machine do not stretch it as they stretch wall time.
static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int set_caps(struct __user_cap_data_struct* data) { return (int)syscall(SYS_capset, &header, data); }

static int read_path(pid_t pid, char* out) {
  struct iovec local = {out, sizeof(path)};
  struct iovec remote = {path, sizeof(path)};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)sizeof(path) ? 0 : -1;
}

int main(int argc, char** argv) {
  const int calls = argc > 1 ? atoi(argv[1]) : 100000;
  const int rounds = argc > 2 ? atoi(argv[2]) : 7;
  if (calls <= 0 || rounds <= 0 || rounds > 100) {
    fprintf(stderr, "usage: pathread [CALLS > 0] [ROUNDS 1..100]\n");
    return 2;
  }
  int ready[2];
  if (pipe(ready) != 0) {
    perror("pipe");
    return 1;
  }
  pid_t child = fork();
  if (child == 0) {
    // The namespace's owner is its creator's effective uid: not this one's.
    if (syscall(SYS_setresuid, -1, 4242, -1) != 0 || unshare(CLONE_NEWUSER) != 0) {
      _exit(1);
    }
    (void)!write(ready[1], "x", 1);
    pause();
    _exit(0);
  }
  char byte;
  if (child < 0 || read(ready[0], &byte, 1) != 1) {
    fprintf(stderr, "pathread: the child could not enter a user namespace of its own\n");
    return 1;
  }
  if (syscall(SYS_capget, &header, raised) != 0) {
    perror("capget");
    return 1;
  }
  memcpy(lowered, raised, sizeof(raised));
  lowered[0].effective &= ~(1u << CAP_SYS_PTRACE);
  char buf[sizeof(path)];
  char mem_name[64];
  snprintf(mem_name, sizeof(mem_name), "/proc/%d/mem", child);
  int mem = open(mem_name, O_RDONLY | O_CLOEXEC);  // with the capability, as the per-task descriptor would be
  if (mem < 0 || set_caps(lowered) != 0) {
    perror("pathread: setup");
    return 1;
  }
  // Faithful only if the lowered thread cannot read the child's memory.
  if (read_path(child, buf) == 0 || errno != EPERM) {
    fprintf(stderr, "pathread: the child's memory is readable without CAP_SYS_PTRACE: not a container's setup\n");
    return 1;
  }

  double broker[100], kept[100], memfd[100];
  for (int r = 0; r < rounds; r++) {
    for (int which = 0; which < 3; which++) {
      const int order = (which + r) % 3;  // interleaved: each way goes first in turn
      int failed = 0;
      if (order == 1) {
        set_caps(raised);
      }
      const double t = now_ns();
      for (int i = 0; i < calls; i++) {
        if (order == 0) {
          failed |= set_caps(raised);
          failed |= read_path(child, buf);
          failed |= set_caps(lowered);
        } else if (order == 1) {
          failed |= read_path(child, buf);
        } else {
          failed |= pread(mem, buf, sizeof(buf), (off_t)(uintptr_t)path) != (ssize_t)sizeof(path);
        }
      }
      const double each = (now_ns() - t) / calls / 1e3;
      if (order == 1) {
        set_caps(lowered);
      }
      if (failed || strcmp(buf, path) != 0) {
        fprintf(stderr, "pathread: a read failed or read something else\n");
        return 1;
      }
      (order == 0 ? broker : order == 1 ? kept : memfd)[r] = each;
    }
  }
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  qsort(broker, (size_t)rounds, sizeof(double), compare);
  qsort(kept, (size_t)rounds, sizeof(double), compare);
  qsort(memfd, (size_t)rounds, sizeof(double), compare);
  const double b = broker[rounds / 2], k = kept[rounds / 2], m = memfd[rounds / 2];
  printf("| path read (%d x %d, medians of the rounds' means) | µs of CPU | / the broker's |\n", rounds, calls);
  printf("|---|---:|---:|\n");
  printf("| broker: capset, process_vm_readv, capset | %.3f | 1.00x |\n", b);
  printf("| process_vm_readv with CAP_SYS_PTRACE kept raised | %.3f | %.2fx |\n", k, k / b);
  printf("| pread of a /proc/<pid>/mem descriptor kept open | %.3f | %.2fx |\n", m, m / b);
  printf("\nThe two capset calls: %.3f µs of the broker's %.3f.\n", b - k, b);
  return 0;
}

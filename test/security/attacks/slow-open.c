// An emulated open the kernel keeps waiting, and a container that needs its
// supervisor meanwhile (slow-open.test.ts). The wait is a file lease being
// broken: a process of the node (a file server, here this program run on
// the host) holds a read lease on a file of the workspace, and the
// workload's open of it for writing waits until the holder lets go or
// /proc/sys/fs/lease-break-time (45 s) passes. Where the profile emulates
// writes the broker makes that open, and the container's supervisor thread
// waits with it. (Workloads cannot take leases themselves: every filter
// refuses F_SETLEASE, leases.test.ts.)
//
//   slow-open host     on the host: takes a read lease on ./leased, says
//                      "lease ok" and holds it until ./release appears (or
//                      90 s), then says "released ok".
//   slow-open write    in the sandbox: opens ./leased for writing and says
//                      "write-open ok" (or errno).
//   slow-open opens N  in the sandbox: opens ./opened for writing N times
//                      (every one emulated where writes are) and says
//                      "opens ok N", or the errno of the first that failed.
#include "attack.h"

#include <sys/stat.h>

static int host(void) {
  // The kernel tells a lease holder with SIGIO that its lease must go; its
  // default action would end the holder before the test lets it go.
  signal(SIGIO, SIG_IGN);
  int fd = open("leased", O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (outcome("lease-file", fd) < 0) return 2;
  if (outcome("lease", fcntl(fd, F_SETLEASE, F_RDLCK)) < 0) return 2;
  struct stat st;
  for (int i = 0; i < 900 && stat("release", &st) != 0; i++) {
    usleep(100 * 1000);
  }
  outcome("released", fcntl(fd, F_SETLEASE, F_UNLCK));
  return 0;
}

static int write_open(void) {
  outcome("write-open", open("leased", O_WRONLY | O_CLOEXEC));
  return 0;
}

static int opens(long n) {
  for (long i = 0; i < n; i++) {
    int fd = open("opened", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      outcome("opens", fd);
      return 1;
    }
    close(fd);
  }
  say("opens ok %ld", n);
  return 0;
}

int main(int argc, char** argv) {
  if (argc >= 2 && strcmp(argv[1], "host") == 0) return host();
  if (argc >= 2 && strcmp(argv[1], "write") == 0) return write_open();
  if (argc >= 3 && strcmp(argv[1], "opens") == 0) return opens(strtol(argv[2], NULL, 10));
  fprintf(stderr, "usage: slow-open host | write | opens N\n");
  return 2;
}

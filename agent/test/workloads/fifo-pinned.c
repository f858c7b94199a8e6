// A blocking FIFO open by a task pinned to one CPU, so that the test can keep
// it from running (cpu-hold on that CPU) just when the writer arrives: the
// broker's answer (the descriptor, with SECCOMP_ADDFD_FLAG_SEND) then waits in
// the kernel until the task runs again and takes it. Prints the open's
// result, what was read and what the descriptor names.
//   fifo-pinned FIFO CPU
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    return 2;
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(atoi(argv[2]), &cpus);
  if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0) {
    printf("affinity errno %s\n", strerrorname_np(errno));
    return 1;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) {
    printf("open errno %s\n", strerrorname_np(errno));
    return 1;
  }
  char buf[64] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  char link[256] = {0};
  char self[64];
  snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
  if (readlink(self, link, sizeof(link) - 1) < 0) {
    strcpy(link, "?");
  }
  printf("fd %d read %zd %s [%s]\n", fd, n, buf, link);
  return 0;
}

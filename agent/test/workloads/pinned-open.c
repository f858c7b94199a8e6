// An open by a task pinned to one CPU, so that the test can keep it from
// running (cpu-hold on that CPU) just when the broker answers: the answer
// (the descriptor, with SECCOMP_ADDFD_FLAG_SEND) then waits in the kernel
// until the task runs again and takes it. Prints the open's result and what
// the descriptor names, and, when reading, what was read.
//   pinned-open PATH CPU read|write
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    return 2;
  }
  const int reading = strcmp(argv[3], "read") == 0;
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(atoi(argv[2]), &cpus);
  if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0) {
    printf("affinity errno %s\n", strerrorname_np(errno));
    return 1;
  }
  int fd = open(argv[1], reading ? O_RDONLY : O_WRONLY);
  if (fd < 0) {
    printf("open errno %s\n", strerrorname_np(errno));
    return 1;
  }
  char link[256] = {0};
  char self[64];
  snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
  if (readlink(self, link, sizeof(link) - 1) < 0) {
    strcpy(link, "?");
  }
  printf("fd %d [%s]", fd, link);
  if (reading) {
    char buf[64] = {0};
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    printf(" read %zd %s", n, buf);
  }
  printf("\n");
  return 0;
}

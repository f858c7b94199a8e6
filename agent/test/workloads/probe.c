// Keeps making one brokered syscall (an open of TARGET for writing, which
// the broker decides by path) every 50 ms and appends the outcome to RESULT,
// opened once at the start: the witness of what happens to a workload when
// its broker goes away.
//   probe RESULT TARGET
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  int out = open(argv[1], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    perror("open result");
    return 1;
  }
  struct timespec pause = {0, 50 * 1000 * 1000};
  for (;;) {
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    char line[64];
    int n = fd >= 0 ? snprintf(line, sizeof(line), "ok\n") : snprintf(line, sizeof(line), "errno %s\n", strerrorname_np(errno));
    if (fd >= 0) close(fd);
    if (write(out, line, (size_t)n) != n) return 1;
    nanosleep(&pause, NULL);
  }
}

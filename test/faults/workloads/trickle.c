// A quiet workload beside a flood: N refused syscalls (ptrace, answered by
// the broker: N decision events), INTERVAL_MS apart. Static, so these are
// its only decisions. Prints "refused N".
//
//   trickle N INTERVAL_MS
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: trickle N INTERVAL_MS\n");
    return 2;
  }
  long n = atol(argv[1]);
  long interval_ms = atol(argv[2]);
  struct timespec pause = {interval_ms / 1000, (interval_ms % 1000) * 1000000L};
  long refused = 0;
  for (long i = 0; i < n; i++) {
    if (syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0) == -1) {
      refused++;
    }
    nanosleep(&pause, NULL);
  }
  printf("refused %ld\n", refused);
  return 0;
}

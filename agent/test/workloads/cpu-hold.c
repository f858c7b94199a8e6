// Not a workload: the tests run it beside one (outside the sandbox) to keep a
// pinned workload from running for a while. A real-time (SCHED_FIFO) busy
// loop on one CPU for the given time; the kernel runs no ordinary task on
// that CPU meanwhile (the real-time limit, 950 ms of every second by
// default, is far above what the tests ask). Prints "holding" once it runs.
//   cpu-hold CPU MILLISECONDS
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    return 2;
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(atoi(argv[1]), &cpus);
  if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0) {
    fprintf(stderr, "sched_setaffinity: %s\n", strerror(errno));
    return 1;
  }
  struct sched_param param = {.sched_priority = 1};
  if (sched_setscheduler(0, SCHED_FIFO, &param) != 0) {
    fprintf(stderr, "sched_setscheduler(SCHED_FIFO): %s\n", strerror(errno));
    return 1;
  }
  printf("holding\n");
  fflush(stdout);
  const double end = now_ms() + atof(argv[2]);
  while (now_ms() < end) {
  }
  return 0;
}

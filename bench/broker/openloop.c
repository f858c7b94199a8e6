// The emulated-open workload of the broker benchmark: N open+close pairs of
// one path, each timed. Prints JSON: p50, p99 and mean latency of the pair in
// microseconds, pairs per second, and how the opens ended (every open must
// end the same way: all succeed, or all fail with one errno, or the run fails).
// With CPU, the loop first binds itself to that CPU (the benchmark's
// placement runs: the workload on its supervisor's CPU or on another; "-":
// unbound). With PAUSE_US, it sleeps that long before each pair (not timed):
// opens that come one at a time, as a program's do, to a supervisor that
// waited meanwhile.
//   openloop PATH read|write N [CPU|-] [PAUSE_US]
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: openloop PATH read|write N [CPU|-] [PAUSE_US]\n");
    return 2;
  }
  const long pause_us = argc > 5 ? atol(argv[5]) : 0;
  if (argc > 4 && strcmp(argv[4], "-") != 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(atoi(argv[4]), &cpus);
    if (sched_setaffinity(0, sizeof(cpus), &cpus) != 0) {
      perror("openloop: sched_setaffinity");
      return 2;
    }
  }
  const char* path = argv[1];
  const int flags = (strcmp(argv[2], "write") == 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC;
  long n = atol(argv[3]);
  double* lat = malloc(sizeof(double) * (size_t)n);
  if (lat == NULL || n < 1) return 2;
  int first_errno = -1;  // -1: not yet seen; 0: the opens succeed
  double start = now_us();
  double paused = 0;
  for (long i = 0; i < n; i++) {
    if (pause_us > 0) {
      double p0 = now_us();
      usleep((useconds_t)pause_us);
      paused += now_us() - p0;
    }
    double t0 = now_us();
    int fd = openat(AT_FDCWD, path, flags);
    int err = fd < 0 ? errno : 0;
    if (fd >= 0) close(fd);
    lat[i] = now_us() - t0;
    if (first_errno < 0) {
      first_errno = err;
    } else if (err != first_errno) {
      fprintf(stderr, "openloop: open %ld of %s ended with %s, the first with %s\n", i, path, strerror(err),
              strerror(first_errno));
      return 1;
    }
  }
  double total = now_us() - start - paused;
  qsort(lat, (size_t)n, sizeof(double), compare);
  double sum = 0;
  for (long i = 0; i < n; i++) sum += lat[i];
  const char* outcome = first_errno == 0 ? "ok" : strerrorname_np(first_errno);
  printf("{\"calls\":%ld,\"outcome\":\"%s\",\"p50_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f,\"calls_per_s\":%.0f}\n", n,
         outcome ? outcome : "E?", lat[n / 2], lat[(long)(n * 0.99)], sum / (double)n, (double)n / (total / 1e6));
  return 0;
}

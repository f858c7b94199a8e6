// What the broker benchmark's C workloads share to time their calls: a
// monotonic clock in microseconds, and the order qsort sorts latencies in.
#ifndef ZVIZ_BENCH_BROKER_TIMING_H
#define ZVIZ_BENCH_BROKER_TIMING_H

#include <time.h>

static inline double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static inline int compare(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

#endif

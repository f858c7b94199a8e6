// The workload of the broker benchmark: N getppid() calls in a tight loop,
// each timed. Prints JSON: p50, p99 and mean latency in microseconds, and
// calls per second.
//   loop N
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 200000;
  double* lat = malloc(sizeof(double) * (size_t)n);
  if (lat == NULL || n < 1) return 2;
  double start = now_us();
  for (long i = 0; i < n; i++) {
    double t0 = now_us();
    syscall(SYS_getppid);
    lat[i] = now_us() - t0;
  }
  double total = now_us() - start;
  qsort(lat, (size_t)n, sizeof(double), compare);
  double sum = 0;
  for (long i = 0; i < n; i++) sum += lat[i];
  printf("{\"calls\":%ld,\"p50_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f,\"calls_per_s\":%.0f}\n", n, lat[n / 2],
         lat[(long)(n * 0.99)], sum / (double)n, (double)n / (total / 1e6));
  return 0;
}

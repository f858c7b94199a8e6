// The truncating-open workload of the broker benchmark (part 8): the demo's
// CI job rewrites its files with `>` (open with O_WRONLY|O_CREAT|O_TRUNC of a
// file that holds data), and those opens make the tail of the demo's broker
// latency (docs/benchmarks.md, "Demo broker latency"). FILES files of SIZE
// bytes in the working directory are rewritten in turn, N times in all; only
// the truncating open is timed (the write and close after it are not, nor
// the PAUSE_US pause before it, which makes the opens come one at a time as
// a shell's do). With PRESSURE_MS, a child process writes 64 KiB to a file of
// its own and fsyncs it every PRESSURE_MS ms meanwhile, as the demo's noisy
// service does every second: the journal commits that a truncation on ext4
// may wait behind. Everything the loop does runs the same bare and sandboxed;
// the child opens its file once, before the loop. Prints JSON as openloop
// does, with p90, max and how many opens took more than 100 µs.
//   truncloop N SIZE PAUSE_US PRESSURE_MS [FILES]
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

static int write_all(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    data += n;
    size -= (size_t)n;
  }
  return 0;
}

static void sleep_us(long us) {
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// The noisy neighbour: 64 KiB written and fsynced every `ms` until killed.
static pid_t start_pressure(long ms) {
  int fd = open("truncloop-pressure", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    fprintf(stderr, "truncloop: pressure file: %s\n", strerror(errno));
    exit(1);
  }
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "truncloop: fork: %s\n", strerror(errno));
    exit(1);
  }
  if (pid > 0) {
    close(fd);
    return pid;
  }
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  static char block[65536];
  memset(block, 'x', sizeof(block));
  for (;;) {
    if (pwrite(fd, block, sizeof(block), 0) < 0 || fsync(fd) != 0) _exit(1);
    sleep_us(ms * 1000);
  }
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: truncloop N SIZE PAUSE_US PRESSURE_MS [FILES]\n");
    return 2;
  }
  const long n = atol(argv[1]);
  const size_t size = (size_t)atol(argv[2]);
  const long pause_us = atol(argv[3]);
  const long pressure_ms = atol(argv[4]);
  const long files = argc > 5 ? atol(argv[5]) : 8;
  double* lat = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
  char* data = malloc(size > 0 ? size : 1);
  if (lat == NULL || data == NULL || n < 1 || files < 1) return 2;
  memset(data, 'd', size);
  char name[64];
  for (long f = 0; f < files; f++) {
    snprintf(name, sizeof(name), "truncloop-%ld", f);
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || write_all(fd, data, size) != 0) {
      fprintf(stderr, "truncloop: %s: %s\n", name, strerror(errno));
      return 1;
    }
    close(fd);
  }
  const pid_t pressure = pressure_ms > 0 ? start_pressure(pressure_ms) : -1;
  double busy = 0;
  for (long i = 0; i < n; i++) {
    if (pause_us > 0) sleep_us(pause_us);
    snprintf(name, sizeof(name), "truncloop-%ld", i % files);
    const double t0 = now_us();
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    lat[i] = now_us() - t0;
    busy += lat[i];
    if (fd < 0) {
      fprintf(stderr, "truncloop: open %s: %s\n", name, strerror(errno));
      printf("{\"calls\":%ld,\"outcome\":\"%s\"}\n", i, strerror(errno));
      return 1;
    }
    if (write_all(fd, data, size) != 0) {
      fprintf(stderr, "truncloop: write %s: %s\n", name, strerror(errno));
      return 1;
    }
    close(fd);
  }
  if (pressure > 0) {
    kill(pressure, SIGKILL);
    waitpid(pressure, NULL, 0);
  }
  for (long f = 0; f < files; f++) {
    snprintf(name, sizeof(name), "truncloop-%ld", f);
    unlink(name);
  }
  unlink("truncloop-pressure");
  qsort(lat, (size_t)n, sizeof(double), compare);
  long above = 0;
  for (long i = 0; i < n; i++) above += lat[i] > 100.0;
  printf("{\"calls\":%ld,\"outcome\":\"ok\",\"p50_us\":%.3f,\"p90_us\":%.3f,\"p99_us\":%.3f,\"max_us\":%.3f,"
         "\"mean_us\":%.3f,\"above_100us\":%ld,\"calls_per_s\":%.0f}\n",
         n, lat[n / 2], lat[(long)(n * 0.9)], lat[(long)(n * 0.99)], lat[n - 1], busy / (double)n, above,
         (double)n / (busy / 1e6));
  return 0;
}

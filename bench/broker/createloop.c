// The emulated-create workload of the broker benchmark (part 7): N creates of
// new files in the working directory (O_CREAT|O_EXCL, mode 0666), each timed
// with its close; the file is removed after (not timed; unlink is not
// brokered). Prints JSON as openloop does, and the mode the files got, which
// must be the same with the umask read from /proc or known by the broker.
//   createloop N
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: createloop N\n");
    return 2;
  }
  long n = atol(argv[1]);
  double* lat = malloc(sizeof(double) * (size_t)n);
  if (lat == NULL || n < 1) return 2;
  char name[64];
  unsigned mode = 0;
  double start = now_us();
  for (long i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "createloop-%ld-%d", i, (int)getpid());
    double t0 = now_us();
    int fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0) {
      fprintf(stderr, "createloop: create %ld: %s\n", i, strerror(errno));
      return 1;
    }
    if (i == 0) {
      struct stat st;
      if (fstat(fd, &st) == 0) mode = st.st_mode & 0777;
    }
    close(fd);
    lat[i] = now_us() - t0;
    unlink(name);
  }
  double total = now_us() - start;
  qsort(lat, (size_t)n, sizeof(double), compare);
  double sum = 0;
  for (long i = 0; i < n; i++) sum += lat[i];
  printf("{\"calls\":%ld,\"outcome\":\"ok\",\"mode\":\"%03o\",\"p50_us\":%.3f,\"p99_us\":%.3f,\"mean_us\":%.3f,"
         "\"calls_per_s\":%.0f}\n",
         n, mode, lat[n / 2], lat[(long)(n * 0.99)], sum / (double)n, (double)n / (total / 1e6));
  return 0;
}

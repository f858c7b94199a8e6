// A workload that makes the sandbox decide as fast as it can: refused
// syscalls (ptrace, refused by the profile and answered by the broker, so
// each one is a decision event) from several threads, for a given time.
// Static, so nothing but these calls reaches the broker.
//
//   flood SECONDS THREADS
//
// Prints "calls N" (how many refused calls it made) at the end.
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_long calls;
static double deadline;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void* flood(void* arg) {
  (void)arg;
  long n = 0;
  while (now() < deadline) {
    for (int i = 0; i < 256; i++) {
      syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0);
    }
    n += 256;
  }
  atomic_fetch_add(&calls, n);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: flood SECONDS THREADS\n");
    return 2;
  }
  double seconds = strtod(argv[1], NULL);
  int threads = atoi(argv[2]);
  if (threads < 1 || threads > 64) {
    fprintf(stderr, "flood: THREADS must be 1..64\n");
    return 2;
  }
  deadline = now() + seconds;
  pthread_t t[64];
  for (int i = 0; i < threads; i++) {
    if (pthread_create(&t[i], NULL, flood, NULL) != 0) {
      perror("pthread_create");
      return 1;
    }
  }
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
  }
  printf("calls %ld\n", atomic_load(&calls));
  return 0;
}

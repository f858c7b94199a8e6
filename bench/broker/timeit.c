// Runs a command and prints, as JSON, its wall-clock time and the CPU time
// (user + system) it and its children used, measured inside the sandbox so
// the sandbox's own start-up is left out. CPU time is what the benchmark
// compares: other jobs on a shared machine stretch wall time, not it.
//   timeit PROGRAM ARGS...
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  pid_t pid = fork();
  if (pid == 0) {
    execvp(argv[1], argv + 1);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  clock_gettime(CLOCK_MONOTONIC, &b);
  double seconds = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
  struct rusage ru;
  getrusage(RUSAGE_CHILDREN, &ru);
  double user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  double sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
  fprintf(stderr, "{\"seconds\":%.6f,\"cpu\":%.6f,\"user\":%.6f,\"sys\":%.6f,\"status\":%d}\n", seconds, user + sys, user, sys,
          WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  return 0;
}

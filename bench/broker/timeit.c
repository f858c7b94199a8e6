// Runs a command and prints its wall-clock time in seconds (JSON), so the
// time is measured inside the sandbox, without the sandbox's own start-up.
//   timeit PROGRAM ARGS...
#define _GNU_SOURCE
#include <stdio.h>
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
  fprintf(stderr, "{\"seconds\":%.6f,\"status\":%d}\n", seconds, WIFEXITED(status) ? WEXITSTATUS(status) : 128);
  return 0;
}

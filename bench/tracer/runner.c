// Runs a command inside a cgroup and reports its wall-clock and CPU time.
//   runner CGROUP_DIR COMMAND ARGS...
// prints "wall_ns user_ns sys_ns" (children included) on stdout.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timeval tv) { return tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL; }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: runner CGROUP_DIR COMMAND ARGS...\n");
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof(path), "%s/cgroup.procs", argv[1]);
  int fd = open(path, O_WRONLY);
  if (fd < 0 || dprintf(fd, "%d\n", getpid()) < 0) {
    perror(path);
    return 1;
  }
  close(fd);

  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  pid_t child = fork();
  if (child < 0) {
    perror("fork");
    return 1;
  }
  if (child == 0) {
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, STDOUT_FILENO);
    execvp(argv[2], argv + 2);
    perror(argv[2]);
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  if (wait4(child, &status, 0, &usage) < 0) {
    perror("wait4");
    return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &end);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "%s failed (status %d)\n", argv[2], status);
    return 1;
  }
  long long wall = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
  printf("%lld %lld %lld\n", wall, ns(usage.ru_utime), ns(usage.ru_stime));
  return 0;
}

// Makes the syscalls named on the command line, in order, and prints one
// line each: "NAME ok VALUE" or "NAME errno NAME". For profiles that give
// each of these a different action.
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static const struct {
  const char* name;
  long nr;
} kCalls[] = {
    {"getppid", SYS_getppid}, {"getpgrp", SYS_getpgrp}, {"sched_yield", SYS_sched_yield},
    {"getuid", SYS_getuid},   {"getgid", SYS_getgid},   {"geteuid", SYS_geteuid},
    {"getegid", SYS_getegid}, {"sync", SYS_sync},       {"getpid", SYS_getpid},
};

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  for (int i = 1; i < argc; i++) {
    long nr = -1;
    for (size_t k = 0; k < sizeof(kCalls) / sizeof(kCalls[0]); k++) {
      if (strcmp(argv[i], kCalls[k].name) == 0) nr = kCalls[k].nr;
    }
    if (nr < 0) {
      printf("%s unknown\n", argv[i]);
      continue;
    }
    errno = 0;
    long rc = syscall(nr);
    if (rc < 0) {
      printf("%s errno %s\n", argv[i], strerrorname_np(errno));
    } else {
      printf("%s ok %ld\n", argv[i], rc);
    }
  }
  return 0;
}

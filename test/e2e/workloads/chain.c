// The end-to-end workload: a known number of each decision, nothing else.
// Static, so no dynamic loader opens files before main.
//
//   chain ALLOWED LOGGED DENIED PTRACES
//
// opens ./allowed, ./logged and ./denied (read-only) that many times each,
// then calls ptrace(PTRACE_ATTACH, 1) PTRACES times; prints what it saw.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int open_n(const char* path, long n, int* first_errno) {
  int ok = 0;
  *first_errno = 0;
  for (long i = 0; i < n; i++) {
    int fd = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ok++;
      close(fd);
    } else if (*first_errno == 0) {
      *first_errno = errno;
    }
  }
  return ok;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: chain ALLOWED LOGGED DENIED PTRACES\n");
    return 2;
  }
  const char* paths[] = {"allowed", "logged", "denied"};
  for (int i = 0; i < 3; i++) {
    long n = strtol(argv[i + 1], NULL, 10);
    int err;
    int ok = open_n(paths[i], n, &err);
    printf("%s: %d of %ld opened%s%s\n", paths[i], ok, n, err ? ", refused with errno " : "", err ? (err == EACCES ? "EACCES" : "other") : "");
  }
  long ptraces = strtol(argv[4], NULL, 10);
  long refused = 0;
  for (long i = 0; i < ptraces; i++) {
    if (syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0) == -1) {
      refused++;
    }
  }
  printf("ptrace: %ld of %ld refused\n", refused, ptraces);
  return 0;
}

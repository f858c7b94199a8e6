// Makes N syscalls the default profile refuses (ptrace(PTRACE_ATTACH, 1)),
// each answered by the broker: N decision events. Prints "refused N".
//   refuse N
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  long n = argc > 1 ? atol(argv[1]) : 0;
  long refused = 0;
  for (long i = 0; i < n; i++) {
    if (syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0) == -1) {
      refused++;
    }
  }
  printf("refused %ld\n", refused);
  return 0;
}

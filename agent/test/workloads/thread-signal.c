// Sends a signal to one thread of a process (tgkill), as nothing in Node can:
// the tests interrupt one broker thread of their own process with it.
//   thread-signal PID TID SIGNAL
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: thread-signal PID TID SIGNAL\n");
    return 2;
  }
  if (syscall(SYS_tgkill, atoi(argv[1]), atoi(argv[2]), atoi(argv[3])) != 0) {
    perror("thread-signal: tgkill");
    return 1;
  }
  return 0;
}

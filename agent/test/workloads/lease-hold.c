// Not a workload: the tests run it beside one (outside the sandbox) to make
// an open for writing of FILE wait in the kernel (the broker's emulated
// open, when the broker makes it) until the test lets go. Takes a read lease
// on FILE, prints "holding", and keeps it until its standard input ends;
// the break notice (SIGIO, which would end it) is ignored.
//   lease-hold FILE
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 2) {
    return 2;
  }
  signal(SIGIO, SIG_IGN);
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0 || fcntl(fd, F_SETLEASE, F_RDLCK) != 0) {
    fprintf(stderr, "lease on %s: %s\n", argv[1], strerror(errno));
    return 1;
  }
  printf("holding\n");
  fflush(stdout);
  char c;
  while (read(STDIN_FILENO, &c, 1) > 0) {
  }
  return 0;
}

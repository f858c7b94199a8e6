// A workload whose decision events are as large as a workload can make them:
// it opens COUNT distinct paths of about LENGTH bytes (none exists; under the
// `observe` profile every open is a logged decision event carrying its path).
// Static, so nothing but these opens reaches the broker.
//
//   long-paths COUNT LENGTH
//
// Prints "opened N" at the end.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: long-paths COUNT LENGTH\n");
    return 2;
  }
  int count = atoi(argv[1]);
  size_t length = (size_t)atoi(argv[2]);
  static char path[4096];
  if (length < 32 || length > sizeof path - 32) {
    fprintf(stderr, "long-paths: LENGTH must be 32..%zu\n", sizeof path - 32);
    return 2;
  }
  strcpy(path, "/nonexistent/");
  memset(path + strlen(path), 'x', length - strlen(path));
  path[length] = '\0';
  for (int i = 0; i < count; i++) {
    snprintf(path + length, 16, "/%d", i);
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
      close(fd);
    }
  }
  printf("opened %d\n", count);
  return 0;
}

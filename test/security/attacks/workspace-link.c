// Attack: a link where another container's workspace will be
// (test/security/workspace-links.test.ts). The workload's own workspace
// holds the directory a later run is given as its working directory.
//   workspace-link TARGET NAME
//     puts a link there to a directory outside, which the later run's view
//     would bind writable in its place;
//   workspace-link swap DIR LINK
//     exchanges the directory and a link beside it (RENAME_EXCHANGE, atomic)
//     until a file named "stop" appears, so that each later start finds the
//     directory when the agent checks it and, as often as not, the link when
//     the view is made.
#include "attack.h"

#include <sys/stat.h>

static void swap_until_stopped(const char* dir, const char* link) {
  long swaps = 0;
  long failed = 0;
  struct stat st;
  while (swaps % 1024 != 0 || stat("stop", &st) != 0) {
    if (syscall(SYS_renameat2, AT_FDCWD, dir, AT_FDCWD, link, RENAME_EXCHANGE) != 0) {
      ++failed;
    }
    ++swaps;
  }
  say("swaps %ld", swaps);
  outcome("swap", failed == 0 ? 0 : -1);
}

int main(int argc, char** argv) {
  if (argc == 4 && strcmp(argv[1], "swap") == 0) {
    swap_until_stopped(argv[2], argv[3]);
    return 0;
  }
  if (argc != 3) {
    say("usage: workspace-link TARGET NAME | workspace-link swap DIR LINK");
    return 2;
  }
  outcome("link", symlink(argv[1], argv[2]));
  return 0;
}

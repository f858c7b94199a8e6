// Attack: a link where another container's workspace will be
// (test/security/workspace-links.test.ts). The workload's own workspace
// holds the directory a later run is given as its working directory; it
// puts a link there to a directory outside, which the later run's view
// would bind writable in its place.
//   workspace-link TARGET NAME
#include "attack.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    say("usage: workspace-link TARGET NAME");
    return 2;
  }
  outcome("link", symlink(argv[1], argv[2]));
  return 0;
}

// Attack: reopen for reading what the caller handed the workload for
// writing, or open through a directory the caller handed it, both outside
// the view. The test runs the workload with stderr appended to a host file
// that already holds a marker (zviz run ... 2>>FILE) and stdin a host
// directory that holds the secret (zviz run ... <DIR). A kernel open of
// /proc/self/fd/N follows the magic link to the file itself, wherever it
// lives; an openat relative to descriptor 0 walks from the host directory.
//
//   reopen-caller   one line per attempt: "NAME read HEX" of what it got, or
//                   "NAME errno ENAME"
#include "attack.h"

#include <fcntl.h>

static void reopen(const char* name, int dir, const char* path) {
  open_outcome(name, openat(dir, path, O_RDONLY | O_CLOEXEC));
}

int main(void) {
  char own[64];
  reopen("stderr-proc-self", AT_FDCWD, "/proc/self/fd/2");
  reopen("stderr-dev", AT_FDCWD, "/dev/stderr");
  snprintf(own, sizeof(own), "/proc/%d/fd/2", (int)getpid());
  reopen("stderr-proc-pid", AT_FDCWD, own);
  const int fds = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  reopen("stderr-fd-dir", fds, "2");
  reopen("stdin-dir-reopen", AT_FDCWD, "/proc/self/fd/0");
  reopen("stdin-dir-secret", 0, "secret");
  reopen("stdin-dir-parent", 0, "../outside/secret");
  return 0;
}

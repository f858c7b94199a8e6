// Processes that try to outlive the container's end: the workload makes
// itself a child subreaper (so orphans below it come to it, not to the
// container's init), starts a grandchild in a session of its own that clears
// its death signal and ignores SIGHUP and SIGTERM, leaves an orphaned process
// group behind, then its first process exits at once. Also PR_SET_MM, which
// would let it rewrite what /proc shows of its memory layout and command line.
//   reaper   (ZVIZ_ATTACK_TAG, in the environment of every process it leaves)
// The test looks on the host for any process of the run after it ended.
#include "attack.h"

#include <sys/prctl.h>

int main(void) {
  outcome("subreaper", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
  outcome("pr-set-mm-arg-start", prctl(PR_SET_MM, PR_SET_MM_ARG_START, (unsigned long)&main, 0, 0));
  int ready[2];
  if (pipe(ready) != 0) {
    outcome("pipe", -1);
    return 2;
  }
  pid_t child = fork();
  if (child == 0) {
    // A process group of its own whose leader exits: the rest is orphaned.
    setpgid(0, 0);
    if (fork() == 0) {
      setsid();
      prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
      signal(SIGHUP, SIG_IGN);
      signal(SIGTERM, SIG_IGN);
      // As daemons do: nothing of the terminal or the caller's pipes kept.
      close(0);
      close(1);
      close(2);
      if (fork() == 0) {
        close(ready[0]);
        (void)write(ready[1], "x", 1);
        close(ready[1]);
        for (;;) pause();
      }
      for (;;) pause();
    }
    _exit(0);
  }
  close(ready[1]);
  char c;
  outcome("daemon-started", read(ready[0], &c, 1) == 1 ? 0 : -1);
  waitpid(child, NULL, 0);
  return 0;
}

// Core dumps: the kernel writes a crashing process's core where the
// process's working directory is (core_pattern "core" on this host), with
// the process's own mounts, so a workload that moves to a directory outside
// its workspace and crashes must not get a file written there.
#include "attack.h"

#include <sys/prctl.h>
#include <sys/resource.h>

int main(void) {
  const char* outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  outcome("rlimit-core", setrlimit(RLIMIT_CORE, &unlimited));
  outcome("dumpable", prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
  outcome("chdir-outside", chdir(outside));
  pid_t pid = fork();
  if (pid == 0) {
    abort();
  }
  int status = 0;
  waitpid(pid, &status, 0);
  say("crash %s%s", WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status)) : "none",
      WIFSIGNALED(status) && WCOREDUMP(status) ? " core-dumped" : "");
  return 0;
}

// Not an attack run inside the sandbox: the caller the tests start the agent
// and `zviz run` under (inherited.test.ts). It sets, on itself, every
// attribute Linux hands a child across fork and execve that would make a
// workload stronger than its profile says, or weaker than a container should
// be, then executes its arguments, which inherit them all:
//   nice -5, the real-time I/O class, no ASLR and READ_IMPLIES_EXEC
//   (setarch -R -X), a 10 ms timer slack, transparent huge pages disabled,
//   KSM for every mapping (systemd's MemoryKSM=yes), an OOM score adjustment
//   of -900 (OOMScoreAdjust=-900; where the kernel lets it), the supplementary
//   groups adm and shadow, SIGHUP, SIGINT, SIGTERM, 32 and 33 ignored,
//   SIGUSR2 blocked, SECBIT_NO_CAP_AMBIENT_RAISE, one CPU; and a soft
//   descriptor limit of 1024, as systemd gives a service (the agent and
//   `zviz run`, Node, raise their own to the hard limit).
// Each step that fails prints why on stderr and exits 125, so a test never
// runs under a caller that is not what it says; the OOM score is optional,
// since lowering it takes CAP_SYS_RESOURCE ("hostile-parent: oom-score-adj
// errno EACCES" on stderr where it lacks it).
//   hostile-parent COMMAND [ARG...]
#include "attack.h"
#include "inheritance.h"

#include <grp.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#ifndef PR_SET_MEMORY_MERGE
#define PR_SET_MEMORY_MERGE 67
#endif
#ifndef SECBIT_NO_CAP_AMBIENT_RAISE
#define SECBIT_NO_CAP_AMBIENT_RAISE (1 << 6)
#endif

static void must(const char* step, long rc) {
  if (rc < 0) {
    fprintf(stderr, "hostile-parent: %s: %s\n", step, strerror(errno));
    exit(125);
  }
}

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: hostile-parent COMMAND [ARG...]\n");
    return 125;
  }
  must("nice -5", setpriority(PRIO_PROCESS, 0, -5));
  must("ioprio real-time", syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_RT << IOPRIO_CLASS_SHIFT));
  must("personality", personality(PER_LINUX | ADDR_NO_RANDOMIZE | READ_IMPLIES_EXEC));
  must("timer slack", prctl(PR_SET_TIMERSLACK, 10 * 1000 * 1000, 0, 0, 0));
  must("thp disable", prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0));
  must("memory merge", prctl(PR_SET_MEMORY_MERGE, 1, 0, 0, 0));
  int adj = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (adj < 0 || write(adj, "-900", 4) != 4) {
    fprintf(stderr, "hostile-parent: oom-score-adj errno %s\n", strerrorname_np(errno));
  }
  if (adj >= 0) close(adj);
  const gid_t groups[] = {4, 42};  // adm, shadow
  must("setgroups", setgroups(2, groups));
  struct kernel_sigaction ignore = {.handler = (void*)SIG_IGN};
  const int ignored[] = {SIGHUP, SIGINT, SIGTERM, 32, 33};
  for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
    must("ignore a signal", syscall(SYS_rt_sigaction, ignored[i], &ignore, NULL, 8));
  }
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  must("block SIGUSR2", sigprocmask(SIG_BLOCK, &block, NULL));
  must("securebits", prctl(PR_SET_SECUREBITS, prctl(PR_GET_SECUREBITS) | SECBIT_NO_CAP_AMBIENT_RAISE, 0, 0, 0));
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  must("one CPU", sched_setaffinity(0, sizeof(one), &one));
  struct rlimit files;
  must("getrlimit", getrlimit(RLIMIT_NOFILE, &files));
  files.rlim_cur = files.rlim_max < 1024 ? files.rlim_max : 1024;
  must("soft RLIMIT_NOFILE", setrlimit(RLIMIT_NOFILE, &files));
  execvp(argv[1], argv + 1);
  must(argv[1], -1);
  return 125;
}

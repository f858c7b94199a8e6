// What a workload inherited from whoever started it (the agent, or the shell
// that ran `zviz run`): every per-process attribute Linux passes across fork
// and execve that could make a workload stronger than its profile says, or
// weaker than a container should be. The program changes nothing; it says
// what it holds, read the way the kernel reports it, one line each:
//   nice N                 getpriority (0: the node's normal priority)
//   ioprio CLASS/LEVEL     ioprio_get (class 0: none, from the nice value; 1 real-time; 3 idle)
//   personality 0xHEX      personality(0xffffffff) (0x40000: ADDR_NO_RANDOMIZE, no ASLR)
//   timer-slack NS         PR_GET_TIMERSLACK
//   thp-disable N          PR_GET_THP_DISABLE
//   memory-merge N         PR_GET_MEMORY_MERGE (KSM for every mapping)
//   oom-score-adj N        /proc/self/oom_score_adj
//   groups G,G             getgroups (supplementary groups)
//   ignored S,S            signals whose disposition is SIG_IGN (raw rt_sigaction: 32 and 33 too)
//   blocked HEX            the blocked signal mask (/proc/self/status SigBlk)
//   securebits HEX         PR_GET_SECUREBITS
//   ambient HEX            CapAmb
//   session-leader N       1 when it leads its own session
//   tty ERRNO              opening /dev/tty (ENXIO: no controlling terminal)
//   cpus N                 CPUs in its affinity mask
//   memlock CUR/MAX        RLIMIT_MEMLOCK (-1: unlimited)
//   nofile CUR             the soft RLIMIT_NOFILE
// Anything refused prints "NAME errno ENAME".
#include "attack.h"
#include "inheritance.h"

#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#ifndef PR_GET_MEMORY_MERGE
#define PR_GET_MEMORY_MERGE 68
#endif

static void prctl_value(const char* name, int option) {
  long v = prctl(option, 0, 0, 0, 0);
  if (v < 0) {
    outcome(name, v);
  } else {
    say("%s %ld", name, v);
  }
}

/** The value of a "Name:\tvalue" line of /proc/self/status. */
static void status_field(const char* name, const char* field) {
  char buf[8192];
  int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n <= 0) {
    outcome(name, -1);
    return;
  }
  buf[n] = '\0';
  size_t len = strlen(field);
  for (char* line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, field, len) == 0 && line[len] == ':') {
      char* value = line + len + 1;
      while (*value == '\t' || *value == ' ') value++;
      char* end = strchr(value, '\n');
      if (end) *end = '\0';
      say("%s %s", name, value);
      return;
    }
  }
  say("%s missing", name);
}

int main(void) {
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  if (errno != 0) {
    outcome("nice", -1);
  } else {
    say("nice %d", nice);
  }
  long io = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
  if (io < 0) {
    outcome("ioprio", io);
  } else {
    say("ioprio %ld/%ld", io >> IOPRIO_CLASS_SHIFT, io & ((1 << IOPRIO_CLASS_SHIFT) - 1));
  }
  long persona = syscall(SYS_personality, 0xffffffffUL);
  if (persona < 0) {
    outcome("personality", persona);
  } else {
    say("personality 0x%lx", persona);
  }
  prctl_value("timer-slack", PR_GET_TIMERSLACK);
  prctl_value("thp-disable", PR_GET_THP_DISABLE);
  prctl_value("memory-merge", PR_GET_MEMORY_MERGE);

  char adj[32] = {0};
  int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, adj, sizeof(adj) - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) {
    outcome("oom-score-adj", -1);
  } else {
    adj[strcspn(adj, "\n")] = '\0';
    say("oom-score-adj %s", adj);
  }

  gid_t groups[64];
  int count = getgroups(64, groups);
  if (count < 0) {
    outcome("groups", count);
  } else {
    char list[64 * 12] = "";
    size_t at = 0;
    for (int i = 0; i < count; i++) {
      at += (size_t)snprintf(list + at, sizeof(list) - at, "%s%u", i ? "," : "", groups[i]);
    }
    say("groups %s", count ? list : "none");
  }

  char ignored[64 * 4] = "";
  size_t at = 0;
  for (int sig = 1; sig <= 64; sig++) {
    struct kernel_sigaction old;
    if (syscall(SYS_rt_sigaction, sig, NULL, &old, 8) == 0 && old.handler == (void*)SIG_IGN) {
      at += (size_t)snprintf(ignored + at, sizeof(ignored) - at, "%s%d", at ? "," : "", sig);
    }
  }
  say("ignored %s", at ? ignored : "none");
  status_field("blocked", "SigBlk");
  long bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (bits < 0) {
    outcome("securebits", bits);
  } else {
    say("securebits 0x%lx", bits);
  }
  status_field("ambient", "CapAmb");
  say("session-leader %d", getsid(0) == getpid());
  int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  if (tty >= 0) {
    say("tty ok");
    close(tty);
  } else {
    outcome("tty", -1);
  }
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) != 0) {
    outcome("cpus", -1);
  } else {
    say("cpus %d", CPU_COUNT(&cpus));
  }
  struct rlimit l;
  if (getrlimit(RLIMIT_MEMLOCK, &l) != 0) {
    outcome("memlock", -1);
  } else {
    say("memlock %lld/%lld", l.rlim_cur == RLIM_INFINITY ? -1LL : (long long)l.rlim_cur,
        l.rlim_max == RLIM_INFINITY ? -1LL : (long long)l.rlim_max);
  }
  if (getrlimit(RLIMIT_NOFILE, &l) != 0) {
    outcome("nofile", -1);
  } else {
    say("nofile %lld", l.rlim_cur == RLIM_INFINITY ? -1LL : (long long)l.rlim_cur);
  }
  return 0;
}

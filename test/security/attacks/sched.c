// Attack: a workload root asking for more of the node's CPU and disk than
// any other process gets. Without CAP_SYS_NICE the kernel grants a real-time
// policy, or a nice value below 0, only up to the soft RLIMIT_RTPRIO and
// RLIMIT_NICE, and any process may raise its soft limit to its hard one: so
// a workload that inherited a raised hard limit takes SCHED_FIFO, which
// runs before every normal thread of the node (the agent's supervisor
// threads among them) for 95 % of each second. The program raises both soft
// limits to their hard ones, asks for each policy, then says what it holds.
// It never spins: holding the policy is the finding.
//   start-policy N                             the policy it started with (0: SCHED_OTHER)
//   rtprio-limit CUR/MAX, nice-limit CUR/MAX   the limits it started with
//   raise-rtprio, raise-nice                   soft limit raised to the hard one
//   sched-fifo, sched-rr                       priority 1
//   sched-deadline                             sched_setattr (CAP_SYS_NICE only)
//   nice-minus-20                              setpriority(-20)
//   ioprio-rt                                  ioprio_set, the real-time I/O class
//   policy N, nice N, ioprio-class N           what it holds at the end
#include "attack.h"

#include <sched.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS_RT 1
#define IOPRIO_WHO_PROCESS 1

struct zviz_sched_attr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

static void limit(const char* name, int resource) {
  struct rlimit l;
  if (getrlimit(resource, &l) != 0) {
    outcome(name, -1);
    return;
  }
  say("%s %lld/%lld", name, l.rlim_cur == RLIM_INFINITY ? -1LL : (long long)l.rlim_cur,
      l.rlim_max == RLIM_INFINITY ? -1LL : (long long)l.rlim_max);
}

static void raise_soft(const char* name, int resource) {
  struct rlimit l;
  if (getrlimit(resource, &l) != 0) {
    outcome(name, -1);
    return;
  }
  l.rlim_cur = l.rlim_max;
  outcome(name, setrlimit(resource, &l));
}

static void back_to_normal(void) {
  struct sched_param none = {0};
  sched_setscheduler(0, SCHED_OTHER, &none);
}

int main(void) {
  say("start-policy %d", sched_getscheduler(0));
  limit("rtprio-limit", RLIMIT_RTPRIO);
  limit("nice-limit", RLIMIT_NICE);
  raise_soft("raise-rtprio", RLIMIT_RTPRIO);
  raise_soft("raise-nice", RLIMIT_NICE);

  struct sched_param one = {.sched_priority = 1};
  if (outcome("sched-fifo", sched_setscheduler(0, SCHED_FIFO, &one)) == 0) back_to_normal();
  if (outcome("sched-rr", sched_setscheduler(0, SCHED_RR, &one)) == 0) back_to_normal();
  struct zviz_sched_attr attr = {
      .size = sizeof(attr),
      .sched_policy = 6,  // SCHED_DEADLINE
      .sched_runtime = 10 * 1000 * 1000,
      .sched_deadline = 30 * 1000 * 1000,
      .sched_period = 30 * 1000 * 1000,
  };
  if (outcome("sched-deadline", syscall(SYS_sched_setattr, 0, &attr, 0)) == 0) back_to_normal();
  outcome("nice-minus-20", setpriority(PRIO_PROCESS, 0, -20));
  outcome("ioprio-rt",
          syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, (IOPRIO_CLASS_RT << IOPRIO_CLASS_SHIFT) | 0));

  say("policy %d", sched_getscheduler(0));
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  say("nice %d", errno ? 99 : nice);
  long io = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
  say("ioprio-class %ld", io < 0 ? -1 : io >> IOPRIO_CLASS_SHIFT);
  return 0;
}

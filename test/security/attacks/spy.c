// Attack: the agent's activity watched from inside, with inotify on the
// files it writes (its audit log, its directory). The kernel lets any
// process watch any inode it can look up; what must hold is that the
// agent's files are not in the view, or are masks whose inodes the agent
// never writes. The program watches both paths, waits while the test makes
// the agent's files change, then counts what it saw:
//   inotify-init, watch-agent-dir, watch-audit-log   the calls' outcomes
//   events N                                          events read after the wait
// argv: the agent's directory, its audit log, seconds to wait.
#include "attack.h"

#include <sys/inotify.h>

int main(int argc, char** argv) {
  if (argc < 4) return 2;
  int fd = (int)outcome("inotify-init", inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
  if (fd < 0) return 0;
  outcome("watch-agent-dir", inotify_add_watch(fd, argv[1], IN_ALL_EVENTS));
  outcome("watch-audit-log", inotify_add_watch(fd, argv[2], IN_ALL_EVENTS));
  sleep((unsigned)atoi(argv[3]));
  long events = 0;
  char buffer[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    for (char* p = buffer; p < buffer + n; p += sizeof(struct inotify_event) + ((struct inotify_event*)p)->len) {
      events++;
    }
  }
  say("events %ld", events);
  return 0;
}

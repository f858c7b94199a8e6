// Attack: blind the audit before acting. The workload makes COUNT audited
// decisions as fast as it can (io_uring_setup, which every built-in profile
// refuses through the broker: each one an event), then at once executes a
// copy of this program from /tmp
// ("the act"), which leaves ./acted in the workspace. Events over the
// container's budget are dropped: the test checks that the act is either in
// the audit log or that the drops are counted against this container and
// /health says the agent is degraded; never a silent gap.
//   flood COUNT
#include "attack.h"

#include <sys/stat.h>

int main(int argc, char** argv) {
  if (argc == 2 && strcmp(argv[1], "act") == 0) {
    int fd = open("acted", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    return fd >= 0 ? 0 : 1;
  }
  if (argc != 2) return 2;
  const long count = atol(argv[1]);
  // The copy first: its own opens are logged too, before the flood.
  int in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int out = open("/tmp/zviz-flood-act", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  char buf[65536];
  ssize_t n;
  while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
    if (write(out, buf, (size_t)n) != n) return 2;
  }
  close(in);
  close(out);
  long refused = 0;
  for (long i = 0; i < count; i++) {
    refused += syscall(SYS_io_uring_setup, 1, NULL) < 0 && errno == ENOSYS;
  }
  say("flooded %ld", refused);
  pid_t pid = fork();
  if (pid == 0) {
    execl("/tmp/zviz-flood-act", "/tmp/zviz-flood-act", "act", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  outcome("act", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1);
  unlink("/tmp/zviz-flood-act");
  say("finished ok");
  return 0;
}

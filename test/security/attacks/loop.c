// Runs brokered syscalls in a loop until it is killed, recording each outcome
// in ./witness, for the test that kills the supervisor (the agent, or
// `zviz run --standalone`) in the middle: every iteration opens a file of the
// workspace for writing (brokered by the profiles that judge opens), the
// secret for reading (refused by strict), a file outside for writing
// (refused by ci-runner and strict), and calls acct (refused by the
// seccomp part, and answered by the broker, which counts it).
#include "attack.h"


int main(void) {
  const char* outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  char created[512];
  snprintf(created, sizeof(created), "%s/new-during-loop", outside);
  int witness = open("witness", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (witness < 0) return 2;
  say("loop ok");
  for (long i = 0;; i++) {
    char line[256];
    int fd = open("loop-file", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    int e1 = errno;
    if (fd >= 0) close(fd);
    int sfd = open(secret, O_RDONLY | O_CLOEXEC);
    int e2 = errno;
    char got[64] = "";
    if (sfd >= 0) {
      ssize_t n = read(sfd, got, sizeof(got) - 1);
      got[n > 0 ? n : 0] = '\0';
      close(sfd);
    }
    int cfd = open(created, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    int e3 = errno;
    if (cfd >= 0) close(cfd);
    long pt = syscall(SYS_acct, NULL);
    int e4 = errno;
    int n = snprintf(line, sizeof(line), "workspace %s secret %s outside %s acct %s\n",
                     fd >= 0 ? "ok" : strerrorname_np(e1), sfd >= 0 ? (strstr(got, "ZVIZ-SECRET") ? "read" : "ok") : strerrorname_np(e2),
                     cfd >= 0 ? "ok" : strerrorname_np(e3), pt == 0 ? "ok" : strerrorname_np(e4));
    if (write(witness, line, (size_t)n) != n) return 3;
    usleep(1000);
  }
}

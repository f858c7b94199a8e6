// The edges of emulated opens (docs/security.md, "Emulated opens"): what a
// workload gets for an O_PATH open decided by path, and whether a workload
// that made itself non-dumpable (PR_SET_DUMPABLE 0, which closes its memory
// and /proc links to every other process) is still served like any other.
//   open-edges     (environment: ZVIZ_ATTACK_SECRET; the workspace is the working directory)
#include "attack.h"

#include <stdint.h>
#include <sys/prctl.h>

/** Prints the first line of a file opened by the broker, or the errno. */
static void first_line(const char* what, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(what, -1);
    return;
  }
  char buf[256] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  if (n < 0) {
    outcome(what, -1);
    return;
  }
  buf[strcspn(buf, "\n")] = '\0';
  say("%s line %s", what, buf);
}

static const char marker[] = "zviz-own-memory-marker";

static void rounds(const char* tag, const char* secret) {
  char key[64];
  // O_PATH: never an O_PATH descriptor the broker opened (ADDFD cannot install one).
  snprintf(key, sizeof(key), "%s-opath-allowed", tag);
  int fd = open("/etc/hostname", O_PATH | O_CLOEXEC);
  outcome(key, fd);
  if (fd >= 0) close(fd);
  snprintf(key, sizeof(key), "%s-opath-secret", tag);
  fd = open(secret, O_PATH | O_CLOEXEC);
  outcome(key, fd);
  if (fd >= 0) close(fd);
  // Ordinary opens: a read, a write in the workspace, the workload's own /proc entries.
  snprintf(key, sizeof(key), "%s-hostname", tag);
  first_line(key, "/etc/hostname");
  snprintf(key, sizeof(key), "%s-self-status", tag);
  first_line(key, "/proc/self/status");
  char name[64];
  snprintf(name, sizeof(name), "written-%s", tag);
  fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  snprintf(key, sizeof(key), "%s-create", tag);
  outcome(key, fd);
  if (fd >= 0) {
    if (write(fd, tag, strlen(tag)) < 0) outcome(key, -1);
    close(fd);
  }
  // Its own descriptor through /dev/fd (a pipe: reopened, the same pipe).
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) outcome("pipe", -1);
  snprintf(name, sizeof(name), "/dev/fd/%d", pipefd[1]);
  fd = open(name, O_WRONLY | O_CLOEXEC);
  snprintf(key, sizeof(key), "%s-dev-fd", tag);
  outcome(key, fd);
  if (fd >= 0) {
    char got[64] = {0};
    if (write(fd, tag, strlen(tag)) < 0 || read(pipefd[0], got, sizeof(got) - 1) < 0) outcome(key, -1);
    say("%s-through-dev-fd %s", tag, strcmp(got, tag) == 0 ? "same" : "different");
    close(fd);
  }
  close(pipefd[0]);
  close(pipefd[1]);
  // Its own memory, through /proc/self/mem: a task may always read itself.
  fd = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  snprintf(key, sizeof(key), "%s-self-mem", tag);
  outcome(key, fd);
  if (fd >= 0) {
    char copy[sizeof(marker)] = {0};
    ssize_t n = pread(fd, copy, sizeof(marker), (off_t)(uintptr_t)marker);
    say("%s-self-mem-read %s", tag, n == (ssize_t)sizeof(marker) && memcmp(copy, marker, sizeof(marker)) == 0 ? "same" : "different");
    close(fd);
  }
}

int main(void) {
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  rounds("dumpable", secret);
  outcome("set-dumpable-0", prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
  say("dumpable-now %d", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
  rounds("undumpable", secret);
  say("finished ok");
  return 0;
}

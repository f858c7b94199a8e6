// Writes to the kernel's own files: sysctls under /proc/sys (core_pattern,
// hostname: the classic ways to make the host kernel run a program as root),
// /proc/sysrq-trigger, sysfs, and the cgroup v1 release_agent. Each value is
// read and written back unchanged: a successful write is the proof, and the
// host is left as it was. `kernelfs mark MARKER` writes new values instead
// (what an escape would write); the test compares the host's files.
#include "attack.h"

static void write_back(const char* name, const char* path) {
  int fd = open(path, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  char value[4096];
  ssize_t n = read(fd, value, sizeof(value));
  if (n < 0) {
    outcome(name, -1);
    close(fd);
    return;
  }
  outcome(name, pwrite(fd, value, (size_t)n, 0));
  close(fd);
}

static void open_only(const char* name, const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  outcome(name, fd);
  if (fd >= 0) close(fd);
}

/** Replaces the file's value with `value`: the host's copy is compared by the test afterwards. */
static void overwrite(const char* name, const char* path, const char* value) {
  int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  outcome(name, write(fd, value, strlen(value)));
  close(fd);
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "mark") == 0) {
    // `kernelfs mark MARKER`: what an escape writes, not the old value.
    char pattern[256];
    snprintf(pattern, sizeof(pattern), "|/%s %%p", argv[2]);
    overwrite("mark-core-pattern", "/proc/sys/kernel/core_pattern", pattern);
    overwrite("mark-hostname", "/proc/sys/kernel/hostname", argv[2]);
    overwrite("mark-release-agent", "/sys/fs/cgroup/memory/release_agent", pattern + 1);
    overwrite("mark-thp-defrag", "/sys/kernel/mm/transparent_hugepage/khugepaged/defrag", "0");
    return 0;
  }
  write_back("sysctl-core-pattern", "/proc/sys/kernel/core_pattern");
  write_back("sysctl-hostname", "/proc/sys/kernel/hostname");
  write_back("sysctl-pid-max", "/proc/sys/kernel/pid_max");
  write_back("sysctl-ip-forward", "/proc/sys/net/ipv4/ip_forward");
  open_only("sysrq-trigger", "/proc/sysrq-trigger");
  write_back("sysfs-thp-enabled", "/sys/kernel/mm/transparent_hugepage/enabled");
  write_back("sysfs-cgroup-release-agent", "/sys/fs/cgroup/memory/release_agent");
  write_back("sysfs-cgroup-notify-on-release", "/sys/fs/cgroup/memory/notify_on_release");
  write_back("proc-self-oom-score-adj", "/proc/self/oom_score_adj");
  return 0;
}

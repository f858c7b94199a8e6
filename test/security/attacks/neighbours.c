// Attack: learning about another container, and reaching it, by what the node
// shares: its cgroup directory beside the workload's own (the victim's name,
// its process list and CPU use), its processes in /proc (listed, their
// command line and environment), a signal, and its workspace.
//   cgroup-list-other    the victim's cgroup directory is listed beside the
//                        workload's own ("ok"), or not ("absent")
//   cgroup-procs-other   the victim cgroup's cgroup.procs
//   cgroup-cpu-other     the victim cgroup's cpu.stat
//   proc-list-other      the victim's pid among /proc's entries
//   proc-cmdline-other, proc-environ-other
//   signal-other         SIGUSR2 (the victim records it)
//   workspace-other      the victim's workspace file
// And what the workload sees of its own cgroup (programs size themselves by
// it: libuv, the JVM, Go):
//   cgroup-self-path     its v2 cgroup as /proc/self/cgroup names it
//   cgroup-self-memory   the memory limit in the file a program finds by
//                        that path (memory.max on v2, the v1 memory
//                        controller's memory.limit_in_bytes on hybrid hosts)
// Environment: ZVIZ_ATTACK_OTHER_PID (as the host numbers it),
// ZVIZ_ATTACK_OTHER_CGROUP (its v2 cgroup path, from /proc/PID/cgroup on the
// host), ZVIZ_ATTACK_OTHER_WS.
#include "attack.h"

#include <dirent.h>
#include <sys/stat.h>

/** The v2 hierarchy as the workload sees it: hybrid hosts mount it at /sys/fs/cgroup/unified. */
static const char* unified_root(void) {
  struct stat st;
  if (stat("/sys/fs/cgroup/unified/cgroup.procs", &st) == 0) return "/sys/fs/cgroup/unified";
  return "/sys/fs/cgroup";
}

static void listed(const char* name, const char* dir, const char* entry) {
  DIR* d = opendir(dir);
  if (d == NULL) {
    outcome(name, -1);
    return;
  }
  struct dirent* e;
  int found = 0;
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, entry) == 0) found = 1;
  }
  closedir(d);
  if (found) {
    say("%s ok", name);
  } else {
    say("%s absent", name);
  }
}

int main(void) {
  const char* pid_text = need_env("ZVIZ_ATTACK_OTHER_PID");
  const char* cgroup = need_env("ZVIZ_ATTACK_OTHER_CGROUP");
  const char* ws = need_env("ZVIZ_ATTACK_OTHER_WS");
  pid_t pid = (pid_t)atoi(pid_text);
  char path[4096], parent[4096];

  const char* root = unified_root();
  snprintf(parent, sizeof(parent), "%s%s", root, cgroup);
  char* slash = strrchr(parent, '/');
  const char* base = slash ? slash + 1 : parent;
  char base_copy[4096];
  snprintf(base_copy, sizeof(base_copy), "%s", base);
  if (slash) *slash = '\0';
  listed("cgroup-list-other", parent, base_copy);
  snprintf(path, sizeof(path), "%s%s/cgroup.procs", root, cgroup);
  open_outcome("cgroup-procs-other", open(path, O_RDONLY | O_CLOEXEC));
  snprintf(path, sizeof(path), "%s%s/cpu.stat", root, cgroup);
  open_outcome("cgroup-cpu-other", open(path, O_RDONLY | O_CLOEXEC));

  listed("proc-list-other", "/proc", pid_text);
  snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
  open_outcome("proc-cmdline-other", open(path, O_RDONLY | O_CLOEXEC));
  snprintf(path, sizeof(path), "/proc/%d/environ", pid);
  open_outcome("proc-environ-other", open(path, O_RDONLY | O_CLOEXEC));
  outcome("signal-other", kill(pid, SIGUSR2));
  snprintf(path, sizeof(path), "%s/victim-file", ws);
  open_outcome("workspace-other", open(path, O_RDONLY | O_CLOEXEC));

  char self[4096];
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, self, sizeof(self) - 1);
  if (fd >= 0) close(fd);
  const char* v2 = NULL;
  const char* memory = NULL;
  if (n > 0) {
    self[n] = '\0';
    for (char* line = strtok(self, "\n"); line != NULL; line = strtok(NULL, "\n")) {
      if (strncmp(line, "0::", 3) == 0) v2 = line + 3;
      char* at = strstr(line, ":memory:");
      if (at != NULL) memory = at + 8;
    }
  }
  say("cgroup-self-path %s", v2 ? v2 : "none");
  if (memory != NULL) {
    snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/memory.limit_in_bytes", strcmp(memory, "/") == 0 ? "" : memory);
  } else {
    snprintf(path, sizeof(path), "/sys/fs/cgroup%s/memory.max", v2 && strcmp(v2, "/") != 0 ? v2 : "");
  }
  open_outcome("cgroup-self-memory", open(path, O_RDONLY | O_CLOEXEC));
  say("finished ok");
  return 0;
}

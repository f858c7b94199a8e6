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
// And the cgroup namespace that holds the view of cgroups to its own:
//   cgroup-proc-other    the victim's v2 line of /proc/PID/cgroup, as the
//                        workload's namespace shows it ("line PATH")
//   cgroupns-unshare     unshare(CLONE_NEWCGROUP)
//   cgroupns-setns-init  setns into PID 1's cgroup namespace (the node's init
//                        with --pid host), then its own v2 path ("line PATH")
//   cgroupns-setns-other setns into the victim's cgroup namespace
//   cgroup-mount-again   a cgroup2 file system mounted again in the workspace
//   cgroup-umount        /sys/fs/cgroup unmounted, to uncover the node's below
//   cgroup-dotdot-other  the victim's cgroup.procs by ".." out of the mounted
//                        view's root ("/sys/fs/cgroup/../cgroup/VICTIM")
//   cgroup-list-after    the victim's directory listed again after all that
// Environment: ZVIZ_ATTACK_OTHER_PID (as the host numbers it),
// ZVIZ_ATTACK_OTHER_CGROUP (its v2 cgroup path, from /proc/PID/cgroup on the
// host), ZVIZ_ATTACK_OTHER_WS.
#include "attack.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
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

/** "NAME line PATH": the v2 line ("0::PATH") of a /proc/PID/cgroup file, or the open's errno. */
static void v2_line(const char* name, const char* file) {
  char text[4096];
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  ssize_t n = read(fd, text, sizeof(text) - 1);
  close(fd);
  if (n < 0) {
    outcome(name, -1);
    return;
  }
  text[n] = '\0';
  for (char* line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (strncmp(line, "0::", 3) == 0) {
      say("%s line %s", name, line + 3);
      return;
    }
  }
  say("%s none", name);
}

/** setns into the cgroup namespace of `pid`; on success, what its own v2 line reads from there. */
static void join_cgroupns(const char* name, pid_t pid) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/ns/cgroup", pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    say("%s errno %s (open)", name, strerrorname_np(errno));
    return;
  }
  if (setns(fd, CLONE_NEWCGROUP) != 0) {
    say("%s errno %s (setns)", name, strerrorname_np(errno));
    close(fd);
    return;
  }
  close(fd);
  v2_line(name, "/proc/self/cgroup");
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

  snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
  v2_line("cgroup-proc-other", path);
  outcome("cgroupns-unshare", unshare(CLONE_NEWCGROUP));
  join_cgroupns("cgroupns-setns-init", 1);
  join_cgroupns("cgroupns-setns-other", pid);
  mkdir("cgroup-again", 0700);
  outcome("cgroup-mount-again", mount("none", "cgroup-again", "cgroup2", 0, NULL));
  outcome("cgroup-umount", umount2(root, MNT_DETACH));
  snprintf(path, sizeof(path), "%s/../%s%s/cgroup.procs", root, strrchr(root, '/') + 1, cgroup);
  open_outcome("cgroup-dotdot-other", open(path, O_RDONLY | O_CLOEXEC));
  listed("cgroup-list-after", parent, base_copy);
  say("finished ok");
  return 0;
}

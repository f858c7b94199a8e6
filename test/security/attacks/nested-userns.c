// Attack: a workload task makes a user namespace of its own (clone with
// CLONE_NEWUSER, which a custom profile may allow) and asks the broker for
// files its capabilities there do not reach. A task in a new user namespace
// holds every capability in it, but they count only over inodes whose owner
// and group are mapped into it; outside those the kernel judges it by its
// ids alone. The broker, in the node's user namespace, must not wear them.
// As root, the program makes in the workspace:
//   root-only    0600, owned by root ("root only\n")
//   root-dir/    0755, owned by root
//   other-only   0600, owned by 1000 ("other only\n")
//   other-dir/   0755, owned by 1000
// A child that gave up root (65534, no groups) clones a grandchild into a new
// user namespace; the still-root parent maps its 0 to 65534 (uid_map and
// gid_map "0 65534 1": the parent holds CAP_SETUID and CAP_SETGID over its
// own namespace). The grandchild, uid 0 with every capability in its
// namespace and 65534 outside it:
//   userns-read-root-only    opens root-only for reading
//   userns-create-root-dir   creates root-dir/new
//   userns-read-hostname     reads /etc/hostname (allowed to anyone)
// Then it lowers its effective set to exactly the one the workload started
// with and tries again, so that a check of capabilities alone would take it
// for the workload as it started:
//   userns-capset, same-caps-read-root-only, same-caps-create-root-dir
// And the root process itself clones a child into a namespace mapping 0 to
// 65534: the child is still root outside, but its capabilities reach no
// file of another user:
//   rootns-read-other-only   opens other-only for reading
//   rootns-create-other-dir  creates other-dir/new
// "userns-setresuid" says whether the grandchild became 0 inside its namespace
// (only once mapped).
#include "attack.h"

#include <linux/capability.h>
#include <grp.h>
#include <sched.h>
#include <stdint.h>
#include <sys/stat.h>

static void child(int ready, const struct __user_cap_data_struct* parent_caps) {
  char go;
  if (read(ready, &go, 1) != 1) _exit(2);
  // Mapped, it becomes 0 inside; unmapped (the sandbox's profile may refuse
  // the parent's write of the map) it holds every capability all the same.
  outcome("userns-setresuid", setresuid(0, 0, 0));
  open_outcome("userns-read-root-only", open("root-only", O_RDONLY | O_CLOEXEC));
  int fd = open("root-dir/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  outcome("userns-create-root-dir", fd);
  if (fd >= 0) close(fd);
  fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
  outcome("userns-read-hostname", fd);
  if (fd >= 0) close(fd);

  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &header, data) != 0) _exit(2);
  data[0].effective = parent_caps[0].effective;
  data[1].effective = parent_caps[1].effective;
  outcome("userns-capset", syscall(SYS_capset, &header, data));
  open_outcome("same-caps-read-root-only", open("root-only", O_RDONLY | O_CLOEXEC));
  fd = open("root-dir/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  outcome("same-caps-create-root-dir", fd);
  if (fd >= 0) close(fd);
  _exit(0);
}

static int write_map(pid_t pid, const char* file) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int rc = write(fd, "0 65534 1\n", 10) == 10 ? 0 : -1;
  close(fd);
  return rc;
}

static void map(const char* name, pid_t pid) {
  char label[64];
  snprintf(label, sizeof(label), "%s-uid-map", name);
  outcome(label, write_map(pid, "uid_map"));
  snprintf(label, sizeof(label), "%s-gid-map", name);
  outcome(label, write_map(pid, "gid_map"));
}

static void root_child(int ready) {
  char go;
  if (read(ready, &go, 1) != 1) _exit(2);
  open_outcome("rootns-read-other-only", open("other-only", O_RDONLY | O_CLOEXEC));
  int fd = open("other-dir/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  outcome("rootns-create-other-dir", fd);
  if (fd >= 0) close(fd);
  _exit(0);
}

/** A raw clone returns twice like fork: the child runs on a copy of this stack. */
static long clone_newuser(void) { return syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0); }

static int make_file(const char* path, const char* content, uid_t owner) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  size_t n = strlen(content);
  if (fd < 0 || write(fd, content, n) != (ssize_t)n) return -1;
  close(fd);
  return chown(path, owner, owner) == 0 && chmod(path, 0600) == 0 ? 0 : -1;
}

static int make_dir(const char* path, uid_t owner) {
  mkdir(path, 0755);
  return chown(path, owner, owner) == 0 && chmod(path, 0755) == 0 ? 0 : -1;
}

int main(void) {
  if (make_file("root-only", "root only\n", 0) != 0 || make_dir("root-dir", 0) != 0 ||
      make_file("other-only", "other only\n", 1000) != 0 || make_dir("other-dir", 1000) != 0) {
    return 2;
  }
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct caps[2];
  if (syscall(SYS_capget, &header, caps) != 0) return 2;

  // The grandchild, through a child that gave up root.
  int go[2], tell[2];
  if (pipe2(go, O_CLOEXEC) != 0 || pipe2(tell, O_CLOEXEC) != 0) return 2;
  pid_t dropped = fork();
  if (dropped == 0) {
    close(go[1]);
    close(tell[0]);
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(2);
    long pid = clone_newuser();
    if (pid == 0) {
      close(tell[1]);
      child(go[0], caps);
    }
    outcome("clone-newuser", pid);
    int32_t sent = (int32_t)pid;
    if (write(tell[1], &sent, sizeof(sent)) != sizeof(sent)) _exit(2);
    if (pid > 0) waitpid((pid_t)pid, NULL, 0);
    _exit(0);
  }
  close(go[0]);
  close(tell[1]);
  int32_t grandchild = -1;
  if (read(tell[0], &grandchild, sizeof(grandchild)) != sizeof(grandchild)) return 2;
  if (grandchild > 0) map("userns", grandchild);
  if (write(go[1], "g", 1) != 1) return 2;
  close(go[1]);
  waitpid(dropped, NULL, 0);

  // The root process's own child.
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return 2;
  long pid = clone_newuser();
  if (pid == 0) {
    close(ready[1]);
    root_child(ready[0]);
  }
  outcome("rootns-clone-newuser", pid);
  if (pid > 0) {
    map("rootns", (pid_t)pid);
    if (write(ready[1], "g", 1) != 1) return 2;
    close(ready[1]);
    waitpid((pid_t)pid, NULL, 0);
  }
  say("finished ok");
  return 0;
}

// Mounts and namespaces: every way to change what the file system looks like
// or to step into another namespace (mount, umount, the new mount API,
// unshare and clone with namespace flags, setns, pivot_root, chroot and the
// classic chroot escape). Attempts that change the process run in a child.
#include "attack.h"

#include <linux/mount.h>
#include <linux/sched.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

static const char* secret;

static void try_unshare(const char* name, void* arg) {
  outcome(name, unshare((int)(long)arg));
}

static void try_clone(const char* name, void* arg) {
  long rc = syscall(SYS_clone, (unsigned long)(long)arg | SIGCHLD, 0, 0, 0, 0);
  if (rc == 0) _exit(0);
  if (rc > 0) waitpid((pid_t)rc, NULL, 0);
  outcome(name, rc);
}

static void try_clone3(const char* name, void* arg) {
  struct clone_args args;
  memset(&args, 0, sizeof(args));
  args.flags = (unsigned long)(long)arg;
  args.exit_signal = SIGCHLD;
  long rc = syscall(SYS_clone3, &args, sizeof(args));
  if (rc == 0) _exit(0);
  if (rc > 0) waitpid((pid_t)rc, NULL, 0);
  outcome(name, rc);
}

static void try_setns(const char* name, void* arg) {
  const char* path = arg;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    say("%s errno %s (open)", name, strerrorname_np(errno));
    return;
  }
  outcome(name, setns(fd, 0));
}

static void try_setns_pidfd(const char* name, void* arg) {
  (void)arg;
  int fd = (int)syscall(SYS_pidfd_open, 1, 0);
  if (fd < 0) {
    say("%s errno %s (pidfd_open)", name, strerrorname_np(errno));
    return;
  }
  outcome(name, setns(fd, CLONE_NEWNS));
}

static void try_pivot_root(const char* name, void* arg) {
  (void)arg;
  outcome(name, syscall(SYS_pivot_root, ".", "old-root"));
}

// chroot into a subdirectory while the working directory stays outside it,
// then walk up: the escape every chroot-based jail has to stop.
static void try_chroot_escape(const char* name, void* arg) {
  (void)arg;
  if (outcome(name, chroot("jail")) < 0) return;
  for (int i = 0; i < 64; i++) {
    if (chdir("..") != 0) break;
  }
  char label[128];
  snprintf(label, sizeof(label), "%s-then-read-secret", name);
  if (chroot(".") != 0) {
    outcome(label, -1);
    return;
  }
  open_outcome(label, open(secret, O_RDONLY | O_CLOEXEC));
}

int main(void) {
  secret = need_env("ZVIZ_ATTACK_SECRET");
  const char* outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  mkdir("mnt", 0755);
  mkdir("jail", 0755);
  mkdir("old-root", 0755);

  outcome("mount-tmpfs", mount("none", "mnt", "tmpfs", 0, NULL));
  outcome("mount-bind-outside", mount(outside, "mnt", NULL, MS_BIND, NULL));
  outcome("mount-remount-root-rw", mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL));
  outcome("mount-proc", mount("proc", "mnt", "proc", 0, NULL));
  outcome("umount-root", umount2("/", MNT_DETACH));
  outcome("umount-workspace", umount2(".", MNT_DETACH));
  struct mount_attr rw;
  memset(&rw, 0, sizeof(rw));
  rw.attr_clr = MOUNT_ATTR_RDONLY;
  outcome("mount-setattr-root-rw", syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &rw, sizeof(rw)));
  outcome("open-tree-clone-outside", syscall(SYS_open_tree, AT_FDCWD, outside, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC));
  outcome("fsopen-tmpfs", syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC));
  outcome("fspick-root", syscall(SYS_fspick, AT_FDCWD, "/", FSPICK_CLOEXEC));

  static const struct {
    const char* name;
    long flags;
  } namespaces[] = {
      {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},     {"pid", CLONE_NEWPID},   {"net", CLONE_NEWNET},
      {"uts", CLONE_NEWUTS},   {"ipc", CLONE_NEWIPC},    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
  };
  char label[64];
  for (size_t i = 0; i < sizeof(namespaces) / sizeof(namespaces[0]); i++) {
    snprintf(label, sizeof(label), "unshare-%s", namespaces[i].name);
    attempt(label, try_unshare, (void*)namespaces[i].flags);
    if (namespaces[i].flags != CLONE_NEWTIME) {  // clone cannot take CLONE_NEWTIME
      snprintf(label, sizeof(label), "clone-new%s", namespaces[i].name);
      attempt(label, try_clone, (void*)namespaces[i].flags);
    }
    snprintf(label, sizeof(label), "clone3-new%s", namespaces[i].name);
    attempt(label, try_clone3, (void*)namespaces[i].flags);
  }
  attempt("setns-init-mnt", try_setns, "/proc/1/ns/mnt");
  attempt("setns-init-user", try_setns, "/proc/1/ns/user");
  attempt("setns-init-pidfd", try_setns_pidfd, NULL);
  attempt("pivot-root", try_pivot_root, NULL);
  attempt("chroot", try_chroot_escape, NULL);
  return 0;
}

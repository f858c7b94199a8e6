// Attack: a workload process that gave up root (setgroups, setgid, setuid to
// nobody, as a daemon, su or a CI job's test user does) asks the broker for
// what only root may open. The kernel judges an open by the opener's
// credentials: its fsuid, fsgid, groups and capabilities. Before dropping,
// as root, the program makes in the workspace:
//   root-only   0600, owned by root ("root only\n")
//   root-owned  0644, owned by root
//   root-dir/   0755, owned by root
// Then, as 65534:65534 without groups or capabilities:
//   read-root-only    open root-only for reading
//   write-root-owned  open root-owned for writing (and write "overwritten\n")
//   create-root-dir   create root-dir/new
//   read-hostname     read /etc/hostname (allowed to anyone)
//   create-own-dir    create ./own-dir/new in a directory it owns (made for it)
// And a child that stays uid 0 but drops its effective capabilities (capset):
//   nocaps-read-nobody-only  open ./nobody-only (0600, owned by 65534) for reading
//   nocaps-write-nobody-owned  open ./nobody-owned (0644, owned by 65534) for writing
// Credentials are per thread: first a thread of the still-root process gives
// up root by itself (raw setresuid, which changes that thread only):
//   thread-read-root-only       that thread opens root-only for reading
//   root-thread-read-root-only  then the main thread, still root, does
// Before dropping, it names itself "\nUid:\t0\t0\t0\t0" (prctl PR_SET_NAME):
// a line of its own in /proc/<pid>/status, were the kernel not to escape it,
// where the broker reads the credentials of a task that changed them.
// "uid N" and "caps HEX" say who it is after dropping.
#include "attack.h"

#include <grp.h>
#include <pthread.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>

static void* thread_drops(void* arg) {
  (void)arg;
  outcome("thread-setresuid", syscall(SYS_setresuid, 65534, 65534, 65534));
  open_outcome("thread-read-root-only", open("root-only", O_RDONLY | O_CLOEXEC));
  return NULL;
}

static void without_capabilities(void) {
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  if (syscall(SYS_capget, &header, data) != 0) _exit(2);
  data[0].effective = data[1].effective = 0;
  outcome("nocaps-capset", syscall(SYS_capset, &header, data));
  open_outcome("nocaps-read-nobody-only", open("nobody-only", O_RDONLY | O_CLOEXEC));
  int fd = open("nobody-owned", O_WRONLY | O_CLOEXEC);
  outcome("nocaps-write-nobody-owned", fd);
  if (fd >= 0) {
    (void)!write(fd, "overwritten\n", 12);
    close(fd);
  }
  _exit(0);
}

int main(void) {
  int fd = open("root-only", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, "root only\n", 10) != 10) return 2;
  close(fd);
  fchmod(fd, 0600);
  chmod("root-only", 0600);
  fd = open("root-owned", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 2;
  close(fd);
  chmod("root-owned", 0644);
  mkdir("root-dir", 0755);
  chmod("root-dir", 0755);
  mkdir("own-dir", 0755);
  if (chown("own-dir", 65534, 65534) != 0) return 2;
  fd = open("nobody-only", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0 || write(fd, "nobody only\n", 12) != 12) return 2;
  close(fd);
  fd = open("nobody-owned", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return 2;
  close(fd);
  if (chown("nobody-only", 65534, 65534) != 0 || chown("nobody-owned", 65534, 65534) != 0) return 2;
  chmod("nobody-only", 0600);
  chmod("nobody-owned", 0644);
  pid_t child = fork();
  if (child == 0) without_capabilities();
  waitpid(child, NULL, 0);
  pthread_t thread;
  if (pthread_create(&thread, NULL, thread_drops, NULL) != 0) return 2;
  pthread_join(thread, NULL);
  open_outcome("root-thread-read-root-only", open("root-only", O_RDONLY | O_CLOEXEC));
  outcome("rename", prctl(PR_SET_NAME, "\nUid:\t0\t0\t0\t0", 0, 0, 0));
  outcome("setgroups", setgroups(0, NULL));
  outcome("setgid", setgid(65534));
  outcome("setuid", setuid(65534));
  say("uid %d", (int)geteuid());
  FILE* status = fopen("/proc/self/status", "re");
  char line[256];
  while (status && fgets(line, sizeof(line), status)) {
    if (strncmp(line, "CapEff:", 7) == 0) say("caps %s", strtok(line + 8, " \t\n"));
  }
  if (status) fclose(status);

  open_outcome("read-root-only", open("root-only", O_RDONLY | O_CLOEXEC));
  fd = open("root-owned", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, "overwritten\n", 12);
    close(fd);
  }
  outcome("write-root-owned", fd);
  fd = open("root-dir/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  outcome("create-root-dir", fd);
  if (fd >= 0) close(fd);
  fd = open("/etc/hostname", O_RDONLY | O_CLOEXEC);
  outcome("read-hostname", fd);
  if (fd >= 0) close(fd);
  fd = open("own-dir/new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  outcome("create-own-dir", fd);
  if (fd >= 0) close(fd);
  say("finished ok");
  return 0;
}

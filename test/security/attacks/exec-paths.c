// Attack: running a program from where strict allows none (only system
// directories and the workspace): its own copy in /tmp, a memfd, through
// /proc/self/fd, through a descriptor with AT_EMPTY_PATH, relative to a
// directory descriptor of /tmp, and through a workspace link to /tmp. The
// broker judges an exec by the resolved path of what the kernel would run
// (a descriptor's own path: "/memfd:x (deleted)", "/tmp/prog"). Each attempt
// runs in a child; a program that ran prints "NAME ok" itself:
//   exec-tmp, execveat-memfd, exec-proc-fd-memfd, execveat-tmp-fd,
//   execveat-tmpdir-rel, exec-ws-link-to-tmp
// This is an observation where it refuses (docs/security.md): the kernel
// reads the path again after the check. The test shows honest programs
// refused.
#include "attack.h"

static void copy(int from, int to) {
  char buf[65536];
  ssize_t n;
  lseek(from, 0, SEEK_SET);
  while ((n = read(from, buf, sizeof(buf))) > 0) {
    if (write(to, buf, (size_t)n) != n) return;
  }
}

static void run(const char* name, int dirfd, const char* path, int flags) {
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {"exec-paths", (char*)name, NULL};
    char* envp[] = {NULL};
    syscall(SYS_execveat, dirfd, path, argv, envp, flags);
    outcome(name, -1);
    _exit(0);
  }
  while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
  }
}

int main(int argc, char** argv) {
  if (argc > 1) {
    say("%s ok", argv[1]);
    return 0;
  }
  // A name of its own: under default and observe /tmp is the host's.
  char copy_path[64];
  char copy_name[48];
  snprintf(copy_name, sizeof(copy_name), "exec-paths-copy-%d", (int)getpid());
  snprintf(copy_path, sizeof(copy_path), "/tmp/%s", copy_name);
  int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  int tmp = open(copy_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
  int memfd = (int)syscall(SYS_memfd_create, "exec-paths", 0);
  if (self < 0 || tmp < 0 || memfd < 0) {
    outcome("setup", -1);
    return 2;
  }
  copy(self, tmp);
  close(tmp);
  copy(self, memfd);
  run("exec-tmp", AT_FDCWD, copy_path, 0);
  run("execveat-memfd", memfd, "", AT_EMPTY_PATH);
  char path[64];
  snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
  run("exec-proc-fd-memfd", AT_FDCWD, path, 0);
  int copy_fd = open(copy_path, O_RDONLY);
  run("execveat-tmp-fd", copy_fd, "", AT_EMPTY_PATH);
  int dir = open("/tmp", O_RDONLY | O_DIRECTORY);
  run("execveat-tmpdir-rel", dir, copy_name, 0);
  if (symlink(copy_path, "link-to-tmp") != 0) outcome("setup-link", -1);
  run("exec-ws-link-to-tmp", AT_FDCWD, "./link-to-tmp", 0);
  unlink(copy_path);
  say("finished ok");
  return 0;
}

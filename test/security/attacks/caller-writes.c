// Attack: write to the host through what the caller handed the workload as
// stdio, which lies outside the view and outside its read-only mounts. The
// test runs the workload with stdin a host directory (zviz run ... <DIR)
// and stderr appended to a host file (zviz run ... 2>>FILE). A descriptor is
// the caller's open file in the node's mount namespace: calls relative to a
// directory descriptor (mkdirat(0, ...)) and calls on a file's descriptor
// (fchmod(2, ...)) reach the node's inode on the node's writable mount,
// whatever the view and its mounts say, with the capabilities of the
// workload's root over it (its user namespace maps the node's uid 0).
//
//   caller-writes   one line per attempt: "NAME ok", "NAME read HEX" or
//                   "NAME errno ENAME"
#include "attack.h"

#include <pthread.h>
#include <sys/stat.h>
#include <sys/xattr.h>

/** openat of /proc/self/fd/2 with `flags` as the raw register (no libc masking): "NAME read HEX", "NAME ok" or the errno. */
static void reopen(const char* name, long flags) {
  const long fd = syscall(SYS_openat, AT_FDCWD, "/proc/self/fd/2", flags, 0644);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  read_outcome(name, (int)fd);
  close((int)fd);
}

static void* thread_reopen(void* unused) {
  (void)unused;
  reopen("thread-reopen-rdonly", O_RDONLY);
  return NULL;
}

int main(void) {
  // Through the directory on stdin: each names an entry the test planted or looks for.
  outcome("dir-mkdirat", mkdirat(0, "made-dir", 0755));
  outcome("dir-fchmodat", fchmodat(0, "secret", 0666, 0));
  outcome("dir-fchownat", fchownat(0, "secret", 1234, 1234, 0));
  outcome("dir-linkat", linkat(0, "secret", 0, "secret-link", 0));
  outcome("dir-symlinkat", symlinkat("/etc/shadow", 0, "planted"));
  outcome("dir-renameat", renameat(0, "victim", 0, "victim-moved"));
  outcome("dir-unlinkat", unlinkat(0, "doomed", 0));
  outcome("dir-openat-creat", openat(0, "created", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  // On the file on stderr: a set-user-id mode, another owner, an attribute.
  outcome("file-fchmod", fchmod(2, 04755));
  outcome("file-fchown", fchown(2, 1234, 1234));
  outcome("file-fsetxattr", fsetxattr(2, "user.zviz-attack", "x", 1, 0));
  // Opens of the file on stderr again, by flags a filter could read as a read:
  // O_TRUNC and O_CREAT beside O_RDONLY (Linux truncates on O_RDONLY|O_TRUNC),
  // and the same with bits above the 32 the kernel reads.
  // The same read from a second thread: the view's Landlock domain is the whole process's.
  pthread_t thread;
  if (pthread_create(&thread, NULL, thread_reopen, NULL) == 0) {
    pthread_join(thread, NULL);
  }
  reopen("reopen-rdonly-creat", O_RDONLY | O_CREAT);
  reopen("reopen-rdwr", O_RDWR);
  reopen("reopen-rdonly-trunc", O_RDONLY | O_TRUNC);
  reopen("reopen-high-trunc", 0x100000000L | O_RDONLY | O_TRUNC);
  reopen("reopen-wronly-trunc", O_WRONLY | O_TRUNC);
  return 0;
}

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
//   caller-writes   one line per attempt: "NAME ok" or "NAME errno ENAME"
#include "attack.h"

#include <sys/stat.h>
#include <sys/xattr.h>

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
  return 0;
}

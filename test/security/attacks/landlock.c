// Attack: an inner sandbox the broker could undo. A workload may sandbox
// itself (or a plugin it runs) with Landlock: a ruleset that handles reading
// and writing files and allows none, applied with landlock_restrict_self. The
// kernel checks Landlock in the opening task; an open the broker does for the
// workload is made by the broker, outside the workload's Landlock domain.
// After restricting itself, the program tries:
//   read-hostname     read /etc/hostname (in every view)
//   create-ws         create ./landlocked-new in the workspace
//   write-ws          open ./existing (made before) for writing
//   child-create-ws   the same create from a forked child (domains are inherited)
// "landlock ok" says the sandbox was applied (else its errno: Landlock
// unavailable, and the attempts are the profile's usual answers).
#include "attack.h"

#include <linux/landlock.h>
#include <sys/prctl.h>

int main(void) {
  int fd = open("existing", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  struct landlock_ruleset_attr attr = {
      .handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_MAKE_REG,
  };
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
  long rc = ruleset;
  if (ruleset >= 0) {
    rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (rc == 0) rc = syscall(SYS_landlock_restrict_self, ruleset, 0);
    close(ruleset);
  }
  outcome("landlock", rc);
  open_outcome("read-hostname", open("/etc/hostname", O_RDONLY | O_CLOEXEC));
  fd = open("landlocked-new", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  outcome("create-ws", fd);
  if (fd >= 0) close(fd);
  fd = open("existing", O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    (void)!write(fd, "written\n", 8);
    close(fd);
  }
  outcome("write-ws", fd);
  pid_t pid = fork();
  if (pid == 0) {
    fd = open("landlocked-child", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    outcome("child-create-ws", fd);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  say("finished ok");
  return 0;
}

// Attack: file leases on the host's files (fcntl F_SETLEASE). The kernel lets
// the owner of a file (by fsuid) take a lease on it, whatever the mount: the
// workload is uid 0, so it owns every root-owned file its view shows, the
// read-only ones included. A write lease makes every other open of the inode
// on the node wait until the holder lets go or fs.lease-break-time (45 s)
// passes; a read lease does the same to every open for writing. Taken again
// after each break, on a file every program opens (ld.so.cache, a shell),
// it stalls the node. The program ignores SIGIO (the break notice, which
// would end it), tries each lease, says "holding" with a file in its
// workspace and keeps whatever it got until the test writes "done" (or 60 s):
//   lease-victim-write   a write lease on ZVIZ_ATTACK_VICTIM (outside the workspace)
//   lease-victim-read    a read lease on ZVIZ_ATTACK_VICTIM_DIR/file
//   lease-ws-write       a write lease on ./leased-write
//   lease-ws-read        a read lease on ./leased-read
//   lease-wide-cmd       a write lease on ./leased-wide-cmd, the command with
//                        bits above 32 set (the kernel reads it as unsigned int)
//   lease-wide-arg       a write lease on ./leased-wide-arg, the lease type with
//                        bits above 32 set (the kernel reads it as int)
//   lease-i386           a write lease on ./leased-i386 through i386 fcntl64
//                        (in a child, which the filter may kill)
//   unlock               F_UNLCK where no lease is held (the kernel's answer)
//   getlease             F_GETLEASE
#include "attack.h"

#include <time.h>

static int created(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, "leased\n", 7);
    close(fd);
  }
  return fd;
}

/** Opens `path` read-only (as a lease holder must, for a file others may open) and asks for `type`. */
static int lease(const char* name, const char* path, unsigned long cmd, unsigned long type) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, fd);
    return -1;
  }
  long rc = syscall(SYS_fcntl, fd, cmd, type);
  outcome(name, rc);
  return fd; // kept open: the lease lives as long as the file
}

static void lease_i386(const char* name, void* arg) {
  (void)arg;
  int fd = open("leased-i386", O_RDONLY | O_CLOEXEC);
  long rc = fd < 0 ? -errno : int80(221 /* fcntl64 */, fd, F_SETLEASE, F_WRLCK);
  if (rc < 0) {
    errno = (int)-rc;
    rc = -1;
  }
  outcome(name, rc);
}

int main(void) {
  signal(SIGIO, SIG_IGN);
  const char* victim = need_env("ZVIZ_ATTACK_VICTIM");
  char victim_file[4096];
  join_path(victim_file, sizeof(victim_file), need_env("ZVIZ_ATTACK_VICTIM_DIR"), "file");
  const char* mine[] = {"leased-write", "leased-read", "leased-wide-cmd", "leased-wide-arg", "leased-i386", "unleased"};
  for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
    if (created(mine[i]) < 0) {
      outcome("setup", -1);
      return 2;
    }
  }
  lease("lease-victim-write", victim, F_SETLEASE, F_WRLCK);
  lease("lease-victim-read", victim_file, F_SETLEASE, F_RDLCK);
  lease("lease-ws-write", "leased-write", F_SETLEASE, F_WRLCK);
  lease("lease-ws-read", "leased-read", F_SETLEASE, F_RDLCK);
  lease("lease-wide-cmd", "leased-wide-cmd", F_SETLEASE | (1UL << 32), F_WRLCK);
  lease("lease-wide-arg", "leased-wide-arg", F_SETLEASE, F_WRLCK | (1UL << 32));
  attempt("lease-i386", lease_i386, NULL);
  lease("unlock", "unleased", F_SETLEASE, F_UNLCK);
  lease("getlease", "unleased", F_GETLEASE, 0);
  created("holding");
  for (int i = 0; i < 1200 && access("done", F_OK) != 0; i++) {
    struct timespec tick = {0, 50 * 1000 * 1000};
    nanosleep(&tick, NULL);
  }
  say("finished ok");
  return 0;
}

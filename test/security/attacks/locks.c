// Attack: advisory locks on the host's files. A lock is taken on an inode,
// whatever the mount, by anyone who can open the file, for reading too:
// flock(LOCK_EX) and a POSIX or open-file-description read lock need only a
// read-only descriptor. Host programs that coordinate through such locks
// (dpkg's lock files, iptables' /run/xtables.lock, the shadow suite's
// /etc/.pwd.lock) then wait for the workload or give up. The program locks
// files outside the workspace and in it, says "holding" with a file in its
// workspace and keeps the locks until the test writes "done" (or 60 s):
//   flock-victim       flock(LOCK_EX | LOCK_NB) on ZVIZ_ATTACK_VICTIM
//   posix-victim-file  F_SETLK F_RDLCK on ZVIZ_ATTACK_VICTIM_DIR/file
//   ofd-secret         F_OFD_SETLK F_RDLCK on ZVIZ_ATTACK_SECRET (0600, root's)
//   flock-ws           flock(LOCK_EX | LOCK_NB) on ./locked (its own file)
#include "attack.h"

#include <sys/file.h>
#include <time.h>

static void lock_flock(const char* name, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  outcome(name, fd < 0 ? fd : flock(fd, LOCK_EX | LOCK_NB));
}

static void lock_record(const char* name, const char* path, int cmd) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct flock lock = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
  outcome(name, fd < 0 ? fd : fcntl(fd, cmd, &lock));
}

int main(void) {
  char victim_file[4096];
  join_path(victim_file, sizeof(victim_file), need_env("ZVIZ_ATTACK_VICTIM_DIR"), "file");
  int fd = open("locked", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    outcome("setup", -1);
    return 2;
  }
  close(fd);
  lock_flock("flock-victim", need_env("ZVIZ_ATTACK_VICTIM"));
  lock_record("posix-victim-file", victim_file, F_SETLK);
  lock_record("ofd-secret", need_env("ZVIZ_ATTACK_SECRET"), F_OFD_SETLK);
  lock_flock("flock-ws", "locked");
  fd = open("holding", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  for (int i = 0; i < 1200 && access("done", F_OK) != 0; i++) {
    struct timespec tick = {0, 50 * 1000 * 1000};
    nanosleep(&tick, NULL);
  }
  say("finished ok");
  return 0;
}

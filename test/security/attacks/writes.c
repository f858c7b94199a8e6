// Writes outside the workspace by every syscall that writes to the file
// system: creating (open/creat/openat/openat2 with O_CREAT, O_TMPFILE, mkdir*,
// mknod*, symlink*, link*, bind of a unix socket), changing (O_TRUNC/O_APPEND
// opens, truncate, chmod*, chown*, utime*, *xattr, including through a
// descriptor opened for reading) and moving or removing (rename*, unlink*,
// rmdir). Each attempt has its own target under ZVIZ_ATTACK_OUTSIDE (the
// harness makes them), so every outcome stands alone under every profile.
#include "attack.h"

#include <linux/openat2.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <utime.h>

static const char* outside;

static const char* at(const char* name) {
  static char paths[64][512];
  static int next;
  char* out = paths[next++ % 64];
  snprintf(out, 512, "%s/%s", outside, name);
  return out;
}

static void touch(const char* path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, "mine\n", 5);
    close(fd);
  }
}

/** The outcome of an open for writing; when it works, it writes too, and says so. */
static void open_write(const char* name, int fd) {
  if (outcome(name, fd) >= 0) {
    (void)!write(fd, "attacker was here\n", 18);
    close(fd);
  }
}

/** A descriptor of a file outside, opened for reading only; "NAME errno E (open)" when even that fails. */
static int read_fd(const char* name, const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) say("%s errno %s (open)", name, strerrorname_np(errno));
  return fd;
}

int main(void) {
  outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  const char* victim = need_env("ZVIZ_ATTACK_VICTIM");
  const struct timespec epoch[2] = {{0, 0}, {0, 0}};
  const struct timeval epoch_tv[2] = {{0, 0}, {0, 0}};
  char proc_path[64];
  int fd;

  // Creating.
  open_write("open-creat", open(at("new-open"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
  open_write("creat", creat(at("new-creat"), 0644));
  open_write("openat-creat", openat(AT_FDCWD, at("new-openat"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  open_write("open-creat-dotdot", open("../outside/new-dotdot", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  open_write("open-creat-scratch-root", open("../new-in-root", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  struct open_how how;
  memset(&how, 0, sizeof(how));
  how.flags = O_WRONLY | O_CREAT | O_CLOEXEC;
  how.mode = 0644;
  open_write("openat2-creat", (int)syscall(SYS_openat2, AT_FDCWD, at("new-openat2"), &how, sizeof(how)));
  // Through a directory descriptor of the outside directory (a read: some profiles allow it).
  int dir = open(outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) {
    say("openat-dirfd-creat errno %s (open)", strerrorname_np(errno));
    say("mkdirat-dirfd errno %s (open)", strerrorname_np(errno));
    say("symlinkat-dirfd errno %s (open)", strerrorname_np(errno));
    say("mknodat-dirfd errno %s (open)", strerrorname_np(errno));
  } else {
    open_write("openat-dirfd-creat", openat(dir, "new-openat-dirfd", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    outcome("mkdirat-dirfd", mkdirat(dir, "new-mkdirat-dirfd", 0755));
    outcome("symlinkat-dirfd", symlinkat("/etc/passwd", dir, "new-symlinkat-dirfd"));
    outcome("mknodat-dirfd", mknodat(dir, "new-mknodat-dirfd", S_IFIFO | 0644, 0));
    close(dir);
  }
  fd = open(outside, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
  if (outcome("open-tmpfile", fd) >= 0) {
    (void)!write(fd, "attacker was here\n", 18);
    snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
    outcome("open-tmpfile-linkat", linkat(AT_FDCWD, proc_path, AT_FDCWD, at("new-tmpfile"), AT_SYMLINK_FOLLOW));
    close(fd);
  } else {
    say("open-tmpfile-linkat errno %s (open)", strerrorname_np(errno));
  }
  outcome("mkdir", mkdir(at("new-mkdir"), 0755));
  outcome("mkdirat", mkdirat(AT_FDCWD, at("new-mkdirat"), 0755));
  outcome("mknod-fifo", mknod(at("new-fifo"), S_IFIFO | 0644, 0));
  outcome("mknod-regular", mknod(at("new-mknod"), S_IFREG | 0644, 0));
  outcome("mknodat", mknodat(AT_FDCWD, at("new-mknodat"), S_IFIFO | 0644, 0));
  outcome("symlink", symlink("/etc/passwd", at("new-symlink")));
  outcome("symlinkat", symlinkat("/etc/passwd", AT_FDCWD, at("new-symlinkat")));
  touch("mine-link");
  outcome("link-into-outside", link("mine-link", at("new-link")));
  outcome("linkat-into-outside", linkat(AT_FDCWD, "mine-link", AT_FDCWD, at("new-linkat"), 0));
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", at("new-socket"));
  outcome("bind-unix", bind(sock, (struct sockaddr*)&addr, sizeof(addr)));
  close(sock);

  // Changing the victim, by path and through a descriptor opened for reading.
  open_write("open-trunc", open(victim, O_WRONLY | O_TRUNC | O_CLOEXEC));
  open_write("open-append", open(victim, O_WRONLY | O_APPEND | O_CLOEXEC));
  open_write("open-rdwr", open(victim, O_RDWR | O_CLOEXEC));
  memset(&how, 0, sizeof(how));
  how.flags = O_WRONLY | O_APPEND | O_CLOEXEC;
  open_write("openat2-append", (int)syscall(SYS_openat2, AT_FDCWD, victim, &how, sizeof(how)));
  outcome("truncate", truncate(victim, 1));
  outcome("chmod", chmod(victim, 0777));
  outcome("fchmodat", fchmodat(AT_FDCWD, victim, 0776, 0));
  outcome("fchmodat2", syscall(452 /* fchmodat2 */, AT_FDCWD, victim, 0775, 0));
  outcome("chown", chown(victim, 1234, 1234));
  outcome("lchown", lchown(victim, 1235, 1235));
  outcome("fchownat", fchownat(AT_FDCWD, victim, 1236, 1236, 0));
  outcome("utime", utime(victim, &(struct utimbuf){0, 0}));
  outcome("utimes", utimes(victim, epoch_tv));
  outcome("futimesat", syscall(SYS_futimesat, AT_FDCWD, victim, epoch_tv));
  outcome("utimensat", utimensat(AT_FDCWD, victim, epoch, 0));
  outcome("setxattr", setxattr(victim, "user.zviz", "x", 1, 0));
  outcome("lsetxattr", lsetxattr(victim, "user.zviz-l", "x", 1, 0));
  outcome("removexattr", removexattr(victim, "user.absent"));
  if ((fd = read_fd("fchmod-read-fd", victim)) >= 0) {
    outcome("fchmod-read-fd", fchmod(fd, 0700));
    outcome("fchown-read-fd", fchown(fd, 1237, 1237));
    outcome("futimens-read-fd", futimens(fd, epoch));
    outcome("fsetxattr-read-fd", fsetxattr(fd, "user.zviz-f", "x", 1, 0));
    outcome("ftruncate-read-fd", ftruncate(fd, 0));
    snprintf(proc_path, sizeof(proc_path), "/proc/self/fd/%d", fd);
    open_write("reopen-read-fd-for-write", open(proc_path, O_WRONLY | O_APPEND | O_CLOEXEC));
    close(fd);
  } else {
    say("fchown-read-fd errno %s (open)", strerrorname_np(errno));
    say("futimens-read-fd errno %s (open)", strerrorname_np(errno));
    say("fsetxattr-read-fd errno %s (open)", strerrorname_np(errno));
    say("ftruncate-read-fd errno %s (open)", strerrorname_np(errno));
    say("reopen-read-fd-for-write errno %s (open)", strerrorname_np(errno));
  }

  // Moving and removing: each its own target.
  touch("mine-rename");
  outcome("rename-into-outside", rename("mine-rename", at("new-rename")));
  outcome("rename-out-of-outside", rename(at("rename-me"), "stolen"));
  outcome("rename-within-outside", rename(at("move-me"), at("new-moved")));
  touch("mine-renameat");
  outcome("renameat-into-outside", renameat(AT_FDCWD, "mine-renameat", AT_FDCWD, at("new-renameat")));
  touch("mine-exchange");
  outcome("renameat2-exchange",
          syscall(SYS_renameat2, AT_FDCWD, "mine-exchange", AT_FDCWD, at("exchange-me"), RENAME_EXCHANGE));
  touch("mine-whiteout");
  outcome("renameat2-whiteout",
          syscall(SYS_renameat2, AT_FDCWD, "mine-whiteout", AT_FDCWD, at("new-whiteout"), RENAME_WHITEOUT));
  outcome("link-out-of-outside", link(at("link-me"), "linked"));
  outcome("unlink", unlink(at("unlink-me")));
  outcome("unlinkat", unlinkat(AT_FDCWD, at("unlinkat-me"), 0));
  outcome("rmdir", rmdir(at("rmdir-me")));
  outcome("unlinkat-removedir", unlinkat(AT_FDCWD, at("unlinkat-dir-me"), AT_REMOVEDIR));
  return 0;
}

// Writes to what every view masks: the node's /proc and /sys files that
// tell about its kernel (key-users, kpageflags, slabinfo, vmcoreinfo, ...)
// and the masked directories (/sys/firmware, /proc/acpi, ...), plus any
// file or directory named in ZVIZ_ATTACK_MASKED_FILES / _DIRS (colon
// separated: the agent's own secrets, its audit directory). A mask that
// swallows a write tells the workload its write landed; a mask must refuse
// it and still read as it did. For each FILE (NAME is its last component):
//   NAME-type      "ok reg size=N" / "ok chr M:m" / ... of the open file
//   NAME-read      "ok bytes=N": what reading the whole file gives
//   NAME-write     open O_WRONLY and write 6 bytes ("ok" only if all were written)
//   NAME-rdwr      open O_RDWR
//   NAME-trunc     open O_WRONLY|O_TRUNC
//   NAME-truncate  truncate(2) to 0
//   NAME-chmod     chmod(2) to 0666
// For each DIRECTORY:
//   NAME-list      "ok entries=N" (without . and ..)
//   NAME-create    a new file in it
//   NAME-mkdir     a new directory in it
// A path this kernel does not have gives "NAME-read errno ENOENT" and no more.
// Last, the node's /dev/null as the view shows it: "null-write" (it must
// work), "devnull-chmod" (to the mode it has: must not reach the node's
// inode where the view's /dev is its own).
//
// With the argument "devnull" (the bare run, as the node's root) it shows
// why a mask is not a read-only bind of /dev/null: in a mount namespace of
// its own it binds /dev/null over a file of its working directory, makes the
// bind read-only, and writes through it ("devnull-ro-write ok": the kernel
// asks no writable mount to write a device node).
#include "attack.h"

#include <dirent.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static const char* const kFiles[] = {"/proc/key-users", "/proc/keys",       "/proc/timer_list", "/proc/sched_debug",
                                     "/proc/interrupts", "/proc/kpageflags", "/proc/kpagecount", "/proc/kpagecgroup",
                                     "/proc/slabinfo",   "/sys/kernel/vmcoreinfo"};
static const char* const kDirs[] = {"/sys/firmware", "/proc/acpi", "/proc/scsi", "/sys/kernel/debug",
                                    "/sys/kernel/security", "/sys/fs/bpf"};

static const char* base(const char* path) {
  const char* slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static void named(char* out, size_t size, const char* path, const char* what) {
  snprintf(out, size, "%s-%s", base(path), what);
}

static void open_attempt(const char* path, const char* what, int flags) {
  char name[256];
  named(name, sizeof(name), path, what);
  int fd = open(path, flags | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  long rc = 0;
  if (flags & (O_WRONLY | O_RDWR)) {
    ssize_t n = write(fd, "landed", 6);
    rc = n == 6 ? 0 : -1;
  }
  int err = errno;
  close(fd);
  errno = err;
  outcome(name, rc);
}

static void attack_file(const char* path) {
  char name[256];
  named(name, sizeof(name), path, "read");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  struct stat st;
  fstat(fd, &st);
  count_outcome(name, fd);
  named(name, sizeof(name), path, "type");
  if (S_ISREG(st.st_mode)) {
    say("%s ok reg size=%lld", name, (long long)st.st_size);
  } else if (S_ISCHR(st.st_mode)) {
    say("%s ok chr %u:%u", name, major(st.st_rdev), minor(st.st_rdev));
  } else {
    say("%s ok mode=%o", name, st.st_mode & S_IFMT);
  }
  open_attempt(path, "write", O_WRONLY);
  open_attempt(path, "rdwr", O_RDWR);
  open_attempt(path, "trunc", O_WRONLY | O_TRUNC);
  named(name, sizeof(name), path, "truncate");
  outcome(name, truncate(path, 0));
  named(name, sizeof(name), path, "chmod");
  outcome(name, chmod(path, 0666));
}

static void attack_dir(const char* path) {
  char name[256];
  char inside[4096];
  named(name, sizeof(name), path, "list");
  DIR* dir = opendir(path);
  if (!dir) {
    outcome(name, -1);
    return;
  }
  long entries = 0;
  struct dirent* e;
  while ((e = readdir(dir)) != NULL) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
      entries++;
    }
  }
  closedir(dir);
  say("%s ok entries=%ld", name, entries);
  named(name, sizeof(name), path, "create");
  int fd = open(join_path(inside, sizeof(inside), path, "zviz-landed"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  outcome(name, fd);
  if (fd >= 0) close(fd);
  named(name, sizeof(name), path, "mkdir");
  outcome(name, mkdir(join_path(inside, sizeof(inside), path, "zviz-landed-dir"), 0755));
}

/** Each entry of a colon-separated list in `var`, if set. */
static void each_listed(const char* var, void (*fn)(const char*)) {
  const char* list = getenv(var);
  if (!list || !*list) return;
  char copy[8192];
  snprintf(copy, sizeof(copy), "%s", list);
  for (char* save = NULL, *p = strtok_r(copy, ":", &save); p; p = strtok_r(NULL, ":", &save)) {
    fn(p);
  }
}

static void devnull_read_only(void) {
  int fd = open("devnull", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  if (outcome("devnull-ns", unshare(CLONE_NEWNS) == 0 ? mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) : -1) < 0 ||
      outcome("devnull-bind", mount("/dev/null", "devnull", NULL, MS_BIND, NULL)) < 0 ||
      outcome("devnull-ro", mount(NULL, "devnull", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL)) < 0) {
    return;
  }
  open_attempt("devnull", "ro-write", O_WRONLY);
}

/**
 * The node's own /dev/null, as the view shows it: "devnull-chmod" changes
 * its mode to the mode it has (so a run where it lands changes nothing on
 * the node), and "devnull-write" writes to it.
 */
static void devnull_in_view(void) {
  struct stat st;
  if (outcome("devnull-stat", stat("/dev/null", &st)) < 0) return;
  outcome("devnull-chmod", chmod("/dev/null", st.st_mode & 07777));
  open_attempt("/dev/null", "write", O_WRONLY);
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "devnull") == 0) {
    devnull_read_only();
    return 0;
  }
  for (size_t i = 0; i < sizeof(kFiles) / sizeof(kFiles[0]); i++) attack_file(kFiles[i]);
  for (size_t i = 0; i < sizeof(kDirs) / sizeof(kDirs[0]); i++) attack_dir(kDirs[i]);
  each_listed("ZVIZ_ATTACK_MASKED_FILES", attack_file);
  each_listed("ZVIZ_ATTACK_MASKED_DIRS", attack_dir);
  devnull_in_view();
  return 0;
}

// Path-rewriting races: the broker reads a syscall's arguments from the
// workload's memory, and the workload may change that memory at any moment.
// A thread flips what the main thread's open points at (the path buffer, the
// open_how of openat2, the directory descriptor, the working directory) between
// a harmless value and a forbidden one, as fast as it can; a broker that read
// twice, or let the kernel read again after deciding, would be caught.
// argv[1]: opens per race (default 10000).
#include "race.h"

#include <linux/openat2.h>
#include <sys/stat.h>

static char path_buf[512];
static char harmless_path[512];
static char forbidden_path[512];
static struct open_how how;
static int dirfd_slot;
static const char* dirfd_name = "secret";
static int dir_harmless, dir_forbidden;
static const char* cwd_harmless;
static const char* cwd_forbidden;
static atomic_int stop;
static long flip_failures;

// Keeps the compiler from merging the two stores of a flip into one.
#define BARRIER() __asm__ volatile("" ::: "memory")

static void* flip_path(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    memcpy(path_buf, forbidden_path, sizeof(path_buf));
    BARRIER();
    memcpy(path_buf, harmless_path, sizeof(path_buf));
    BARRIER();
  }
  return NULL;
}

static void* flip_flags(void* arg) {
  unsigned long long* flags = arg;
  while (!atomic_load(&stop)) {
    how.flags = flags[1];
    BARRIER();
    how.flags = flags[0];
    BARRIER();
  }
  return NULL;
}

static void* flip_dirfd(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    if (dup2(dir_forbidden, dirfd_slot) < 0) flip_failures++;
    if (dup2(dir_harmless, dirfd_slot) < 0) flip_failures++;
  }
  return NULL;
}

static void* flip_cwd(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    if (chdir(cwd_forbidden) != 0) flip_failures++;
    if (chdir(cwd_harmless) != 0) flip_failures++;
  }
  return NULL;
}

static void run(struct race* r, void* (*flipper)(void*), void* arg, int (*open_once)(void), long n, int write_byte) {
  atomic_store(&stop, 0);
  flip_failures = 0;
  pthread_t thread;
  pthread_create(&thread, NULL, flipper, arg);
  for (long i = 0; i < n; i++) {
    int fd = open_once();
    if (fd >= 0 && write_byte && (fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDONLY) {
      (void)!write(fd, "!", 1);
    }
    race_count(r, fd);
  }
  atomic_store(&stop, 1);
  pthread_join(thread, NULL);
  race_report(r);
  if (flip_failures) say("%s-flipper failed=%ld", r->name, flip_failures);
}

static int open_read(void) { return open(path_buf, O_RDONLY | O_CLOEXEC); }
static int open_create(void) { return open(path_buf, O_WRONLY | O_CREAT | O_CLOEXEC, 0644); }
static int openat2_how(void) { return (int)syscall(SYS_openat2, AT_FDCWD, harmless_path, &how, sizeof(how)); }
static int openat2_path(void) { return (int)syscall(SYS_openat2, AT_FDCWD, path_buf, &how, sizeof(how)); }
static int openat_dirfd(void) { return openat(dirfd_slot, dirfd_name, O_RDONLY | O_CLOEXEC); }
static int open_relative(void) { return open("secret", O_RDONLY | O_CLOEXEC); }

int main(int argc, char** argv) {
  const char* outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  const char* secret = need_env("ZVIZ_ATTACK_SECRET");
  const char* victim = need_env("ZVIZ_ATTACK_VICTIM");
  long n = race_iterations(argc, argv);
  const char* harmless = "harmless\n";
  char cwd[256];
  if (!getcwd(cwd, sizeof(cwd))) return 2;
  write_file("harmless", harmless);
  mkdir("decoy", 0755);
  write_file("decoy/secret", harmless);
  struct race r;

  // The path buffer of open: the harmless file, or the secret.
  snprintf(harmless_path, sizeof(harmless_path), "%s/harmless", cwd);
  snprintf(forbidden_path, sizeof(forbidden_path), "%s", secret);
  memcpy(path_buf, harmless_path, sizeof(path_buf));
  race_start(&r, "path-flip-read", harmless);
  run(&r, flip_path, NULL, open_read, n, 0);

  // The path buffer of open(O_CREAT): a new file in the workspace, or one outside.
  snprintf(harmless_path, sizeof(harmless_path), "%s/created-here", cwd);
  snprintf(forbidden_path, sizeof(forbidden_path), "%s/new-path-flip", outside);
  memcpy(path_buf, harmless_path, sizeof(path_buf));
  race_start(&r, "path-flip-create", "");
  run(&r, flip_path, NULL, open_create, n, 1);

  // The path buffer of openat2: the workspace's file, or the victim.
  snprintf(harmless_path, sizeof(harmless_path), "%s/created-here", cwd);
  snprintf(forbidden_path, sizeof(forbidden_path), "%s", victim);
  memcpy(path_buf, harmless_path, sizeof(path_buf));
  memset(&how, 0, sizeof(how));
  how.flags = O_WRONLY | O_APPEND | O_CLOEXEC;
  race_start(&r, "openat2-path-flip-write", "");
  run(&r, flip_path, NULL, openat2_path, n, 1);

  // open_how.flags of openat2 on a file outside the workspace: read (some
  // profiles allow it) or append (none of the boundaries do).
  snprintf(harmless_path, sizeof(harmless_path), "%s", victim);
  static unsigned long long flags[2] = {O_RDONLY | O_CLOEXEC, O_WRONLY | O_APPEND | O_CLOEXEC};
  memset(&how, 0, sizeof(how));
  how.flags = flags[0];
  race_start(&r, "openat2-flags-flip", "victim: must stay as it is\n");
  run(&r, flip_flags, flags, openat2_how, n, 1);

  // The same on a host file that the read-only profiles let the workload read
  // (/etc/hostname), opened for writing without writing anything: never writable.
  snprintf(harmless_path, sizeof(harmless_path), "/etc/hostname");
  static unsigned long long flags_etc[2] = {O_RDONLY | O_CLOEXEC, O_WRONLY | O_CLOEXEC};
  memset(&how, 0, sizeof(how));
  how.flags = flags_etc[0];
  race_start(&r, "openat2-flags-flip-etc", "");
  r.quiet = 1;
  run(&r, flip_flags, flags_etc, openat2_how, n, 0);

  // The directory descriptor of openat: the decoy directory, or the outside
  // one ("secret"); where even reading the outside directory is refused
  // (strict), /etc ("shadow").
  write_file("decoy/shadow", harmless);
  dir_harmless = open("decoy", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  dir_forbidden = open(outside, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  race_start(&r, "dirfd-flip-read", harmless);
  if (dir_forbidden < 0) {
    dir_forbidden = open("/etc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    dirfd_name = "shadow";
    r.quiet = 1;
  }
  dirfd_slot = dup(dir_harmless);
  run(&r, flip_dirfd, NULL, openat_dirfd, n, 0);

  // The working directory of a relative open: the decoy directory, or the outside one.
  char decoy[600];
  snprintf(decoy, sizeof(decoy), "%s/decoy", cwd);
  cwd_harmless = decoy;
  cwd_forbidden = outside;
  if (chdir(decoy) != 0) return 2;
  race_start(&r, "cwd-flip-read", harmless);
  run(&r, flip_cwd, NULL, open_relative, n, 0);
  (void)!chdir(cwd);
  return 0;
}

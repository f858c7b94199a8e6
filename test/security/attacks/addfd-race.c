// Attack: the descriptor number an emulated open is installed at
// (SECCOMP_IOCTL_NOTIF_ADDFD takes the lowest free one, in the opener's own
// table), fought over by another thread: it closes every number from a base
// up (close_range) and dup2()s /dev/null onto the lowest ones, in a tight
// loop, while the main thread opens a workspace file for reading and writing
// 20,000 times (a write, which every profile that judges opens by path
// emulates; strict's reads are the kernel's). A number
// the kernel has taken but not yet filled refuses dup2 (EBUSY), so the
// opener gets the file it asked for, or (once it is installed and before the
// open returns) what the other thread put there: /dev/null, or nothing.
// Anything else would be a descriptor nobody judged.
//   addfd-race N T D C O   N opens: T the target, D /dev/null, C closed,
//                          O anything else (must be 0); E errors
//   kept                   the descriptors below the base are as they were
#include "attack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/stat.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define ROUNDS 20000
#define BASE 10

static atomic_int stop_flag;
static int devnull;

static void* clobber(void* arg) {
  (void)arg;
  while (!atomic_load(&stop_flag)) {
    syscall(SYS_close_range, BASE, ~0U, 0);
    for (int n = BASE; n < BASE + 4; n++) dup2(devnull, n);
  }
  return NULL;
}

static int same(const struct stat* a, const struct stat* b) { return a->st_dev == b->st_dev && a->st_ino == b->st_ino; }

int main(void) {
  // The opener never closes what it gets (the other thread's close_range
  // does), so where opens outrun that thread the table grows: the soft limit
  // the container starts with (1024) would turn the race into EMFILE errors.
  struct rlimit files;
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  int t = open("addfd-race-target", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (t < 0 || write(t, "target\n", 7) != 7) {
    outcome("setup", -1);
    return 2;
  }
  close(t);
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  struct stat target_st, null_st;
  if (devnull < 0 || devnull >= BASE || stat("addfd-race-target", &target_st) != 0 || fstat(devnull, &null_st) != 0) {
    outcome("setup", -1);
    return 2;
  }
  // Fill the numbers up to the base, so that every open lands at or above it.
  for (int n = 3; n < BASE; n++) {
    if (fcntl(n, F_GETFD) < 0 && dup2(devnull, n) < 0) {
      outcome("setup", -1);
      return 2;
    }
  }
  pthread_t thread;
  if (pthread_create(&thread, NULL, clobber, NULL) != 0) {
    outcome("setup", -1);
    return 2;
  }
  long target = 0, null = 0, closed = 0, other = 0, errors = 0;
  for (int i = 0; i < ROUNDS; i++) {
    int fd = open("addfd-race-target", O_RDWR);
    if (fd < 0) {
      errors++;
      continue;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
      closed++;
    } else if (same(&st, &target_st)) {
      target++;
    } else if (same(&st, &null_st)) {
      null++;
    } else {
      other++;
    }
  }
  atomic_store(&stop_flag, 1);
  pthread_join(thread, NULL);
  say("addfd-race %d %ld %ld %ld %ld %ld", ROUNDS, target, null, closed, other, errors);
  int kept = 1;
  for (int n = 0; n < BASE; n++) {
    struct stat st;
    if (fstat(n, &st) != 0 || (n >= 3 && !same(&st, &null_st))) kept = 0;
  }
  say("kept %s", kept ? "ok" : "changed");
  say("finished ok");
  return 0;
}

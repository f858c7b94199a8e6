// Attack: the path an open names, in memory the workload keeps changing under
// the broker's read (process_vm_readv) rather than rewriting the path itself
// (races.test.ts does that):
//   truncated-page      the path lies in a page of a shared file mapping
//                       whose file was truncated under it: a read of it
//                       faults with SIGBUS in the workload, EFAULT for the
//                       kernel and for the broker
//   truncated-span      the path starts in the last bytes of the page before
//                       and runs into that page
//   prot-flip N F E O   a thread switches the page between PROT_NONE and
//                       read-write while N opens are made: F opened the
//                       target file (its content checked), E failed EFAULT,
//                       O anything else (must be 0)
//   dontneed N F Z D O  a thread drops the page (MADV_DONTNEED: it reads as
//                       zeros) and writes the path back while N opens are
//                       made: F the target, Z ENOENT (a path cut short),
//                       D a directory (a prefix of it), O anything else
// The target is a workspace file every profile lets a workload read.
#include "attack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/stat.h>

#define TARGET "memory-churn-target-file"
#define CONTENT "memory-churn: the target\n"
#define ROUNDS 20000

static char* page;
static atomic_int stop_flag;

static int is_target(int fd) {
  char buf[64];
  ssize_t n = pread(fd, buf, sizeof(buf), 0);
  return n == (ssize_t)strlen(CONTENT) && memcmp(buf, CONTENT, (size_t)n) == 0;
}

static void* flip(void* arg) {
  (void)arg;
  while (!atomic_load(&stop_flag)) {
    mprotect(page, 4096, PROT_NONE);
    mprotect(page, 4096, PROT_READ | PROT_WRITE);
  }
  return NULL;
}

static void* drop(void* arg) {
  (void)arg;
  while (!atomic_load(&stop_flag)) {
    madvise(page, 4096, MADV_DONTNEED);
    memcpy(page, TARGET, sizeof(TARGET));
  }
  return NULL;
}

static void truncated(void) {
  int fd = open("memory-churn-map", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || ftruncate(fd, 8192) != 0) {
    outcome("setup-map", -1);
    exit(2);
  }
  char* map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    outcome("setup-map", -1);
    exit(2);
  }
  memcpy(map + 4096, TARGET, sizeof(TARGET));
  memcpy(map + 4092, "././", 4);  // "././TARGET" from the page before into this one
  if (ftruncate(fd, 4096) != 0) {
    outcome("setup-truncate", -1);
    exit(2);
  }
  int got = open(map + 4096, O_RDONLY | O_CLOEXEC);
  if (got >= 0) {
    say("truncated-page %s", is_target(got) ? "ok" : "other");
    close(got);
  } else {
    outcome("truncated-page", -1);
  }
  got = open(map + 4092, O_RDONLY | O_CLOEXEC);
  if (got >= 0) {
    say("truncated-span %s", is_target(got) ? "ok" : "other");
    close(got);
  } else {
    outcome("truncated-span", -1);
  }
  munmap(map, 8192);
  close(fd);
}

static void churn(const char* name, void* (*fn)(void*)) {
  memcpy(page, TARGET, sizeof(TARGET));
  atomic_store(&stop_flag, 0);
  pthread_t thread;
  if (pthread_create(&thread, NULL, fn, NULL) != 0) {
    outcome(name, -1);
    return;
  }
  long file = 0, efault = 0, enoent = 0, dir = 0, other = 0;
  for (int i = 0; i < ROUNDS; i++) {
    int fd = open(page, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      struct stat st;
      if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        dir++;
      } else if (is_target(fd)) {
        file++;
      } else {
        other++;
      }
      close(fd);
    } else if (errno == EFAULT) {
      efault++;
    } else if (errno == ENOENT) {
      enoent++;
    } else {
      other++;
    }
  }
  atomic_store(&stop_flag, 1);
  pthread_join(thread, NULL);
  mprotect(page, 4096, PROT_READ | PROT_WRITE);
  if (fn == flip) {
    say("%s %d %ld %ld %ld", name, ROUNDS, file, efault, other + enoent + dir);
  } else {
    say("%s %d %ld %ld %ld %ld", name, ROUNDS, file, enoent, dir, other + efault);
  }
}

int main(void) {
  int t = open(TARGET, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (t < 0 || write(t, CONTENT, strlen(CONTENT)) != (ssize_t)strlen(CONTENT)) {
    outcome("setup-target", -1);
    return 2;
  }
  close(t);
  truncated();
  page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) {
    outcome("setup-page", -1);
    return 2;
  }
  churn("prot-flip", flip);
  churn("dontneed", drop);
  say("finished ok");
  return 0;
}

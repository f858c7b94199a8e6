// Memory the node's OOM killer does not see: pages written into a memfd or a
// tmpfs file (/dev/shm) belong to no process's resident set until mapped,
// and the kernel scores a process for the OOM killer by that set. Writes
// ZVIZ_ATTACK_SHMEM_MB MiB (default 128) into each, then touches as much
// anonymous memory, and says its own /proc/self/oom_score after each.
//   shmem
// First its oom_score_adj and score ("adj N score=S"), and an attempt to
// lower the adjustment to 0 ("adj-lower").
// Lines: "start score=N", "memfd ok written=MIB score=N" (or the write's
// errno after WRITTEN MiB: "memfd errno ENAME written=MIB"), the same for
// "devshm", "anon ok score=N", "finished ok".
#include "attack.h"

#include <sys/mman.h>

static long score(void) {
  char buf[32];
  int fd = open("/proc/self/oom_score", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
  if (fd >= 0) close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  return strtol(buf, NULL, 10);
}

/** Writes `mib` MiB into `fd` (kept open: the pages stay), and says how it went. */
static void fill(const char* name, int fd, long mib) {
  static char chunk[1 << 20];
  memset(chunk, 0x5a, sizeof(chunk));
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  long written = 0;
  for (; written < mib; written++) {
    if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk)) {
      const char* e = strerrorname_np(errno);
      say("%s errno %s written=%ld", name, e ? e : "E?", written);
      return;
    }
  }
  say("%s ok written=%ld score=%ld", name, written, score());
}

int main(void) {
  const char* env = getenv("ZVIZ_ATTACK_SHMEM_MB");
  long mib = env ? strtol(env, NULL, 10) : 128;
  // Its OOM score adjustment, and an attempt to lower it (to be taken after the node's processes).
  char adj[16] = "";
  int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, adj, sizeof(adj) - 1);
  if (fd >= 0) close(fd);
  say("adj %s score=%ld", n > 0 ? strtok(adj, "\n") : "unreadable", score());
  fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    outcome("adj-lower", -1);
  } else {
    outcome("adj-lower", write(fd, "0", 1));
    close(fd);
  }
  say("start score=%ld", score());
  fill("memfd", memfd_create("zviz-attack-fill", MFD_CLOEXEC), mib);
  fill("devshm", open("/dev/shm/zviz-attack-fill", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600), mib);
  char* anon = mmap(NULL, (size_t)mib << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (anon == MAP_FAILED) {
    outcome("anon", -1);
  } else {
    memset(anon, 0x5a, (size_t)mib << 20);
    say("anon ok score=%ld", score());
  }
  say("finished ok");
  return 0;
}

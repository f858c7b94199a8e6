// Resource exhaustion: a fork bomb (every child forks too, all of them stay),
// a thread bomb, and a memory hog that touches every page it gets. The
// container's cgroup limits (--pids, --memory) must stop each, the host and
// the agent must not notice, and nothing may outlive the run.
//   hog fork | threads | memory
#include "attack.h"

#include <pthread.h>
#include <sys/mman.h>

static void* idle(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static int fork_bomb(void) {
  long forked = 0;
  int err = 0;
  // Each child forks too, for a while; every process stays (pause).
  for (int round = 0; round < 10000; round++) {
    pid_t pid = fork();
    if (pid < 0) {
      err = errno;
      break;
    }
    if (pid == 0) {
      for (int i = 0; i < 8; i++) {
        if (fork() < 0) break;
      }
      for (;;) pause();
    }
    forked++;
  }
  say("fork-bomb forked=%ld errno %s", forked, err ? strerrorname_np(err) : "none");
  // The first process ends with its children still there: the run must end them.
  return 0;
}

static int thread_bomb(void) {
  long made = 0;
  int err = 0;
  for (int i = 0; i < 100000; i++) {
    pthread_t t;
    int rc = pthread_create(&t, NULL, idle, NULL);
    if (rc != 0) {
      err = rc;
      break;
    }
    made++;
  }
  say("thread-bomb threads=%ld errno %s", made, err ? strerrorname_np(err) : "none");
  return 0;
}

static int memory_hog(void) {
  const size_t chunk = 8 << 20;
  for (long mb = 8; mb <= 8192; mb += 8) {
    char* p = mmap(NULL, chunk, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      outcome("memory-hog", -1);
      return 0;
    }
    memset(p, 0x5a, chunk);
    say("memory-hog-touched %ld", mb);
  }
  say("memory-hog ok");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  if (strcmp(argv[1], "fork") == 0) return fork_bomb();
  if (strcmp(argv[1], "threads") == 0) return thread_bomb();
  if (strcmp(argv[1], "memory") == 0) return memory_hog();
  return 2;
}

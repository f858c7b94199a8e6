// Attack: making the broker work for free. The broker answers a container's
// notifications on a thread of the agent (or of `zviz run`), so its CPU time
// is the agent's, not the container's: a workload held to a small CPU limit
// could keep a core of the agent busy. Four threads each loop over the
// calls that cost the broker most for what they cost the workload: an open
// for writing through a chain of 38 symbolic links in the workspace (under
// strict and ci-runner the broker resolves it hop by hop and opens it, under
// observe it reads and logs the path), and a call every built-in filter but
// observe's refuses (the broker answers it, to count and audit it). It says
// "spinning" with a file in its workspace and stops when the test writes
// "done" (or after 60 s):
//   loops N    how many rounds the threads made
#include "attack.h"

#include <pthread.h>
#include <time.h>

#define THREADS 4
#define LINKS 38

static char path[LINKS * 2 + 16];
static volatile int stop;
static long rounds[THREADS];

static void* spin(void* arg) {
  long* count = arg;
  while (!stop) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd >= 0) close(fd);
    syscall(SYS_bpf, -1, NULL, 0);
    ++*count;
  }
  return NULL;
}

int main(void) {
  int fd = open("target", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0 || symlink(".", "d") != 0) {
    outcome("setup", -1);
    return 2;
  }
  close(fd);
  size_t at = 0;
  for (int i = 0; i < LINKS; i++) at += (size_t)snprintf(path + at, sizeof(path) - at, "d/");
  snprintf(path + at, sizeof(path) - at, "target");
  pthread_t threads[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&threads[i], NULL, spin, &rounds[i]);
  fd = open("spinning", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  for (int i = 0; i < 1200 && access("done", F_OK) != 0; i++) {
    struct timespec tick = {0, 50 * 1000 * 1000};
    nanosleep(&tick, NULL);
  }
  stop = 1;
  long total = 0;
  for (int i = 0; i < THREADS; i++) {
    pthread_join(threads[i], NULL);
    total += rounds[i];
  }
  say("loops %ld", total);
  say("finished ok");
  return 0;
}

// The pending-signal count of uid 0 is one for the whole node: without a user
// namespace of its own a workload's root is the host's. Every queued signal of
// every root process counts against it, and each receiver compares it with its
// own RLIMIT_SIGPENDING, so a workload that queues real-time signals to itself
// until refused uses up the count for every root process of the node: their
// real-time signals (pthread_kill, sigqueue; glibc's own setxid and
// cancellation signals) then fail with EAGAIN (kill() still marks one pending,
// without its siginfo). Modes:
//   fill N     (in the sandbox) blocks every real-time signal, queues N of them
//              to itself with kill(), says "fill ok QUEUED/LIMIT" (its SigQ),
//              creates ./ready and waits until ./stop exists (at most 60 s)
//   probe      (on the host, by the test) pthread_kill of a real-time signal
//              to a thread of its own and sigqueue to itself: "probe-* ok" or
//              "probe-* errno EAGAIN"
#include "attack.h"

#include <pthread.h>

static void nothing(int sig) { (void)sig; }

static void* idle(void* arg) {
  (void)arg;
  for (;;) pause();
  return NULL;
}

static void fill(long n) {
  sigset_t rt;
  sigemptyset(&rt);
  for (int s = SIGRTMIN; s <= SIGRTMAX; s++) sigaddset(&rt, s);
  sigprocmask(SIG_BLOCK, &rt, NULL);
  long queued = 0;
  for (long i = 0; i < n; i++) {
    if (kill(getpid(), SIGRTMIN + 2 + (int)(i % 16)) == 0) queued++;
  }
  char line[256] = "";
  FILE* f = fopen("/proc/self/status", "r");
  while (f && fgets(line, sizeof(line), f)) {
    if (strncmp(line, "SigQ:", 5) == 0) break;
  }
  if (f) fclose(f);
  line[strcspn(line, "\n")] = '\0';
  say("fill ok %ld %s", queued, line);
  close(open("ready", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  for (int i = 0; i < 600 && access("stop", F_OK) != 0; i++) usleep(100 * 1000);
}

static void probe(void) {
  signal(SIGRTMIN + 6, nothing);
  signal(SIGRTMIN + 7, nothing);
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  usleep(10 * 1000);
  int rc = pthread_kill(thread, SIGRTMIN + 6);
  errno = rc;
  outcome("probe-pthread-kill", rc ? -1 : 0);
  union sigval value = {0};
  outcome("probe-sigqueue", sigqueue(getpid(), SIGRTMIN + 7, value));
}

int main(int argc, char** argv) {
  if (argc >= 3 && strcmp(argv[1], "fill") == 0) fill(atol(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "probe") == 0) probe();
  return 0;
}

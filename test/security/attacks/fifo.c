// Attack: tie up the agent with opens of a FIFO that wait for their other
// end (issue 14, finding 4; docs/security.md, "Emulated opens"). A blocking
// FIFO open the broker emulates waits in a worker thread of the agent: one
// per opener, outside the container's pids limit, and formerly left behind
// when the opener was killed.
//   fifo OPENERS ROUNDS
// 1. OPENERS children open ./waits for writing at once (no reader yet, so each
//    waits); the parent then opens it for reading: "bound-refused N" counts
//    the opens refused at once (EAGAIN), "bound-opened N" those that waited
//    and got the FIFO.
// 2. ROUNDS times, OPENERS children wait in the same open and are killed:
//    "rounds-refused N" counts the opens refused at once in those rounds.
// The test counts the agent's threads: it hands over in the workspace
// (./phase-* written here, ./go-* written by the test).
#include "attack.h"

#include <sys/stat.h>
#include <time.h>

static void phase(const char* name, const char* go) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
  struct stat st;
  for (int i = 0; i < 3000 && stat(go, &st) != 0; i++) usleep(10 * 1000);
}

static void pause_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
  nanosleep(&ts, NULL);
}

/** Forks `n` children that open ./waits for writing; each reports 'o' (opened) or 'r' (refused) on `report`. */
static void openers(int n, pid_t* pids, int report) {
  for (int i = 0; i < n; i++) {
    pids[i] = fork();
    if (pids[i] == 0) {
      int fd = open("waits", O_WRONLY | O_CLOEXEC);
      char c = fd >= 0 ? 'o' : (errno == EAGAIN ? 'r' : 'e');
      (void)!write(report, &c, 1);
      pause_ms(100);  // hold it open until the reader has seen it
      _exit(0);
    }
  }
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const int n = atoi(argv[1]);
  const int rounds = atoi(argv[2]);
  pid_t* pids = calloc((size_t)n, sizeof(pid_t));
  int report[2];
  if (pids == NULL || pipe2(report, O_CLOEXEC) != 0) return 2;
  outcome("mkfifo", mkfifo("waits", 0600));
  phase("phase-started", "go-started");

  openers(n, pids, report[1]);
  pause_ms(1500);  // every refusal is answered at once; the others wait
  phase("phase-waiting", "go-waiting");
  // The reading end, without waiting (its own open would otherwise wait in a worker too).
  int reader = open("waits", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  outcome("reader", reader);
  int refused = 0, opened = 0, other = 0;
  for (int i = 0; i < n; i++) {
    char c;
    if (read(report[0], &c, 1) != 1) break;
    refused += c == 'r';
    opened += c == 'o';
    other += c == 'e';
  }
  for (int i = 0; i < n; i++) waitpid(pids[i], NULL, 0);
  if (reader >= 0) close(reader);
  say("bound-refused %d", refused);
  say("bound-opened %d", opened);
  say("bound-other %d", other);

  int killed = 0, round_refused = 0;
  for (int r = 0; r < rounds; r++) {
    openers(n, pids, report[1]);
    pause_ms(300);
    for (int i = 0; i < n; i++) killed += kill(pids[i], SIGKILL) == 0;
    for (int i = 0; i < n; i++) waitpid(pids[i], NULL, 0);
  }
  // What the killed rounds' openers said before they died: only refusals (the others were still waiting).
  fcntl(report[0], F_SETFL, O_NONBLOCK);
  char c;
  while (read(report[0], &c, 1) == 1) round_refused += c == 'r';
  say("killed %d", killed);
  say("rounds-refused %d", round_refused);
  phase("phase-killed", "go-killed");
  say("finished ok");
  return 0;
}

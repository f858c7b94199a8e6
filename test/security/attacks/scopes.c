// Attack class: what a workload reaches of the node beyond the file system,
// through the network and the PID namespace it may share with it (run by
// test/security/scopes.test.ts): the node's abstract unix listeners, and,
// with --pid host, the node's processes by signal. And what it must keep:
// its own abstract sockets and signals to its own processes.
//   ZVIZ_ATTACK_STREAM, ZVIZ_ATTACK_DGRAM: abstract names the node listens on
//   ZVIZ_ATTACK_TAG: a decimal number sent with every payload and signal
//   ZVIZ_ATTACK_SIGNAL_PID: a node process that records the signals it gets
//   ZVIZ_ATTACK_WAIT: then block SIGTERM, make ./waiting, wait for it and say so
#include "attack.h"

#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

static socklen_t abstract_address(struct sockaddr_un* sun, const char* name) {
  memset(sun, 0, sizeof(*sun));
  sun->sun_family = AF_UNIX;
  size_t n = strlen(name);
  if (n > sizeof(sun->sun_path) - 1) n = sizeof(sun->sun_path) - 1;
  memcpy(sun->sun_path + 1, name, n);
  return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

static void node_stream(const char* name, const char* tag) {
  struct sockaddr_un sun;
  socklen_t len = abstract_address(&sun, name);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (outcome("node-stream-connect", fd < 0 ? -1 : connect(fd, (struct sockaddr*)&sun, len)) == 0) {
    char line[64];
    int n = snprintf(line, sizeof(line), "stream %s\n", tag);
    outcome("node-stream-write", write(fd, line, (size_t)n));
  }
  if (fd >= 0) close(fd);
}

static void node_dgram(const char* name, const char* tag) {
  struct sockaddr_un sun;
  socklen_t len = abstract_address(&sun, name);
  char line[64];
  int n = snprintf(line, sizeof(line), "dgram-sendto %s\n", tag);
  int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  outcome("node-dgram-sendto", fd < 0 ? -1 : sendto(fd, line, (size_t)n, 0, (struct sockaddr*)&sun, len));
  if (fd >= 0) close(fd);
  // Connected first: the kernel checks the peer at connect, then lets send go.
  fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (outcome("node-dgram-connect", fd < 0 ? -1 : connect(fd, (struct sockaddr*)&sun, len)) == 0) {
    n = snprintf(line, sizeof(line), "dgram-send %s\n", tag);
    outcome("node-dgram-send", send(fd, line, (size_t)n, 0));
  }
  if (fd >= 0) close(fd);
}

/** Its own abstract listener, stream and datagram, reached from the same container. */
static void own_sockets(void) {
  char name[64];
  snprintf(name, sizeof(name), "zviz-attack-own-%d-%ld", getpid(), (long)time(NULL));
  struct sockaddr_un sun;
  socklen_t len = abstract_address(&sun, name);
  int listener = socket(AF_UNIX, SOCK_STREAM, 0);
  if (listener < 0 || bind(listener, (struct sockaddr*)&sun, len) != 0 || listen(listener, 1) != 0) {
    outcome("own-stream", -1);
  } else {
    int client = socket(AF_UNIX, SOCK_STREAM, 0);
    int peer = -1;
    char got[8] = {0};
    if (client >= 0 && connect(client, (struct sockaddr*)&sun, len) == 0 && write(client, "ping", 4) == 4 &&
        (peer = accept(listener, NULL, NULL)) >= 0 && read(peer, got, 4) == 4) {
      say("own-stream ok %s", got);
    } else {
      outcome("own-stream", -1);
    }
    if (peer >= 0) close(peer);
    if (client >= 0) close(client);
  }
  if (listener >= 0) close(listener);

  snprintf(name, sizeof(name), "zviz-attack-own-dgram-%d", getpid());
  len = abstract_address(&sun, name);
  int receiver = socket(AF_UNIX, SOCK_DGRAM, 0);
  int sender = socket(AF_UNIX, SOCK_DGRAM, 0);
  char got[8] = {0};
  if (receiver >= 0 && sender >= 0 && bind(receiver, (struct sockaddr*)&sun, len) == 0 &&
      sendto(sender, "ping", 4, 0, (struct sockaddr*)&sun, len) == 4 && recv(receiver, got, 4, 0) == 4) {
    say("own-dgram ok %s", got);
  } else {
    outcome("own-dgram", -1);
  }
  if (receiver >= 0) close(receiver);
  if (sender >= 0) close(sender);
}

static void node_signals(pid_t pid, int tag) {
  outcome("node-kill", kill(pid, SIGUSR1));
  union sigval value = {.sival_int = tag};
  outcome("node-sigqueue", sigqueue(pid, SIGUSR2, value));
  outcome("node-tgkill", syscall(SYS_tgkill, pid, pid, SIGHUP));
}

/** A child of its own, signalled and reaped: what must keep working. */
static void own_signal(void) {
  pid_t child = fork();
  if (child == 0) {
    for (;;) pause();
  }
  if (child < 0) {
    outcome("own-signal", -1);
    return;
  }
  if (kill(child, SIGTERM) != 0) {
    outcome("own-signal", -1);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return;
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (WIFSIGNALED(status)) {
    say("own-signal ok signal %d", WTERMSIG(status));
  } else {
    say("own-signal ok status %d", status);
  }
}

int main(void) {
  const char* tag = getenv("ZVIZ_ATTACK_TAG");
  if (!tag) tag = "0";
  const char* stream = getenv("ZVIZ_ATTACK_STREAM");
  const char* dgram = getenv("ZVIZ_ATTACK_DGRAM");
  const char* target = getenv("ZVIZ_ATTACK_SIGNAL_PID");
  if (stream) node_stream(stream, tag);
  if (dgram) node_dgram(dgram, tag);
  own_sockets();
  if (target) node_signals((pid_t)atoi(target), atoi(tag));
  own_signal();
  if (getenv("ZVIZ_ATTACK_WAIT")) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    say("waiting ok");
    // The test signals once this file exists (in the workspace, writable under every profile).
    int marker = open("waiting", O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (marker >= 0) close(marker);
    int sig = 0;
    sigwait(&set, &sig);
    say("waited ok signal %d", sig);
  }
  say("finished ok");
  return 0;
}

// Not an attack: a process of the node that records what reaches it, for
// test/security/scopes.test.ts (run outside any sandbox, as root).
//   node-recorder STREAM DGRAM
// Listens on the abstract unix names STREAM (stream) and DGRAM (datagram),
// and takes SIGUSR1, SIGUSR2 and SIGHUP by a signalfd (blocked: nothing is
// lost, nothing ends it), says "ready", then prints one line per event:
//   stream-connection | stream PAYLOAD | dgram PAYLOAD | signal SIGNO from PID value VALUE
// It ends with SIGTERM or SIGKILL.
#include "attack.h"

#include <poll.h>
#include <stddef.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>

static int bound(int type, const char* name) {
  struct sockaddr_un sun = {.sun_family = AF_UNIX};
  size_t n = strlen(name);
  if (n > sizeof(sun.sun_path) - 1) n = sizeof(sun.sun_path) - 1;
  memcpy(sun.sun_path + 1, name, n);
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, (struct sockaddr*)&sun, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n)) != 0 ||
      (type == SOCK_STREAM && listen(fd, 16) != 0)) {
    say("node-recorder: %s: %s", name, strerror(errno));
    exit(1);
  }
  return fd;
}

/** A payload as one line: the trailing newline dropped. */
static void print_payload(const char* what, char* buf, ssize_t n) {
  if (n <= 0) return;
  buf[n] = '\0';
  if (buf[n - 1] == '\n') buf[n - 1] = '\0';
  say("%s %s", what, buf);
}

int main(int argc, char** argv) {
  if (argc != 3) {
    say("usage: node-recorder STREAM DGRAM");
    return 2;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGUSR2);
  sigaddset(&set, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) return 1;
  struct pollfd fds[3] = {
      {.fd = bound(SOCK_STREAM, argv[1]), .events = POLLIN},
      {.fd = bound(SOCK_DGRAM, argv[2]), .events = POLLIN},
      {.fd = signalfd(-1, &set, SFD_CLOEXEC), .events = POLLIN},
  };
  if (fds[2].fd < 0) return 1;
  say("ready");
  for (;;) {
    if (poll(fds, 3, -1) < 0) {
      if (errno == EINTR) continue;
      return 1;
    }
    char buf[512];
    if (fds[0].revents & POLLIN) {
      int peer = accept4(fds[0].fd, NULL, NULL, SOCK_CLOEXEC);
      if (peer >= 0) {
        say("stream-connection");
        // The workload writes one line and closes.
        struct pollfd one = {.fd = peer, .events = POLLIN};
        if (poll(&one, 1, 2000) > 0) print_payload("stream", buf, read(peer, buf, sizeof(buf) - 1));
        close(peer);
      }
    }
    if (fds[1].revents & POLLIN) print_payload("dgram", buf, recv(fds[1].fd, buf, sizeof(buf) - 1, 0));
    if (fds[2].revents & POLLIN) {
      struct signalfd_siginfo info;
      if (read(fds[2].fd, &info, sizeof(info)) == sizeof(info)) {
        say("signal %u from %u value %d", info.ssi_signo, info.ssi_pid, info.ssi_int);
      }
    }
  }
}

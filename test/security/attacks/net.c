// Connections to listeners of the host: TCP on 127.0.0.1, a unix stream
// socket by path (in the outside directory) and by abstract name
// (ZVIZ_ATTACK_TCP_PORT, ZVIZ_ATTACK_UNIX, ZVIZ_ATTACK_ABSTRACT). A connection
// that gets through sends one line; the test asks the listeners what they saw.
// (UDP, sendto/sendmsg with an address and socketcall are another test's.)
#include "attack.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

static void try_connect(const char* name, int family, struct sockaddr* addr, socklen_t len) {
  int s = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    say("%s errno %s (socket)", name, strerrorname_np(errno));
    return;
  }
  if (outcome(name, connect(s, addr, len)) == 0) {
    char line[128];
    int n = snprintf(line, sizeof(line), "%s from the sandbox\n", name);
    (void)!send(s, line, (size_t)n, MSG_NOSIGNAL);
  }
  close(s);
}

int main(void) {
  struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(need_env("ZVIZ_ATTACK_TCP_PORT")))};
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  try_connect("tcp-connect", AF_INET, (struct sockaddr*)&in, sizeof(in));
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  snprintf(un.sun_path, sizeof(un.sun_path), "%s", need_env("ZVIZ_ATTACK_UNIX"));
  try_connect("unix-path-connect", AF_UNIX, (struct sockaddr*)&un, sizeof(un));
  struct sockaddr_un ab = {.sun_family = AF_UNIX};
  const char* name = need_env("ZVIZ_ATTACK_ABSTRACT");
  size_t len = strlen(name);
  memcpy(ab.sun_path + 1, name, len);
  // Node binds abstract names padded with NULs to the whole of sun_path: so does this.
  (void)len;
  try_connect("unix-abstract-connect", AF_UNIX, (struct sockaddr*)&ab, sizeof(ab));
  return 0;
}

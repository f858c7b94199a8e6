// The agent's HTTP API from inside the sandbox (ZVIZ_ATTACK_AGENT_PORT: the
// agent's port on 127.0.0.1). Without a network namespace of its own a
// workload shares the node's loopback, where the agent serves
// /api/v1/containers (every tenant's containers) and /api/v1/decisions (every
// tenant's paths and addresses), without authentication by default. Prints
// "api-containers ok BODY" / "api-decisions ok BODY" (the body on one line,
// control characters as spaces), or the errno of the connection. Also
// /metrics (every container's labels and counts) and /health, and the
// containers list over an IPv6 socket to the IPv4-mapped loopback
// (::ffff:127.0.0.1), whose connection the agent sees as an IPv4 peer.
#include "attack.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static void get_as(const char* name, int port, const char* path, int v6_mapped) {
  int s = socket(v6_mapped ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  struct sockaddr_in6 addr6 = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &addr6.sin6_addr);
  int rc = -1;
  if (s >= 0) {
    rc = v6_mapped ? connect(s, (struct sockaddr*)&addr6, sizeof(addr6)) : connect(s, (struct sockaddr*)&addr, sizeof(addr));
  }
  if (rc != 0) {
    outcome(name, -1);
    if (s >= 0) close(s);
    return;
  }
  char request[256];
  int len = snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", path);
  (void)!send(s, request, (size_t)len, MSG_NOSIGNAL);
  static char body[3500];
  size_t got = 0;
  for (;;) {
    ssize_t n = recv(s, body + got, sizeof(body) - 1 - got, 0);
    if (n <= 0 || (got += (size_t)n) >= sizeof(body) - 1) break;
  }
  close(s);
  body[got] = '\0';
  for (size_t i = 0; i < got; i++) {
    if ((unsigned char)body[i] < 0x20) body[i] = ' ';
  }
  say("%s ok %s", name, body);
}

static void get(const char* name, int port, const char* path) { get_as(name, port, path, 0); }

int main(void) {
  int port = atoi(need_env("ZVIZ_ATTACK_AGENT_PORT"));
  get("api-containers", port, "/api/v1/containers");
  get("api-decisions", port, "/api/v1/decisions?limit=20");
  get("metrics", port, "/metrics");
  get("health", port, "/health");
  get_as("api-containers-v6-mapped", port, "/api/v1/containers", 1);
  return 0;
}

// Attack class: the network (issue 14, finding 3). Every way to send a byte
// to a listener on the host, each with a payload naming the attempt, so that
// the test can tell from what the listeners received which one got through:
// connect (TCP, unix path, abstract), TCP Fast Open (sendto with
// MSG_FASTOPEN), UDP sendto, sendmsg and sendmmsg with an address, a unix
// datagram sendto and sendmsg, and the i386 forms: socketcall(SYS_CONNECT,
// SYS_SENDTO, SYS_SENDMSG) and the direct i386 connect.
//   egress attack         (in the sandbox; ZVIZ_ATTACK_TCP_PORT, _UDP_PORT, _UNIX, _ABSTRACT, _DGRAM)
//   egress listen PATH    (on the host: a unix datagram socket; prints each datagram as hex)
#include "attack.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#ifndef MSG_FASTOPEN
#define MSG_FASTOPEN 0x20000000
#endif

static struct sockaddr_in tcp_addr, udp_addr;
static struct sockaddr_un unix_addr, abstract_addr, dgram_addr;
static socklen_t abstract_len;

static void payload(char* out, size_t size, const char* name) { snprintf(out, size, "zviz-%s", name); }

static void try_connect(const char* name, int domain, int type, const struct sockaddr* to, socklen_t len) {
  int fd = socket(domain, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  if (outcome(name, connect(fd, to, len)) == 0) {
    char data[64];
    payload(data, sizeof(data), name);
    (void)!write(fd, data, strlen(data));
  }
  close(fd);
}

static void try_sendto(const char* name, int domain, int type, int flags, const struct sockaddr* to, socklen_t len) {
  int fd = socket(domain, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  char data[64];
  payload(data, sizeof(data), name);
  outcome(name, sendto(fd, data, strlen(data), flags, to, len));
  close(fd);
}

static void try_sendmsg(const char* name, int domain, int type, const struct sockaddr* to, socklen_t len) {
  int fd = socket(domain, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  char data[64];
  payload(data, sizeof(data), name);
  struct iovec iov = {data, strlen(data)};
  struct msghdr msg = {0};
  msg.msg_name = (void*)to;
  msg.msg_namelen = len;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  outcome(name, sendmsg(fd, &msg, 0));
  close(fd);
}

static void try_sendmmsg(const char* name, const struct sockaddr* to, socklen_t len) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    outcome(name, -1);
    return;
  }
  char data[64];
  payload(data, sizeof(data), name);
  struct iovec iov = {data, strlen(data)};
  struct mmsghdr msgs[2];
  memset(msgs, 0, sizeof(msgs));
  for (int i = 0; i < 2; i++) {
    msgs[i].msg_hdr.msg_name = (void*)to;
    msgs[i].msg_hdr.msg_namelen = len;
    msgs[i].msg_hdr.msg_iov = &iov;
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  outcome(name, sendmmsg(fd, msgs, 2, 0));
  close(fd);
}

// The i386 ABI from a 64-bit process: int $0x80, arguments in 32-bit
// registers, so every pointer must lie below 4 GiB (MAP_32BIT).
#define I386_SOCKETCALL 102
#define I386_CONNECT 362
#define SYS_CONNECT_CALL 3
#define SYS_SENDTO_CALL 11
#define SYS_SENDMSG_CALL 16

static long i386_syscall3(long nr, long a, long b, long c) {
  long ret;
  __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
  if (ret < 0 && ret > -4096) {
    errno = (int)-ret;
    return -1;
  }
  return ret;
}

struct compat_msghdr {
  uint32_t name;
  int32_t namelen;
  uint32_t iov;
  uint32_t iovlen;
  uint32_t control;
  uint32_t controllen;
  uint32_t flags;
};
struct compat_iovec {
  uint32_t base;
  uint32_t len;
};

struct low {
  struct sockaddr_in to;
  uint32_t args[6];
  char data[64];
  struct compat_iovec iov;
  struct compat_msghdr msg;
};

static struct low* low_memory(void) {
  void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
  return p == MAP_FAILED ? NULL : (struct low*)p;
}

static uint32_t low32(const void* p) { return (uint32_t)(uintptr_t)p; }

static void i386_socketcall_connect(const char* name, void* arg) {
  (void)arg;
  struct low* m = low_memory();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (!m || fd < 0) {
    outcome(name, -1);
    return;
  }
  m->to = tcp_addr;
  m->args[0] = (uint32_t)fd;
  m->args[1] = low32(&m->to);
  m->args[2] = sizeof(m->to);
  if (outcome(name, i386_syscall3(I386_SOCKETCALL, SYS_CONNECT_CALL, low32(m->args), 0)) == 0) {
    payload(m->data, sizeof(m->data), name);
    (void)!write(fd, m->data, strlen(m->data));
  }
}

static void i386_connect(const char* name, void* arg) {
  (void)arg;
  struct low* m = low_memory();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (!m || fd < 0) {
    outcome(name, -1);
    return;
  }
  m->to = tcp_addr;
  if (outcome(name, i386_syscall3(I386_CONNECT, fd, low32(&m->to), sizeof(m->to))) == 0) {
    payload(m->data, sizeof(m->data), name);
    (void)!write(fd, m->data, strlen(m->data));
  }
}

static void i386_socketcall_sendto(const char* name, void* arg) {
  (void)arg;
  struct low* m = low_memory();
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (!m || fd < 0) {
    outcome(name, -1);
    return;
  }
  m->to = udp_addr;
  payload(m->data, sizeof(m->data), name);
  m->args[0] = (uint32_t)fd;
  m->args[1] = low32(m->data);
  m->args[2] = (uint32_t)strlen(m->data);
  m->args[3] = 0;
  m->args[4] = low32(&m->to);
  m->args[5] = sizeof(m->to);
  outcome(name, i386_syscall3(I386_SOCKETCALL, SYS_SENDTO_CALL, low32(m->args), 0));
}

static void i386_socketcall_sendmsg(const char* name, void* arg) {
  (void)arg;
  struct low* m = low_memory();
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (!m || fd < 0) {
    outcome(name, -1);
    return;
  }
  m->to = udp_addr;
  payload(m->data, sizeof(m->data), name);
  m->iov.base = low32(m->data);
  m->iov.len = (uint32_t)strlen(m->data);
  m->msg.name = low32(&m->to);
  m->msg.namelen = sizeof(m->to);
  m->msg.iov = low32(&m->iov);
  m->msg.iovlen = 1;
  m->args[0] = (uint32_t)fd;
  m->args[1] = low32(&m->msg);
  m->args[2] = 0;
  outcome(name, i386_syscall3(I386_SOCKETCALL, SYS_SENDMSG_CALL, low32(m->args), 0));
}

static void interfaces(void) {
  struct if_nameindex* list = if_nameindex();
  if (list == NULL) {
    outcome("interfaces", -1);
    return;
  }
  char names[512] = "";
  for (struct if_nameindex* i = list; i->if_index != 0; i++) {
    if (names[0] != '\0') strncat(names, ",", sizeof(names) - strlen(names) - 1);
    strncat(names, i->if_name, sizeof(names) - strlen(names) - 1);
  }
  if_freenameindex(list);
  say("interfaces ok %s", names);
}

static void unix_address(struct sockaddr_un* out, const char* path) {
  memset(out, 0, sizeof(*out));
  out->sun_family = AF_UNIX;
  strncpy(out->sun_path, path, sizeof(out->sun_path) - 1);
}

static int listen_dgram(const char* path) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr;
  unix_address(&addr, path);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0) {
    perror("listen");
    return 1;
  }
  chmod(path, 0777);
  say("listening ok");
  for (;;) {
    unsigned char buf[512];
    char text[2 * sizeof(buf) + 1];
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return 1;
    hex(text, buf, (size_t)n);
    say("dgram %s", text);
  }
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "listen") == 0) {
    return listen_dgram(argv[2]);
  }
  if (argc != 2 || strcmp(argv[1], "attack") != 0) return 2;
  memset(&tcp_addr, 0, sizeof(tcp_addr));
  tcp_addr.sin_family = AF_INET;
  tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  tcp_addr.sin_port = htons((uint16_t)atoi(need_env("ZVIZ_ATTACK_TCP_PORT")));
  udp_addr = tcp_addr;
  udp_addr.sin_port = htons((uint16_t)atoi(need_env("ZVIZ_ATTACK_UDP_PORT")));
  unix_address(&unix_addr, need_env("ZVIZ_ATTACK_UNIX"));
  unix_address(&dgram_addr, need_env("ZVIZ_ATTACK_DGRAM"));
  const char* abstract = need_env("ZVIZ_ATTACK_ABSTRACT");
  memset(&abstract_addr, 0, sizeof(abstract_addr));
  abstract_addr.sun_family = AF_UNIX;
  memcpy(abstract_addr.sun_path + 1, abstract, strlen(abstract));
  // The whole sun_path, NULs included, as Node's listeners bind abstract names.
  abstract_len = (socklen_t)sizeof(abstract_addr);

  interfaces();
  const struct sockaddr* tcp = (const struct sockaddr*)&tcp_addr;
  const struct sockaddr* udp = (const struct sockaddr*)&udp_addr;
  try_connect("tcp-connect", AF_INET, SOCK_STREAM, tcp, sizeof(tcp_addr));
  try_sendto("tcp-fastopen", AF_INET, SOCK_STREAM, MSG_FASTOPEN, tcp, sizeof(tcp_addr));
  try_sendto("udp-sendto", AF_INET, SOCK_DGRAM, 0, udp, sizeof(udp_addr));
  try_sendmsg("udp-sendmsg", AF_INET, SOCK_DGRAM, udp, sizeof(udp_addr));
  try_sendmmsg("udp-sendmmsg", udp, sizeof(udp_addr));
  try_connect("unix-connect", AF_UNIX, SOCK_STREAM, (const struct sockaddr*)&unix_addr, sizeof(unix_addr));
  try_connect("abstract-connect", AF_UNIX, SOCK_STREAM, (const struct sockaddr*)&abstract_addr, abstract_len);
  try_sendto("unix-dgram-sendto", AF_UNIX, SOCK_DGRAM, 0, (const struct sockaddr*)&dgram_addr, sizeof(dgram_addr));
  try_sendmsg("unix-dgram-sendmsg", AF_UNIX, SOCK_DGRAM, (const struct sockaddr*)&dgram_addr, sizeof(dgram_addr));
  attempt("i386-socketcall-connect", i386_socketcall_connect, NULL);
  attempt("i386-socketcall-sendto", i386_socketcall_sendto, NULL);
  attempt("i386-socketcall-sendmsg", i386_socketcall_sendmsg, NULL);
  attempt("i386-connect", i386_connect, NULL);
  return 0;
}

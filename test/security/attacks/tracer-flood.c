// Attacks on the tracer's shared kernel maps, and the neighbour that must not
// lose its figures to them. Every mode does its work, says so, writes ./ready
// and stays (its cgroup traced, its entries held) until ./stop appears, so
// the test can read the agent's /metrics while both containers run.
//
//   dns-flood N      N UDP sockets each send one query to 127.77.0.53:53 and are
//                    closed: no answer ever comes, so each query stays in the
//                    tracer's DNS map until the agent sweeps it (30 s).
//   dns-victim N     N queries to 127.77.0.53:53, each answered (by a second
//                    socket of its own, which the tracer cannot tell apart
//                    from a server): N DNS latencies to be seen.
//   names N          renames its thread N times (PR_SET_NAME "zvN") with a
//                    syscall under each name: with the process_name label on,
//                    N label sets and N stats entries per kind.
//   connect-flood N  N non-blocking connects to a loopback listener whose
//                    accept queue is full: N sockets held in SYN_SENT.
//   block-threads N  N threads asleep at once: N blocked-thread entries.
//   connect-victim N N connects to a listener of its own, each accepted: N
//                    connect latencies to be seen.
//   sleeps N         sleeps 1 ms N times: at least N blocked times to be seen.
//   compat N         N getppid calls through the 32-bit entry (int 0x80):
//                    syscalls whose numbers mean other calls, counted apart.
#include "attack.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>

static void mark(const char* name) {
  int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd >= 0) close(fd);
}

// Until ./stop appears (at most two minutes): the cgroup stays traced.
static void hold(void) {
  mark("ready");
  struct stat st;
  for (int i = 0; i < 1200 && stat("stop", &st) != 0; i++) usleep(100 * 1000);
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

// Where the queries go: a loopback address no resolver listens on, so an
// unanswered query stays unanswered and nothing leaves the node.
static struct sockaddr_in nameserver(void) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(53)};
  a.sin_addr.s_addr = htonl(0x7f4d0035); /* 127.77.0.53 */
  return a;
}

static const unsigned char query[] = {0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'z', 0, 0, 1, 0, 1};

static void dns_flood(long n) {
  struct sockaddr_in dns = nameserver();
  long sent = 0;
  for (long i = 0; i < n; i++) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) break;
    if (sendto(s, query, sizeof(query), 0, (struct sockaddr*)&dns, sizeof(dns)) == sizeof(query)) sent++;
    close(s);
  }
  say("dns-flood sent %ld", sent);
}

static void dns_victim(long n) {
  struct sockaddr_in dns = nameserver(), me;
  socklen_t len = sizeof(me);
  int client = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int server = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in any = loopback(0);
  if (client < 0 || server < 0 || bind(client, (struct sockaddr*)&any, sizeof(any)) != 0 ||
      getsockname(client, (struct sockaddr*)&me, &len) != 0) {
    say("dns-victim errno %s", strerrorname_np(errno));
    return;
  }
  long answered = 0;
  char answer[64];
  for (long i = 0; i < n; i++) {
    if (sendto(client, query, sizeof(query), 0, (struct sockaddr*)&dns, sizeof(dns)) != sizeof(query)) continue;
    usleep(2000);  // a 2 ms answer: the latency lands in a known bucket
    if (sendto(server, query, sizeof(query), 0, (struct sockaddr*)&me, sizeof(me)) != sizeof(query)) continue;
    if (recv(client, answer, sizeof(answer), 0) > 0) answered++;
  }
  say("dns-victim answered %ld", answered);
}

static void names(long n) {
  char name[16];
  long renamed = 0;
  for (long i = 0; i < n; i++) {
    snprintf(name, sizeof(name), "zv%d", (int)(i % 100000000));
    if (prctl(PR_SET_NAME, name) == 0) renamed++;
    syscall(SYS_getppid);
  }
  prctl(PR_SET_NAME, "flood-done");
  say("names renamed %ld", renamed);
}

static void connect_flood(long n) {
  struct rlimit files = {(rlim_t)n + 64, (rlim_t)n + 64};
  setrlimit(RLIMIT_NOFILE, &files);
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in any = loopback(0), at;
  socklen_t len = sizeof(at);
  if (listener < 0 || bind(listener, (struct sockaddr*)&any, sizeof(any)) != 0 || listen(listener, 0) != 0 ||
      getsockname(listener, (struct sockaddr*)&at, &len) != 0) {
    say("connect-flood errno %s", strerrorname_np(errno));
    return;
  }
  long pending = 0;
  for (long i = 0; i < n; i++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) break;
    if (connect(s, (struct sockaddr*)&at, sizeof(at)) != 0 && errno == EINPROGRESS) pending++;
  }
  say("connect-flood pending %ld", pending);
}

static void* asleep(void* arg) {
  (void)arg;
  struct stat st;
  while (stat("stop", &st) != 0) usleep(200 * 1000);
  return NULL;
}

static void block_threads(long n) {
  long started = 0;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  for (long i = 0; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, &attr, asleep, NULL) != 0) break;
    pthread_detach(t);
    started++;
  }
  say("block-threads started %ld", started);
}

static void connect_victim(long n) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in any = loopback(0), at;
  socklen_t len = sizeof(at);
  if (listener < 0 || bind(listener, (struct sockaddr*)&any, sizeof(any)) != 0 || listen(listener, 128) != 0 ||
      getsockname(listener, (struct sockaddr*)&at, &len) != 0) {
    say("connect-victim errno %s", strerrorname_np(errno));
    return;
  }
  long connected = 0;
  for (long i = 0; i < n; i++) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) break;
    if (connect(s, (struct sockaddr*)&at, sizeof(at)) == 0) {
      int peer = accept(listener, NULL, NULL);
      if (peer >= 0) {
        connected++;
        close(peer);
      }
    }
    close(s);
  }
  say("connect-victim connected %ld", connected);
}

static void sleeps(long n) {
  for (long i = 0; i < n; i++) usleep(1000);
  say("sleeps slept %ld", n);
}

static void compat(long n) {
#if defined(__x86_64__)
  long ok = 0, ret = 0;
  for (long i = 0; i < n; i++) {
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(64L) : "memory");  // i386 getppid
    if (ret > 0) ok++;
  }
  if (ok == n) {
    say("compat ok %ld", ok);
  } else {
    say("compat errno %s", strerrorname_np((int)-ret));
  }
#else
  (void)n;
  say("compat unsupported");
#endif
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: tracer-flood MODE N\n");
    return 2;
  }
  const char* mode = argv[1];
  long n = strtol(argv[2], NULL, 10);
  if (strcmp(mode, "dns-flood") == 0) {
    dns_flood(n);
  } else if (strcmp(mode, "dns-victim") == 0) {
    dns_victim(n);
  } else if (strcmp(mode, "names") == 0) {
    names(n);
  } else if (strcmp(mode, "connect-flood") == 0) {
    connect_flood(n);
  } else if (strcmp(mode, "block-threads") == 0) {
    block_threads(n);
  } else if (strcmp(mode, "connect-victim") == 0) {
    connect_victim(n);
  } else if (strcmp(mode, "sleeps") == 0) {
    sleeps(n);
  } else if (strcmp(mode, "compat") == 0) {
    compat(n);
  } else {
    fprintf(stderr, "tracer-flood: unknown mode %s\n", mode);
    return 2;
  }
  hold();
  return 0;
}

// A workload with known behaviour for the tracer's tests, and the local TCP
// server it talks to.
//
//   tracer server PORT
//     Listens on 127.0.0.1:PORT with a backlog of 1 and fills its accept
//     queue with two connections of its own, so the next SYN is dropped.
//     Prints "ready", then on a line from stdin waits DRAIN_MS and accepts
//     the fillers: the client's SYN retransmitted after the kernel's initial
//     1 s timeout then succeeds, which makes a connect latency of about 1 s.
//     It answers the client's request after RESPONSE_MS.
//   tracer client PORT DNS_IP GETPPIDS FILE SLEEP_MS
//     connect + request/response, getppid GETPPIDS times, 16 writes of 4 KiB
//     and an fsync on FILE, a DNS query through the C library's resolver
//     (connected UDP) and one by hand (unconnected sendto), a nanosleep;
//     then prints how long it measured around each timed step ("took NAME
//     SECONDS": connect, dns-resolver, dns-by-hand, sleep), an interval
//     that holds the one the tracer times inside it.
//   tracer loop GETPPIDS
//     getppid GETPPIDS times.
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define DRAIN_MS 400
#define RESPONSE_MS 300
#define REQUEST_BYTES 1000
#define RESPONSE_BYTES 2000

static void die(const char *what) {
  perror(what);
  exit(1);
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/** Measured after the tracer's work, printed at the end: printing in between would add writes to what it counts. */
static double took_connect, took_dns_resolver, took_dns_by_hand, took_sleep;

static void sleep_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0) {
  }
}

static struct sockaddr_in loopback(int port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

static int dial(int port) {
  struct sockaddr_in addr = loopback(port);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) die("connect");
  return fd;
}

static void read_full(int fd, char *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t r = read(fd, buf + done, n - done);
    if (r <= 0) die("read");
    done += (size_t)r;
  }
}

static void write_full(int fd, const char *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    ssize_t w = write(fd, buf + done, n - done);
    if (w <= 0) die("write");
    done += (size_t)w;
  }
}

static int server(int port) {
  struct sockaddr_in addr = loopback(port);
  int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
  if (listener < 0) die("socket");
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0) die("bind");
  if (listen(listener, 1) != 0) die("listen");
  // The kernel drops SYNs once more than `backlog` connections wait.
  int fillers[2] = {dial(port), dial(port)};
  printf("ready\n");
  fflush(stdout);

  char line[16];
  if (!fgets(line, sizeof(line), stdin)) return 1;
  sleep_ms(DRAIN_MS);
  for (int i = 0; i < 3; i++) {
    int conn = accept(listener, NULL, NULL);
    if (conn < 0) die("accept");
    if (i < 2) {
      close(conn);
      close(fillers[i]);
      continue;
    }
    char request[REQUEST_BYTES], response[RESPONSE_BYTES];
    read_full(conn, request, sizeof(request));
    sleep_ms(RESPONSE_MS);
    memset(response, 'r', sizeof(response));
    write_full(conn, response, sizeof(response));
    close(conn);
  }
  return 0;
}

static void tcp_exchange(int port) {
  char request[REQUEST_BYTES], response[RESPONSE_BYTES];
  double start = now_seconds();
  int fd = dial(port);
  took_connect = now_seconds() - start;
  memset(request, 'q', sizeof(request));
  write_full(fd, request, sizeof(request));
  read_full(fd, response, sizeof(response));
  close(fd);
}

static void file_io(const char *path) {
  char block[4096];
  memset(block, 'f', sizeof(block));
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) die("open");
  for (int i = 0; i < 16; i++) write_full(fd, block, sizeof(block));
  if (fsync(fd) != 0) die("fsync");
  close(fd);
}

// The C library's resolver: connect() to the server, send(), poll(), recvfrom().
static void resolve(const char *server_ip) {
  struct __res_state state;
  unsigned char answer[512];
  memset(&state, 0, sizeof(state));
  if (res_ninit(&state) != 0) die("res_ninit");
  state.nscount = 1;
  state.nsaddr_list[0].sin_family = AF_INET;
  state.nsaddr_list[0].sin_port = htons(53);
  inet_pton(AF_INET, server_ip, &state.nsaddr_list[0].sin_addr);
  state.retry = 1;
  state.retrans = 5;
  if (res_nquery(&state, "workload.zviz.test", ns_c_in, ns_t_a, answer, sizeof(answer)) < 0) {
    fprintf(stderr, "res_nquery failed\n");
    exit(1);
  }
  res_nclose(&state);
}

// A query sent with an explicit address on an unconnected socket.
static void resolve_by_hand(const char *server_ip) {
  unsigned char query[512], answer[512];
  int len = res_mkquery(ns_o_query, "sendto.zviz.test", ns_c_in, ns_t_a, NULL, 0, NULL, query, sizeof(query));
  if (len < 0) die("res_mkquery");
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons(53);
  inet_pton(AF_INET, server_ip, &addr.sin_addr);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) die("socket");
  if (sendto(fd, query, (size_t)len, 0, (struct sockaddr *)&addr, sizeof(addr)) != len) die("sendto");
  if (recvfrom(fd, answer, sizeof(answer), 0, NULL, NULL) <= 0) die("recvfrom");
  close(fd);
}

static void getppids(long n) {
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "server") == 0) return server(atoi(argv[2]));
  if (argc == 3 && strcmp(argv[1], "loop") == 0) {
    getppids(atol(argv[2]));
    return 0;
  }
  if (argc == 7 && strcmp(argv[1], "client") == 0) {
    tcp_exchange(atoi(argv[2]));
    getppids(atol(argv[4]));
    file_io(argv[5]);
    double start = now_seconds();
    resolve(argv[3]);
    took_dns_resolver = now_seconds() - start;
    start = now_seconds();
    resolve_by_hand(argv[3]);
    took_dns_by_hand = now_seconds() - start;
    start = now_seconds();
    sleep_ms(atol(argv[6]));
    took_sleep = now_seconds() - start;
    printf("took connect %.9f\ntook dns-resolver %.9f\ntook dns-by-hand %.9f\ntook sleep %.9f\n", took_connect,
           took_dns_resolver, took_dns_by_hand, took_sleep);
    return 0;
  }
  fprintf(stderr, "usage: %s server PORT | client PORT DNS_IP GETPPIDS FILE SLEEP_MS | loop GETPPIDS\n", argv[0]);
  return 2;
}

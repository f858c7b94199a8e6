// A brokered open interrupted by a signal and restarted (SA_RESTART): opens
// a FIFO for reading (the broker's open blocks until a writer comes) while a
// timer delivers SIGALRM. Prints how many signals arrived, the result and
// what the descriptor names.
//   restart FIFO
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t signals;

static void on_alarm(int sig) {
  (void)sig;
  signals++;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_alarm;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  struct itimerval timer = {{0, 100000}, {0, 100000}};  // every 100 ms
  setitimer(ITIMER_REAL, &timer, NULL);
  int fd = open(argv[1], O_RDONLY);
  int err = errno;
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  if (fd < 0) {
    printf("signals %d errno %s\n", (int)signals, strerrorname_np(err));
    return 1;
  }
  char buf[64] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  char link[256] = {0};
  char self[64];
  snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
  readlink(self, link, sizeof(link) - 1);
  printf("signals %d read %zd %s [%s]\n", (int)signals, n, buf, link);
  return 0;
}

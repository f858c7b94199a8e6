// A blocking FIFO open whose wait a signal interrupts just as the other end
// arrives: the reader's open (which the broker does in a worker) meets a
// writer that writes and closes at once, while the workload is in its
// signal handler; the open then restarts (SA_RESTART). On the bare kernel
// the open had completed and the bytes are read. A deadline (SIGALRM
// without SA_RESTART) ends an open that waits again for a writer that is
// gone. Prints how many signals arrived and what was read.
//   fifo-met FIFO
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t signals;

/** Slow on purpose: the writer comes and goes while the open is out of the kernel's wait. */
static void on_usr1(int sig) {
  (void)sig;
  signals++;
  struct timespec ts = {0, 500 * 1000 * 1000};
  nanosleep(&ts, NULL);
}

static void on_alarm(int sig) { (void)sig; }

int main(int argc, char** argv) {
  if (argc != 2) {
    return 2;
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_usr1;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  sa.sa_handler = on_alarm;
  sa.sa_flags = 0;
  sigaction(SIGALRM, &sa, NULL);
  alarm(8);
  int fd = open(argv[1], O_RDONLY);
  int err = errno;
  alarm(0);
  if (fd < 0) {
    printf("signals %d errno %s\n", (int)signals, strerrorname_np(err));
    return 1;
  }
  char buf[64] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  printf("signals %d read %zd %s\n", (int)signals, n, buf);
  return 0;
}

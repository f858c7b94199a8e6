// The victim: a workload of another container that holds something worth
// stealing (a secret in its memory and in its workspace) and waits. It writes
// "PID ADDRESS" of that memory to ./ready, records any SIGUSR2 it gets in
// ./signalled, and ends when ./stop appears (or after a minute).
#include "attack.h"

#include <sys/stat.h>

static volatile char memory_secret[64];

static void on_usr2(int sig) {
  (void)sig;
  int fd = open("signalled", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    (void)!write(fd, "SIGUSR2\n", 8);
    close(fd);
  }
}

int main(void) {
  const char* secret = need_env("ZVIZ_ATTACK_VICTIM_MEMORY");
  snprintf((char*)memory_secret, sizeof(memory_secret), "%s", secret);
  signal(SIGUSR2, on_usr2);
  char line[128];
  snprintf(line, sizeof(line), "%d %p\n", getpid(), (void*)memory_secret);
  int fd = open("ready.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0 || write(fd, line, strlen(line)) < 0) return 2;
  close(fd);
  rename("ready.tmp", "ready");
  struct stat st;
  for (int i = 0; i < 600 && stat("stop", &st) != 0; i++) {
    usleep(100 * 1000);
  }
  return 0;
}

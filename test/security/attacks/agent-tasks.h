// Shared by the attacks on the agent's own /proc entries: the agent's pid and
// thread ids, which the test hands over (see find_agent), and reading small files.
#ifndef ZVIZ_AGENT_TASKS_H
#define ZVIZ_AGENT_TASKS_H

#include "attack.h"

#include <dirent.h>

#define MAX_TASKS 64

/** Reads a whole small file into `buf` (NUL-terminated); bytes read or -errno. */
static inline long slurp(int fd, char* buf, size_t size) {
  size_t used = 0;
  while (used + 1 < size) {
    ssize_t n = read(fd, buf + used, size - 1 - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    if (n == 0) break;
    used += (size_t)n;
  }
  buf[used] = '\0';
  return (long)used;
}

/**
 * The process that supervises this workload (the agent, or `zviz run
 * --standalone`) and its threads. The test knows them: it lists
 * /proc/<pid>/task from outside once the workload runs, so the supervisor
 * thread of this very container is among them, and hands them over in the
 * workspace: the attack writes "attack-ready" in its working directory and
 * waits for "agent-tids" ("PID TID TID ..."). Without them it falls back to
 * its parent and looks for the threads itself: /proc/<pid>/task when the
 * sandbox lets it list it, else every /proc/<tid>/status above the process
 * id whose Tgid is `pid`. Returns the number of threads other than `*pid`.
 */
static inline int find_agent(pid_t* pid, pid_t* out, int max) {
  int found = 0;
  char path[64], buf[4096], want[32];
  int ready = open("attack-ready", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (ready >= 0) close(ready);
  for (int wait = 0; wait < 1500; wait++) {
    int fd = open("agent-tids", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      long n = slurp(fd, buf, sizeof(buf));
      close(fd);
      char* at = buf;
      *pid = (pid_t)strtol(at, &at, 10);
      while (n > 0 && *at != '\0' && found < max) {
        char* end;
        long tid = strtol(at, &end, 10);
        if (end == at) break;
        if (tid > 0 && tid != *pid) out[found++] = (pid_t)tid;
        at = end;
      }
      return found;
    }
    usleep(10 * 1000);
  }
  *pid = getppid();
  snprintf(path, sizeof(path), "/proc/%d/task", *pid);
  DIR* dir = opendir(path);
  if (dir != NULL) {
    struct dirent* e;
    while ((e = readdir(dir)) != NULL && found < max) {
      const pid_t tid = (pid_t)atoi(e->d_name);
      if (tid > 0 && tid != *pid) out[found++] = tid;
    }
    closedir(dir);
    return found;
  }
  snprintf(want, sizeof(want), "\nTgid:\t%d\n", *pid);
  for (pid_t tid = *pid + 1; tid < *pid + 32768 && found < max; tid++) {
    snprintf(path, sizeof(path), "/proc/%d/status", tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    long n = slurp(fd, buf, sizeof(buf));
    close(fd);
    if (n > 0 && strstr(buf, want) != NULL) out[found++] = tid;
  }
  return found;
}

#endif

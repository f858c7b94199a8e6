// Attack: the container's init (zviz-init, PID 1 of its namespace) made to
// fail at its job. It runs as uid 0 like the workload, so the kernel lets
// the workload lower its resource limits (prlimit needs only matching ids)
// and change its scheduling; what it must not get is the init's death before
// the workload's (the namespace would die, and the agent would report the
// init's end as the container's) or orphans the init stops reaping. The
// program lowers the init's limits to almost nothing (one second of CPU, three
// descriptors, no address space beyond what it has, no core, no processes),
// tries to raise one, renices and pins it, signals it, then makes ORPHANS
// orphans (double forks: each grandchild is reparented to the init and must
// be reaped by it), waits until none is left as a zombie, and exits with 7:
//   init-rlimit-cpu, init-rlimit-nofile, init-rlimit-as, init-rlimit-nproc
//   init-rlimit-raise      raising the init's descriptor limit (EPERM: no CAP_SYS_RESOURCE)
//   init-nice, init-affinity
//   init-sigstop, init-sigkill   (dropped by the kernel: it is the namespace's init)
//   orphans N              how many were made
//   zombies N              zombies left 10 s after (0: all reaped)
#include "attack.h"

#include <dirent.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#define ORPHANS 3000

static int zombies(void) {
  int count = 0;
  DIR* proc = opendir("/proc");
  if (!proc) return -1;
  struct dirent* entry;
  while ((entry = readdir(proc)) != NULL) {
    char path[300];
    char stat[512];
    snprintf(path, sizeof(path), "/proc/%s/stat", entry->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, stat, sizeof(stat) - 1);
    close(fd);
    if (n <= 0) continue;
    stat[n] = '\0';
    const char* end = strrchr(stat, ')');
    if (end && end[1] == ' ' && end[2] == 'Z') count++;
  }
  closedir(proc);
  return count;
}

static void lower(const char* name, int resource, rlim_t value) {
  struct rlimit limit = {value, value};
  outcome(name, prlimit(1, resource, &limit, NULL));
}

int main(void) {
  lower("init-rlimit-cpu", RLIMIT_CPU, 1);
  lower("init-rlimit-nofile", RLIMIT_NOFILE, 3);
  lower("init-rlimit-as", RLIMIT_AS, 4096);
  lower("init-rlimit-nproc", RLIMIT_NPROC, 0);
  struct rlimit more = {1 << 20, 1 << 20};
  outcome("init-rlimit-raise", prlimit(1, RLIMIT_NOFILE, &more, NULL));
  outcome("init-nice", setpriority(PRIO_PROCESS, 1, 19));
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(0, &one);
  outcome("init-affinity", sched_setaffinity(1, sizeof(one), &one));
  outcome("init-sigstop", kill(1, SIGSTOP));
  outcome("init-sigkill", kill(1, SIGKILL));
  int made = 0;
  for (int i = 0; i < ORPHANS; i++) {
    pid_t child = fork();
    if (child == 0) {
      if (fork() == 0) _exit(0);
      _exit(0);
    }
    if (child < 0) break;
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR) {
    }
    made++;
  }
  say("orphans %d", made);
  int left = -1;
  for (int i = 0; i < 200 && (left = zombies()) != 0; i++) {
    struct timespec tick = {0, 50 * 1000 * 1000};
    nanosleep(&tick, NULL);
  }
  say("zombies %d", left);
  say("finished ok");
  return 7;
}

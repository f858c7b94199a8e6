// Attack class: the processes of the node (docs/security.md, "Who the
// workload is"). Each container has a PID namespace of its own with
// zviz-init as PID 1, so nothing outside it can be named, and the init dies
// with the agent, taking the whole namespace with it.
//   pidns look      name the agent and the node's processes; attack the init
//   pidns orphans   leave orphans for the init to reap
//   pidns survive   outlive the agent: reset the death signal, setsid, a
//                   background heartbeat in the workspace (ZVIZ_BEAT)
//   pidns exit N    exit with N; pidns signal SIG: die of SIG
//   pidns wait      wait for SIGTERM (forwarded by the init), say so, exit 0
#include "attack.h"

#include <dirent.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <time.h>

/** Every process of /proc whose command line is not `allowed` (zviz-init or this program). */
static int foreign_processes(char* first, size_t size) {
  DIR* dir = opendir("/proc");
  if (dir == NULL) return -1;
  int foreign = 0;
  struct dirent* e;
  first[0] = '\0';
  while ((e = readdir(dir)) != NULL) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    char path[300], comm[64] = "";
    snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = read(fd, comm, sizeof(comm) - 1);
      close(fd);
      comm[n > 0 ? n - 1 : 0] = '\0';
    }
    if (strcmp(comm, "zviz-init") != 0 && strcmp(comm, "pidns") != 0) {
      if (foreign++ == 0) snprintf(first, size, "%s:%s", e->d_name, comm);
    }
  }
  closedir(dir);
  return foreign;
}

static void look(void) {
  const char* agent_text = need_env("ZVIZ_ATTACK_AGENT_PID");
  const pid_t agent = (pid_t)atoi(agent_text);
  say("self-pid ok %d", getpid());
  char first[400];
  const int foreign = foreign_processes(first, sizeof(first));
  say("foreign-processes ok %d%s%s", foreign, foreign > 0 ? " " : "", first);
  char path[96];
  snprintf(path, sizeof(path), "/proc/%d/cmdline", agent);
  open_outcome("agent-cmdline", open(path, O_RDONLY | O_CLOEXEC));
  snprintf(path, sizeof(path), "/proc/%d/root/", agent);
  open_outcome("agent-root", open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  outcome("agent-kill0", kill(agent, 0));
  outcome("agent-pidfd", syscall(SYS_pidfd_open, agent, 0));
  // PID 1 is the init; it must be out of reach too.
  open_outcome("init-cmdline", open("/proc/1/cmdline", O_RDONLY | O_CLOEXEC));
  open_outcome("init-mem", open("/proc/1/mem", O_RDONLY | O_CLOEXEC));
  open_outcome("init-environ", open("/proc/1/environ", O_RDONLY | O_CLOEXEC));
  open_outcome("init-root", open("/proc/1/root/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  open_outcome("init-fd", open("/proc/1/fd/3", O_RDWR | O_CLOEXEC));
  // The same by a relative path, from a descriptor of /proc/1 and with it as
  // the cwd: the broker opens the workload's own descriptor or cwd with
  // CAP_SYS_PTRACE raised, in the same span as the path read, and must lower
  // it before it resolves and opens "mem" there (docs/security.md, "Emulated
  // opens", step 6). Raised, the kernel would hand it the init's memory.
  const int init_dir = open("/proc/1", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  open_outcome("init-mem-dirfd", openat(init_dir, "mem", O_RDWR | O_CLOEXEC));
  open_outcome("init-environ-dirfd", openat(init_dir, "environ", O_RDONLY | O_CLOEXEC));
  const int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  outcome("init-chdir", chdir("/proc/1"));
  open_outcome("init-mem-cwd", open("mem", O_RDWR | O_CLOEXEC));
  open_outcome("init-environ-cwd", open("environ", O_RDONLY | O_CLOEXEC));
  outcome("cwd-restored", fchdir(here));
  close(here);
  close(init_dir);
  char buf[16];
  struct iovec local = {buf, sizeof(buf)};
  struct iovec remote = {(void*)0x400000, sizeof(buf)};
  outcome("init-vm-read", process_vm_readv(1, &local, 1, &remote, 1, 0));
  outcome("init-ptrace", ptrace(PTRACE_ATTACH, 1, 0, 0));
  outcome("init-pidfd-getfd", syscall(SYS_pidfd_getfd, (int)syscall(SYS_pidfd_open, 1, 0), 3, 0));
  // Signals to the init from inside are dropped by the kernel (it has no
  // handler); the init, and so this container, goes on.
  outcome("init-sigkill", kill(1, SIGKILL));
  outcome("init-sigstop", kill(1, SIGSTOP));
  struct timespec pause = {0, 100 * 1000 * 1000};
  nanosleep(&pause, NULL);
  snprintf(path, sizeof(path), "/proc/1/stat");
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  char stat[256] = "";
  if (fd >= 0) {
    ssize_t n = read(fd, stat, sizeof(stat) - 1);
    stat[n > 0 ? n : 0] = '\0';
    close(fd);
  }
  // "1 (zviz-init) S ...": still there, sleeping, not stopped.
  const char* state = strstr(stat, ") ");
  say("init-state ok %c", state ? state[2] : '?');
}

static void orphans(void) {
  // 20 children, each leaving a grandchild that exits at once: without a
  // reaper they stay zombies.
  for (int i = 0; i < 20; i++) {
    pid_t child = fork();
    if (child == 0) {
      if (fork() == 0) _exit(0);
      _exit(0);
    }
    waitpid(child, NULL, 0);
  }
  struct timespec pause = {0, 300 * 1000 * 1000};
  nanosleep(&pause, NULL);
  int zombies = 0;
  DIR* dir = opendir("/proc");
  struct dirent* e;
  while (dir != NULL && (e = readdir(dir)) != NULL) {
    char path[300], stat[256] = "";
    snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    ssize_t n = read(fd, stat, sizeof(stat) - 1);
    close(fd);
    stat[n > 0 ? n : 0] = '\0';
    const char* state = strstr(stat, ") ");
    if (state && state[2] == 'Z') zombies++;
  }
  if (dir) closedir(dir);
  say("zombies ok %d", zombies);
}

static void survive(void) {
  const char* beat = need_env("ZVIZ_BEAT");
  int out = open(beat, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    outcome("beat-open", -1);
    exit(1);
  }
  // Everything a workload can do to its own fate: no death signal, a
  // session of its own, a background child that does the same.
  outcome("pdeathsig-reset", prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0));
  pid_t child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    setsid();
    if (fork() != 0) _exit(0);  // the heartbeat is an orphan in a session of its own
    // It lets go of the run's output, so that whoever reads it sees the end.
    close(0);
    close(1);
    close(2);
    for (;;) {
      if (write(out, "beat\n", 5) != 5) _exit(1);
      struct timespec pause = {0, 50 * 1000 * 1000};
      nanosleep(&pause, NULL);
    }
  }
  waitpid(child, NULL, 0);
  say("survivor ok started");
  close(0);
  close(1);
  close(2);
  for (;;) pause();
}

static void on_term(int sig) {
  (void)sig;
  say("got SIGTERM");
  _exit(0);
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* what = argv[1];
  if (strcmp(what, "look") == 0) {
    look();
  } else if (strcmp(what, "orphans") == 0) {
    orphans();
  } else if (strcmp(what, "survive") == 0) {
    survive();
  } else if (strcmp(what, "exit") == 0 && argc == 3) {
    return atoi(argv[2]);
  } else if (strcmp(what, "signal") == 0 && argc == 3) {
    signal(atoi(argv[2]), SIG_DFL);
    kill(getpid(), atoi(argv[2]));
    pause();
  } else if (strcmp(what, "wait") == 0) {
    signal(SIGTERM, on_term);
    say("waiting ok");
    for (;;) pause();
  } else {
    return 2;
  }
  return 0;
}

// zviz-init: PID 1 of every container that has its own PID namespace (the
// default; docs/security.md, "Who the workload is"). The agent's child sets
// up the namespaces, forks the workload and then executes this program, so
// that the process that lives as long as the container is a few pages of its
// own rather than a copy of the agent's memory.
//
// It does four things and nothing else:
//   - reaps every process that ends in the namespace (orphans come to it);
//   - forwards every signal it receives to the workload's process group (the
//     agent signals the container through it; a signal from inside the
//     namespace is forwarded the same way, which gives the workload nothing
//     it could not do itself);
//   - when the workload ends, reports the workload's status to the agent and
//     exits; the kernel then kills whatever else is left in the namespace;
//   - it has PR_SET_PDEATHSIG(SIGKILL) on the agent (armed before the exec
//     and again after it, since an exec that changes credentials clears it;
//     a pidfd of the agent tells whether it died in between): when the agent
//     dies, the init dies, and with it every process of the namespace,
//     whatever they did to their own death signal.
//
// It is not under the workload's seccomp filter and keeps the agent's
// capabilities: a superset the workload can never hold (no profile grants
// CAP_SYS_ADMIN or CAP_SYS_PTRACE), so the kernel refuses the workload any
// ptrace, /proc/1/mem, /proc/1/fd or /proc/1/environ access to it. It opens
// nothing, reads nothing from the workload and allocates nothing.
//
// Usage (the agent only): zviz-init WORKLOAD_PID, with the report socket as
// descriptor 3 and a pidfd of the agent as descriptor 4 (init/protocol.h).
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "init/protocol.h"

static long parse(const char* text) {
  char* end = NULL;
  errno = 0;
  long value = strtol(text, &end, 10);
  return (errno != 0 || end == text || *end != '\0' || value <= 0) ? -1 : value;
}

static void report(int fd, int status) {
  struct zviz_init_report r;
  memset(&r, 0, sizeof(r));
  r.magic = ZVIZ_INIT_REPORT_MAGIC;
  if (WIFEXITED(status)) {
    r.code = WEXITSTATUS(status);
  } else {
    r.code = -1;
    r.signal = WTERMSIG(status);
  }
  while (send(fd, &r, sizeof(r), MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

int main(int argc, char** argv) {
  if (argc != 2 || parse(argv[1]) < 0 || getpid() != 1) {
    fprintf(stderr, "zviz-init: PID 1 of a ZViz container; only the agent starts it\n");
    return 2;
  }
  const pid_t workload = (pid_t)parse(argv[1]);
  prctl(PR_SET_NAME, "zviz-init", 0, 0, 0);
  // Belt and braces: the capability rule already keeps the workload out.
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Every signal stays blocked (inherited from the agent's child): blocked
  // signals are queued even for a namespace's init, which would otherwise
  // drop those it has no handler for, and sigwaitinfo takes them in order.
  sigset_t all;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  struct pollfd agent = {ZVIZ_INIT_AGENT_FD, POLLIN, 0};
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || poll(&agent, 1, 0) != 0) {
    // The agent is gone (or cannot be watched): the namespace must not
    // outlive it. Everything else in it dies with us.
    kill(-1, SIGKILL);
    return 125;
  }
  close(ZVIZ_INIT_AGENT_FD);
  // Set up: the workload may run and look at us now (it waits for this).
  close(ZVIZ_INIT_READY_FD);
  for (;;) {
    int status = 0;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid == workload) {
        report(ZVIZ_INIT_REPORT_FD, status);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    if (pid < 0 && errno == ECHILD) {
      // The workload is not our child: nothing to wait for (never happens
      // when the agent started us).
      return 125;
    }
    siginfo_t info;
    const int sig = sigwaitinfo(&all, &info);
    if (sig <= 0 || sig == SIGCHLD) {
      continue;
    }
    // The workload's process group first (it called setsid, so its group
    // is its pid while it lives); if it left that group, the workload alone.
    if (kill(-workload, sig) != 0) {
      kill(workload, sig);
    }
  }
}

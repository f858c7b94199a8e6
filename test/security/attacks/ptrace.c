// Reaching into other processes: ptrace, process_vm_readv/writev,
// /proc/PID/{mem,environ,root,cwd,ns}, pidfd_getfd and kcmp, aimed at the
// process that supervises the workload (its parent: the agent, or
// `zviz run --standalone`), at the host's init, and at the workload of
// another container (ZVIZ_ATTACK_OTHER_PID, with a secret in its memory at
// ZVIZ_ATTACK_OTHER_ADDR and in its workspace ZVIZ_ATTACK_OTHER_WS).
// Arguments name the targets: parent, init, other (default: all three).
#include "attack.h"

#include <linux/kcmp.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/uio.h>

static void try_ptrace(const char* name, int request, pid_t pid) {
  long rc = ptrace(request, pid, 0, request == PTRACE_SEIZE ? 0 : 0);
  outcome(name, rc);
  if (rc == 0) ptrace(PTRACE_DETACH, pid, 0, 0);
}

static void try_vm_read(const char* name, pid_t pid, unsigned long addr) {
  char buf[64];
  struct iovec local = {buf, sizeof(buf)};
  struct iovec remote = {(void*)addr, sizeof(buf)};
  ssize_t n = syscall(SYS_process_vm_readv, pid, &local, 1, &remote, 1, 0);
  if (n > 0) {
    char text[129];
    hex(text, (unsigned char*)buf, (size_t)n);
    say("%s read %s", name, text);
  } else {
    outcome(name, n);
  }
}

static void try_vm_write(const char* name, pid_t pid, unsigned long addr) {
  char byte = '!';
  struct iovec local = {&byte, 1};
  struct iovec remote = {(void*)addr, 1};
  outcome(name, syscall(SYS_process_vm_writev, pid, &local, 1, &remote, 1, 0));
}

static void try_getfd(const char* name, pid_t pid) {
  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) {
    say("%s errno %s (pidfd_open)", name, strerrorname_np(errno));
    return;
  }
  long got = -1;
  int err = EBADF;
  for (int fd = 0; fd < 256; fd++) {
    got = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    err = errno;
    if (got >= 0 || err != EBADF) break;
  }
  errno = err;
  outcome(name, got);
  close(pidfd);
}

static void try_mem(const char* name, pid_t pid, unsigned long addr, int write_it) {
  char path[64];
  snprintf(path, sizeof(path), "/proc/%d/mem", pid);
  int fd = open(path, (write_it ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) {
    outcome(name, fd);
    return;
  }
  if (write_it) {
    outcome(name, pwrite(fd, "!", 1, (off_t)addr));
  } else {
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof(buf), (off_t)addr);
    if (n > 0) {
      char text[129];
      hex(text, (unsigned char*)buf, (size_t)n);
      say("%s read %s", name, text);
    } else {
      outcome(name, n);
    }
  }
  close(fd);
}

static void try_proc_read(const char* name, pid_t pid, const char* rest) {
  char path[1024];
  snprintf(path, sizeof(path), "/proc/%d/%s", pid, rest);
  open_outcome(name, open(path, O_RDONLY | O_CLOEXEC));
}

static void try_proc_create(const char* name, pid_t pid, const char* rest) {
  char path[1024];
  snprintf(path, sizeof(path), "/proc/%d/%s", pid, rest);
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (outcome(name, fd) >= 0) {
    (void)!write(fd, "from another container\n", 23);
    close(fd);
  }
}

static void against(const char* who, pid_t pid, unsigned long addr) {
  char name[128];
#define NAME(what) (snprintf(name, sizeof(name), "%s-%s", what, who), name)
  try_ptrace(NAME("ptrace-attach"), PTRACE_ATTACH, pid);
  try_ptrace(NAME("ptrace-seize"), PTRACE_SEIZE, pid);
  try_vm_read(NAME("vm-readv"), pid, addr);
  try_vm_write(NAME("vm-writev"), pid, addr);
  try_getfd(NAME("pidfd-getfd"), pid);
  outcome(NAME("kcmp"), syscall(SYS_kcmp, getpid(), pid, KCMP_VM, 0, 0));
#undef NAME
}

static int wanted(int argc, char** argv, const char* target) {
  if (argc < 2) return 1;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], target) == 0) return 1;
  }
  return 0;
}

int main(int argc, char** argv) {
  pid_t other = (pid_t)atoi(need_env("ZVIZ_ATTACK_OTHER_PID"));
  unsigned long addr = strtoul(need_env("ZVIZ_ATTACK_OTHER_ADDR"), NULL, 0);
  const char* other_ws = need_env("ZVIZ_ATTACK_OTHER_WS");
  char rest[512];

  if (wanted(argc, argv, "parent")) against("parent", getppid(), 0x10000);
  if (wanted(argc, argv, "init")) against("init", 1, 0x10000);
  if (!wanted(argc, argv, "other")) return 0;
  against("other", other, addr);
  // The other container's /proc entries: its memory, environment, files and namespaces.
  try_mem("proc-mem-read-other", other, addr, 0);
  try_mem("proc-mem-write-other", other, addr, 1);
  try_proc_read("proc-environ-other", other, "environ");
  snprintf(rest, sizeof(rest), "root%s/victim-file", other_ws);
  try_proc_read("proc-root-read-other", other, rest);
  snprintf(rest, sizeof(rest), "root%s/new-from-attacker", other_ws);
  try_proc_create("proc-root-create-other", other, rest);
  try_proc_read("proc-cwd-read-other", other, "cwd/victim-file");
  try_proc_read("proc-ns-mnt-other", other, "ns/mnt");
  outcome("signal-other", kill(other, SIGUSR2));
  return 0;
}

// Stacked seccomp filters: the workload may install filters of its own on top
// of the sandbox's (no_new_privs is set), and the kernel takes the strictest
// answer of all of them. None of these may loosen the sandbox: an
// allow-everything filter, a second listener of its own (to answer its own
// opens), SECCOMP_RET_TRACE/LOG filters, TSYNC, strict mode. After each, the
// program tries to write outside the workspace again.
#include "attack.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

static const char* forbidden;

static long seccomp_call(unsigned op, unsigned flags, void* arg) { return syscall(SYS_seccomp, op, flags, arg); }

static void try_write(const char* name) {
  int fd = open(forbidden, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (outcome(name, fd) >= 0) close(fd);
}

static long install_ret(unsigned ret, unsigned flags) {
  struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, ret)};
  struct sock_fprog prog = {1, f};
  return seccomp_call(SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static void own_listener(const char* name, void* arg) {
  (void)arg;
  // Answer our own openat: notify for openat only, then CONTINUE it ourselves.
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {4, f};
  outcome(name, seccomp_call(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog));
}

static void strict_mode(const char* name, void* arg) {
  (void)arg;
  outcome(name, prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0, 0));
}

static void tsync_allow(const char* name, void* arg) {
  (void)arg;
  outcome(name, install_ret(SECCOMP_RET_ALLOW, SECCOMP_FILTER_FLAG_TSYNC));
  char label[64];
  snprintf(label, sizeof(label), "%s-then-write", name);
  try_write(label);
}

static void trace_filter(const char* name, void* arg) {
  (void)arg;
  // SECCOMP_RET_TRACE for openat, with no tracer: the kernel answers ENOSYS, unless a stricter answer wins.
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {4, f};
  outcome(name, seccomp_call(SECCOMP_SET_MODE_FILTER, 0, &prog));
  char label[64];
  snprintf(label, sizeof(label), "%s-then-write", name);
  try_write(label);
}

static void log_filter(const char* name, void* arg) {
  (void)arg;
  outcome(name, install_ret(SECCOMP_RET_LOG, SECCOMP_FILTER_FLAG_LOG));
  char label[64];
  snprintf(label, sizeof(label), "%s-then-write", name);
  try_write(label);
}

static void spec_allow(const char* name, void* arg) {
  (void)arg;
  outcome(name, install_ret(SECCOMP_RET_ALLOW, SECCOMP_FILTER_FLAG_SPEC_ALLOW));
}

// A filter that makes every openat "succeed" with 0 without running: the
// strictest answer wins, so this takes openat away from the broker, and
// must give nothing but a fake 0.
static void errno_zero(const char* name, void* arg) {
  (void)arg;
  struct sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {4, f};
  outcome(name, seccomp_call(SECCOMP_SET_MODE_FILTER, 0, &prog));
  char label[64];
  snprintf(label, sizeof(label), "%s-then-write", name);
  try_write(label);
}

int main(void) {
  const char* outside = need_env("ZVIZ_ATTACK_OUTSIDE");
  static char path[512];
  snprintf(path, sizeof(path), "%s/new-after-filter", outside);
  forbidden = path;
  try_write("write-before");
  attempt("own-listener", own_listener, NULL);
  attempt("strict-mode", strict_mode, NULL);
  attempt("tsync-allow", tsync_allow, NULL);
  attempt("trace-filter", trace_filter, NULL);
  attempt("log-filter", log_filter, NULL);
  attempt("spec-allow", spec_allow, NULL);
  attempt("errno-zero-openat", errno_zero, NULL);
  outcome("allow-filter", install_ret(SECCOMP_RET_ALLOW, 0));
  try_write("allow-filter-then-write");
  unsigned action = SECCOMP_RET_USER_NOTIF;
  outcome("get-action-avail-user-notif", seccomp_call(SECCOMP_GET_ACTION_AVAIL, 0, &action));
  struct seccomp_notif_sizes sizes;
  outcome("get-notif-sizes", seccomp_call(SECCOMP_GET_NOTIF_SIZES, 0, &sizes));
  outcome("no-new-privs-cleared", prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0));
  say("no-new-privs-now %d", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
  say("seccomp-mode-now %d", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
  try_write("write-at-end");
  return 0;
}

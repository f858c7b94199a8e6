// Not an attack: the kernel of a node without Landlock, for
// test/security/scopes.test.ts. Runs a command (zviz run, the agent) under a
// seccomp filter that answers landlock_create_ruleset's version query
// (LANDLOCK_CREATE_RULESET_VERSION) with EOPNOTSUPP, as a kernel answers
// whose Landlock is not enabled at boot (lsm= without landlock); the agent
// asks exactly that before it plans a container's Landlock domain
// (agent/src/profiles/profile.ts). Every other call, and every other
// architecture, is let through.
//   force-no-landlock COMMAND [ARG...]
#include "attack.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#define LANDLOCK_CREATE_RULESET_VERSION 1U

#define ARG_LOW(n) (offsetof(struct seccomp_data, args) + 8 * (n))

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: force-no-landlock COMMAND [ARG...]");
    return 2;
  }
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_landlock_create_ruleset, 0, 2),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, LANDLOCK_CREATE_RULESET_VERSION, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EOPNOTSUPP),
  };
  struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    say("force-no-landlock: seccomp: %s", strerror(errno));
    return 125;
  }
  execvp(argv[1], argv + 1);
  say("force-no-landlock: %s: %s", argv[1], strerror(errno));
  return 127;
}

// Not an attack: the kernel of an older node, for test/security/mask-fallback.test.ts.
// Runs a command (zviz run) under a seccomp filter that answers EINVAL to
// open_tree(OPEN_TREE_CLONE) of a path relative to a descriptor with no other
// flag, which is how zviz-spawn clones the empty file of its masks from their
// detached tmpfs. Kernels that cannot clone a mount that is not attached
// answer so, and zviz-spawn then falls back to binding /dev/null; this makes
// this kernel take that path too. Every other call, and every other
// architecture, is let through.
//   force-mask-fallback COMMAND [ARG...]
#include "attack.h"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif

#define ARG_LOW(n) (offsetof(struct seccomp_data, args) + 8 * (n))

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: force-mask-fallback COMMAND [ARG...]");
    return 2;
  }
  const unsigned at_fdcwd = (unsigned)-100;
  const unsigned clone_flags = 1 /* OPEN_TREE_CLONE */ | O_CLOEXEC /* OPEN_TREE_CLOEXEC */;
  struct sock_filter code[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_AARCH64, 0, 6),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open_tree, 0, 4),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(0)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, at_fdcwd, 2, 0),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LOW(2)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, clone_flags, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
  };
  struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    say("force-mask-fallback: seccomp: %s", strerror(errno));
    return 125;
  }
  execvp(argv[1], argv + 1);
  say("force-mask-fallback: %s: %s", argv[1], strerror(errno));
  return 127;
}

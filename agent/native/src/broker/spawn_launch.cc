// The clone of a container's first process and its execve of zviz-spawn
// (spawn_launch.h). The child half runs in the agent's memory: it writes only
// its own stack and makes raw system calls (test/architecture/
// native-children.test.ts reads this object and fails on any other call).
#include "broker/spawn_launch.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "broker/kernel.h"
#include "broker/spawn_bootstrap.h"

namespace zviz::broker::launch {
namespace {

/** The first process, from its first instruction to execveat: see the rules in spawn_launch.h. */
[[noreturn]] void ExecSpawner(void* raw) {
  const Launch& launch = *static_cast<const Launch*>(raw);
  // Its own descriptor table (no CLONE_FILES): this changes the child's copy only.
  if (::syscall(SYS_fcntl, launch.sock, F_SETFD, 0) == 0) {
    ::syscall(SYS_execveat, launch.exe, "", launch.argv, launch.envp, AT_EMPTY_PATH);
  }
  const child::Message failed = {child::kFailure, child::kStepSpawner, errno};
  ::syscall(SYS_write, launch.sock, &failed, sizeof(failed));
  ::syscall(SYS_exit_group, 127);
  __builtin_unreachable();
}

}  // namespace

#if defined(__x86_64__)

bool SharesMemory() { return true; }

long CloneAndExec(struct clone_args* args, const Launch& launch, void* stack, size_t stack_size) {
  args->flags |= CLONE_VM | CLONE_VFORK;
  // The stack's top, 16-byte aligned: `call` leaves it as the ABI expects at a function's entry.
  const uintptr_t top = (reinterpret_cast<uintptr_t>(stack) + stack_size) & ~uintptr_t{15};
  args->stack = reinterpret_cast<uint64_t>(stack);
  args->stack_size = top - reinterpret_cast<uintptr_t>(stack);
  // The child resumes after `syscall` on the new stack with the caller's
  // registers: it cannot return into a C++ frame (it has none), so it calls
  // ExecSpawner from here. r12 and r13 survive the system call.
  register long rax asm("rax") = SYS_clone3;
  register struct clone_args* rdi asm("rdi") = args;
  register unsigned long rsi asm("rsi") = sizeof(*args);
  register void (*r12)(void*) asm("r12") = ExecSpawner;
  register const void* r13 asm("r13") = &launch;
  asm volatile(
      "syscall\n\t"
      "testq %%rax, %%rax\n\t"
      "jnz 1f\n\t"
      "xorl %%ebp, %%ebp\n\t"
      "movq %%r13, %%rdi\n\t"
      "callq *%%r12\n\t"
      "ud2\n"
      "1:\n\t"
      : "+r"(rax)
      : "r"(rdi), "r"(rsi), "r"(r12), "r"(r13)
      : "rcx", "r11", "memory", "cc");
  if (rax < 0) {
    errno = static_cast<int>(-rax);
    return -1;
  }
  return rax;
}

#else

bool SharesMemory() { return false; }

long CloneAndExec(struct clone_args* args, const Launch& launch, void*, size_t) {
  const long pid = sys::Clone3(args);
  if (pid == 0) {
    ExecSpawner(const_cast<Launch*>(&launch));
  }
  return pid;
}

#endif

}  // namespace zviz::broker::launch

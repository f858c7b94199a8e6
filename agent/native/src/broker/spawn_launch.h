// How a container's first process comes to be without copying the agent.
//
// A clone3 without CLONE_VM copies the caller's address space: at a thousand
// containers some 4,500 mappings and 250 MiB resident, copied while the
// kernel holds the agent's mmap lock for writing (every fault of every agent
// thread waits), and every page the agent writes afterwards takes a
// copy-on-write fault (docs/benchmarks.md, "A thousand containers on one
// node"). So the first process is made with CLONE_VM | CLONE_VFORK, on a
// small stack of its own: it shares the agent's memory (nothing is copied),
// the spawn thread waits until it has executed zviz-spawn (a static program
// built with the addon, native/src/spawn/), and from that execve on it is a
// process of a few pages that sets the container up from the plan the agent
// sends it (spawn_plan.h).
//
// Between clone3 and execveat that process runs in the agent's memory, with
// the spawn thread's stack protector and errno: it writes nothing but its own
// stack (and errno), takes no lock, and makes three system calls: clearing
// close-on-exec on its end of the bootstrap socket, execveat, and, when that
// fails, one write to report it and _exit. Every signal is blocked throughout
// (the spawn thread blocks them around the clone), so no agent handler runs
// in it. On architectures without the clone trampoline here (anything but
// x86-64), the first process is a copy made the old way, which then executes
// zviz-spawn at once: correct, but the copy is made.
#pragma once

#include <linux/sched.h>

#include <cstddef>

namespace zviz::broker::launch {

/** What the first process needs to become zviz-spawn; lives on the spawn thread's stack until clone3 returns. */
struct Launch {
  int exe;   // zviz-spawn, O_PATH
  int sock;  // the children's end of the bootstrap socket
  char* const* argv;
  char* const* envp;
};

/** True where the first process shares the agent's memory instead of copying it. */
bool SharesMemory();

/**
 * clone3 with `args` (its flags get CLONE_VM | CLONE_VFORK and a stack of
 * `stack_size` bytes at `stack` where SharesMemory()): in the child, becomes
 * zviz-spawn or reports kStepSpawner on `launch.sock` and exits 127. Returns
 * the child's pid, or -1 with errno. With CLONE_VFORK it returns once the
 * child has executed zviz-spawn or ended.
 */
long CloneAndExec(struct clone_args* args, const Launch& launch, void* stack, size_t stack_size);

}  // namespace zviz::broker::launch

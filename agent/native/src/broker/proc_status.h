// Reading a task's /proc/<pid>/status through a directory descriptor: the
// broker names tasks through descriptors it holds (the agent's /proc, a
// /proc/<pid> directory it walked into), never through the path "/proc",
// which in the supervisor thread is the workload's /proc.
#pragma once

#include <sys/types.h>

namespace zviz::broker {

struct TaskStatus {
  pid_t tgid = -1;     // in the pid namespace of the /proc it was read from
  pid_t ns_tgid = -1;  // in the task's own (innermost) pid namespace
  pid_t ns_pid = -1;
  long umask = -1;     // -1 before Linux 4.7
};

/** Reads `dir`/`name` (a status file); false when it cannot be read or names no Tgid. */
bool ReadTaskStatus(int dir, const char* name, TaskStatus* out);

}  // namespace zviz::broker

// Reading a task's /proc/<pid>/status through a directory descriptor: the
// broker names tasks through descriptors it holds (the agent's /proc, a
// /proc/<pid> directory it walked into), never through the path "/proc",
// which in the supervisor thread is the workload's /proc.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

namespace zviz::broker {

/** What the kernel judges a task's opens by (docs/security.md, "Emulated opens"). */
struct FileCredentials {
  uid_t fsuid = 0;
  gid_t fsgid = 0;
  std::vector<gid_t> groups;  // supplementary, in the order the kernel lists them
  uint64_t effective = 0;     // capabilities
};

struct TaskStatus {
  pid_t tgid = -1;     // in the pid namespace of the /proc it was read from
  pid_t ns_tgid = -1;  // in the task's own (innermost) pid namespace
  pid_t ns_pid = -1;
  long umask = -1;     // -1 before Linux 4.7
  long threads = -1;   // threads of its process
  /** Read only when asked (ReadTaskCredentials); `has_credentials` says they were all found. */
  bool has_credentials = false;
  FileCredentials credentials;
};

/** Reads `dir`/`name` (a status file); false when it cannot be read or names no Tgid. */
bool ReadTaskStatus(int dir, const char* name, TaskStatus* out);

/** ReadTaskStatus, and the task's file credentials (fsuid, fsgid, groups, CapEff) too. */
bool ReadTaskCredentials(int dir, const char* name, TaskStatus* out);

}  // namespace zviz::broker

// Starting a workload under its filter. Everything that can allocate or fail
// in complicated ways happens in the agent before clone3: the BPF program,
// argv/envp, the mount plan, the cgroup descriptors, written into the start
// plan (spawn_plan.h).
//
// The first process (clone3, with CLONE_NEWIPC, and CLONE_NEWPID unless the
// container shares the host's PID namespace; into the v2 cgroup where it is
// fresh) shares the agent's memory only until it executes zviz-spawn
// (spawn_launch.h): no start copies the agent. zviz-spawn reads the plan,
// resets signal dispositions, calls setsid and joins the container's
// cgroups (the v1 ones by writing "0" to their tasks files, the v2 one, if
// not cloned into it, to its cgroup.procs). With
// a PID namespace it is the namespace's init: it arms PR_SET_PDEATHSIG(SIGKILL)
// on the agent first. Then, as the profile asks: a network namespace with
// only loopback (network "none"); a mount namespace with the profile's
// file-system view and, with a PID namespace, a /proc of that namespace;
// in every view /proc/sys, /sys and the cgroup file systems are read-only
// and the host-only kernel files masked, whatever the profile. With
// a PID namespace it forks the workload and executes zviz-init
// (native/src/init/init.c), which reaps, forwards signals and reports the
// workload's status; without one it is the workload itself.
//
// The workload process puts stdio in place and closes every other descriptor;
// chdir; enters a user namespace of its own (the agent writes its identity
// maps); drops capabilities to the container's set; PR_SET_NO_NEW_PRIVS;
// PR_SET_PDEATHSIG(SIGKILL) on its parent; sends the agent a pidfd of itself
// (and its mount namespace) over the SEQPACKET bootstrap socket; installs its
// filter (seccomp NEW_LISTENER | WAIT_KILLABLE_RECV); writes the listener's
// number; waits for the agent to take the listener (pidfd_getfd) and to say so;
// execve. After the filter it makes only write, read, execve and exit_group,
// so a profile may broker sendmsg (the profile checker insists on those four).
// The listener is close-on-exec, so the workload never holds it.
//
// The agent's side is spawn.cc (preparing, clone3), spawn_plan.cc (the plan)
// and spawn_bootstrap.cc (the hand-over); the children's side is zviz-spawn,
// native/src/spawn/ (its files are listed in spawn/child.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "broker/cbpf.h"
#include "common/unique_fd.h"

namespace zviz::broker {

/** One step of the file-system view, made in order (parents before what lies inside them). */
struct MountStep {
  // kMask: an empty read-only tmpfs over a directory the workload must not
  // see into (the agent's control socket's), an empty read-only file over a
  // file; skipped where the path is absent.
  // kPin: a directory bound on itself (with everything mounted inside it),
  // so that the workload cannot rename or remove it: the directories that
  // hold the agent's own files keep their names (docs/security.md, "The
  // agent's own files"); skipped where absent or a mount point already.
  enum class Kind : uint8_t { kReadOnly, kWritable, kTmpfs, kMask, kPin } kind;
  std::string path;
};

struct SpawnRequest {
  std::string file;  // absolute path of the executable
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string cwd;
  int stdio[3] = {-1, -1, -1};
  std::string cgroup_v2;                     // directory of the container's v2 cgroup, or empty
  /** The v2 cgroup never had cgroup.kill written: the first process is cloned into it (spawn.cc). */
  bool cgroup_v2_fresh = false;
  std::vector<std::string> cgroup_v1_procs;  // cgroup.procs files of its v1 cgroups (joined by their tasks files)
  /**
   * The file-system view. Host view: the agent's tree, with `mounts` made
   * read-only, writable (bound on themselves) or tmpfs. Allow-list view: an
   * empty read-only root holding only `mounts` (bound from the host), a /proc
   * and a minimal /dev.
   */
  std::vector<MountStep> mounts;
  bool allow_list = false;
  /**
   * Allow-list view only: the workload's reads are restricted by a Landlock
   * domain to what lies beneath the view's mounts (spawn/view_reads.cc), as
   * the filter lets the kernel make them (agent/src/profiles/compile.ts,
   * viewDecidesReads). The start fails where the domain cannot be made.
   */
  bool view_reads = false;
  /**
   * With view_reads: directories the view makes to hold its mounts (`/etc`)
   * whose listing the profile's rules allow; the domain lets them be read
   * as directories (agent/src/profiles/compile.ts, viewReadDirs).
   */
  std::vector<std::string> view_read_dirs;
  /**
   * Landlock scopes of the container's domain (spawn/landlock_domain.cc;
   * ABI 6, Linux 6.12): abstract unix sockets bound outside the container
   * cannot be connected or sent to, processes outside it cannot be
   * signalled. The agent asks only where the kernel has them
   * (agent/src/profiles/scopes.ts); the start fails where the domain cannot
   * be made.
   */
  bool scope_abstract_unix_sockets = false;
  bool scope_signals = false;
  /**
   * Its own PID namespace with zviz-init as PID 1 (`init_path`), and a /proc of it.
   * zviz-init and zviz-spawn are executed from sealed copies made once per
   * process (SealStartPrograms), never from their files.
   */
  bool pid_namespace = true;
  std::string init_path;
  /** zviz-spawn, the program the first process executes at once (spawn_launch.h); by default next to the addon. */
  std::string spawner_path;
  /** Its own network namespace with only loopback. */
  bool network_none = false;
  uint64_t capabilities = 0;
  bool wait_killable_recv = true;
  const BpfProgram* program = nullptr;
  /**
   * How long the whole start may take, from before clone3 to the listener
   * taken (spawn_deadline.h); past it the container's processes are killed
   * and the start fails, naming what it was waiting for.
   */
  int timeout_ms = 10'000;
};

struct Spawned {
  /** The first process: zviz-init with a PID namespace, else the workload. */
  pid_t pid = -1;
  UniqueFd pidfd;
  /** The workload's process id in the agent's PID namespace. */
  pid_t workload_pid = -1;
  UniqueFd listener;
  /**
   * The inode of the workload's user namespace, read before it is told to
   * start (it cannot have left it yet); 0 when it could not be read.
   */
  uint64_t user_ns = 0;
  /** The agent's end of the bootstrap socket: EOF when execve succeeded, a report when it failed. */
  UniqueFd status;
  /** The workload's mount namespace (the supervisor resolves paths in it). */
  UniqueFd mount_ns;
  /** With a PID namespace: where zviz-init reports the workload's status (struct zviz_init_report). */
  UniqueFd exit_report;
  /** A failed start ran out of its time (SpawnRequest::timeout_ms). */
  bool timed_out = false;
  /** A failed start failed in the container's processes: one reported a failed step, or they ended without a word. */
  bool children_failed = false;
};

/** Empty string on success. On failure nothing is left running. */
std::string SpawnWorkload(const SpawnRequest& request, Spawned* out);

/**
 * Waits (up to `timeout_ms`) for the outcome of the workload's execve on the
 * status socket: 0 when it succeeded, an errno when it or a step after the
 * hand-over failed (`step` says which: child::kStepExec for execve itself),
 * -1 on timeout or a broken socket.
 */
int AwaitExec(int status_fd, int timeout_ms, int32_t* step);

/**
 * Makes the sealed copies (sealed_program.h) of the programs `request`'s
 * start executes, zviz-spawn and, with a PID namespace, zviz-init, where
 * this process has none yet. Called on the JavaScript thread before the
 * start is handed to the spawn thread, so the copy is made before the
 * first workload runs; SpawnWorkload only looks them up. Empty string on
 * success.
 */
std::string SealStartPrograms(const SpawnRequest& request);

/** Where the broker addon expects zviz-init: next to itself. Empty when it cannot tell. */
std::string DefaultInitPath();

/** Where the broker addon expects zviz-spawn: next to itself. Empty when it cannot tell. */
std::string DefaultSpawnerPath();

}  // namespace zviz::broker

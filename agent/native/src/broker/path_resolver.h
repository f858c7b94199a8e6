// Resolving a workload's path to the object it names, without the agent's
// authority (docs/security.md, "Emulated opens").
//
// The supervisor thread belongs to the agent's thread group, and the kernel
// skips its ptrace checks when a task opens the /proc entries of its own
// thread group: /proc/<agent>/root, the mem and environ of every agent
// thread, the agent's descriptors under fd/; and "self" and "thread-self"
// name the agent when the broker follows them. So:
//
// - No magic link is ever followed by the kernel on the broker's behalf
//   (RESOLVE_NO_MAGICLINKS on every resolution). A path that does not touch
//   /proc takes one openat2 (the fast path).
// - A path that reaches a procfs object, or a magic link, is walked again one
//   component at a time (the slow path): "self" and "thread-self" at a procfs
//   root name the notifying task; a /proc/<pid> directory whose task is in the
//   agent's thread group is refused; a magic link (fd/N, cwd, root, exe, ns/*)
//   is followed only from a /proc/<pid> directory of the notifying task's own
//   thread group, the descriptor of that directory bound to the task: what
//   the workload can always do itself.
// - A base directory on procfs (a cwd or directory descriptor inside
//   /proc/<pid>) is judged by the /proc/<pid> directory above it.
//
// The mount-namespace invariant is checked by the caller (open_emulation)
// on what this returns.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "broker/kernel.h"
#include "broker/target.h"
#include "common/unique_fd.h"

namespace zviz::broker {

struct ResolveRequest {
  int base = -1;  // where a relative path starts (an O_PATH directory descriptor)
  int root = -1;  // the workload's root: absolute paths and absolute symlinks start here
  std::string path;
  uint64_t open_flags = 0;  // O_NOFOLLOW and O_DIRECTORY are honoured
  uint64_t resolve = 0;     // the workload's own openat2 RESOLVE_* flags
  /**
   * `root` is the broker thread's own root (the workload's root cannot
   * change): an absolute path resolved from it without any symbolic link or
   * ".." names the object exactly, as d_path would (Resolved::literal).
   */
  bool root_is_own = false;
};

struct Resolved {
  UniqueFd fd;  // O_PATH descriptor of the object; invalid on failure
  int error = 0;
  sys::Statx st{};
  /** The object is the target of a magic link of the workload's own thread group: something it already holds. */
  bool own_link = false;
  /** The object lies below a /proc/<pid> of the workload's own thread group. */
  bool own_task = false;
  /**
   * The kernel found the object from the workload's root (the broker
   * thread's own) through exactly the names of the path, in order: no
   * symbolic link, no "..", off procfs. The path, made canonical, is then
   * the object's path, with no d_path to read (open_emulation.cc).
   */
  bool literal = false;
  /** Set when the broker, not the kernel, refused: the reason, for the audit record. */
  const char* refusal = nullptr;
  /**
   * ENOENT of a path whose last name is missing from a directory that exists
   * off any procfs: that directory, resolved as Resolve resolves the path's
   * directory part with O_DIRECTORY (MissingForAll found it so), for an
   * O_CREAT to create in without walking the path a third time. Invalid
   * otherwise.
   */
  UniqueFd missing_in;
  sys::Statx missing_in_st{};
  bool missing_in_literal = false;
};

class PathResolver {
 public:
  /**
   * `proc`: a /proc directory descriptor of the agent (opened before the
   * supervisor joined the workload's mount namespace). `statx_mask`: what
   * Resolved::st must hold besides the basic fields (the mount id kind).
   */
  PathResolver(int proc, unsigned statx_mask);

  Resolved Resolve(const Target& target, const ResolveRequest& request);

  /**
   * The path of an O_CREAT open, resolved as the kernel's own create walks
   * it: its directory first, then its last name in that directory. A missing
   * name then costs one walk of the path, where Resolve walks it, fails, and
   * walks its directory again to tell whose ENOENT it is (MissingForAll).
   * Anything this cannot settle exactly as Resolve would (a directory that is
   * missing, refused or on a procfs; a last name that is a link, "." or "..",
   * or a procfs) is left to Resolve.
   */
  Resolved ResolveForCreate(const Target& target, const ResolveRequest& request);

  /** Whether `fd` (whose statx is `st`) is on a procfs; remembered by device number. */
  bool IsProcfs(int fd, const sys::Statx& st);

 private:
  struct Walk;
  Resolved Fast(const ResolveRequest& request, bool from_root, bool literal = false);
  /** Whether an earlier literal attempt in `path`'s directory met a symbolic link (a hint, never trusted). */
  bool LinkedBefore(const std::string& path) const;
  void NoteLinked(const std::string& path);
  Resolved Slow(const Target& target, const ResolveRequest& request, bool from_root);
  /** Whether `request`'s ENOENT is everyone's; sets `out`'s missing_in when its last name is the missing one. */
  bool MissingForAll(const ResolveRequest& request, bool from_root, Resolved* out);

  int proc_;
  unsigned mask_;
  pid_t agent_tgid_;
  // Device numbers seen so far, and whether each is a procfs (supervisor thread only).
  std::vector<std::pair<uint64_t, bool>> procfs_devices_;
  // Directories where a literal resolution met a symbolic link (/lib on a
  // merged /usr): their paths go straight to the plain resolution.
  std::array<std::string, 16> linked_dirs_;
  size_t next_linked_ = 0;
};

}  // namespace zviz::broker

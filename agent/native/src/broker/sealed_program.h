// The programs every container start executes (zviz-spawn, and zviz-init
// with a PID namespace), copied once per agent process into sealed memfds and
// executed from there, never again from their files.
//
// Under a profile that lets a workload write the node's files as root
// (default, observe), the files next to the addon are the workload's to
// rewrite, rename over or unlink. Executed by path at each start, a
// replacement would run as the node's root in the next container's start,
// whatever that container's profile (docs/security.md, "The programs a
// start executes"). A copy made before the first workload ran, in a memfd
// sealed against writes, shrinking and growing (and against a change of its
// mode where the kernel has F_SEAL_EXEC, 6.3), is out of any workload's
// reach: no path names it and no process but the agent holds it. This is
// how runc protects the binary it runs in containers (CVE-2019-5736).
//
// The copy is made at the first start that names a program (the JavaScript
// thread, before the spawn thread runs anything) and kept for the life of
// the process: an agent keeps the programs it started with, a new build
// or package upgrade takes effect when the agent restarts.
#pragma once

#include <cstdint>
#include <string>

namespace zviz::broker {

/**
 * The sealed copy of the program at `path`: its descriptor (close-on-exec,
 * owned by the cache, valid for the life of the process) in `*fd`. Empty
 * string on success; a message naming the file otherwise, and nothing is
 * kept, so a later start tries again. Thread-safe.
 *
 * Only a regular file owned by root (or by the agent's user) that no one
 * else may write is copied: anything else could have been changed by
 * someone who is not the node's administrator before the agent started.
 */
std::string SealedProgram(const std::string& path, int* fd);

/** Bytes held by the sealed copies made so far (their memfds' pages, charged to the agent's memory). */
uint64_t SealedProgramBytes();

}  // namespace zviz::broker

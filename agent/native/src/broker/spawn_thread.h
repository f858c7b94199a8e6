// Where workloads are started: one thread that lives as long as the agent.
//
// A spawn waits for the new workload to set itself up (join its cgroups, make
// its namespaces and mount view, install its filter) and hand over its
// seccomp listener: tens of milliseconds, and hundreds on a busy node. On
// Node's main thread that wait held every request, scrape and timer of the
// agent; with a hundred short jobs restarting it was half of the main
// thread's time at a thousand containers (docs/benchmarks.md).
//
// Why a thread of its own and not libuv's pool: PR_SET_PDEATHSIG, which every
// container's first process arms, fires when the *thread* that created it
// ends, not the process (prctl(2)). This thread is never ended, so it only
// fires when the agent does. It also keeps a slow spawn from occupying one
// of the four pool threads that file, zlib and tracer work share.
#pragma once

#include <functional>
#include <string>

namespace zviz::broker {

/**
 * Runs `work` on the spawn thread, after the work posted before it. Returns
 * false (with the reason) only when the thread cannot be started.
 */
bool RunOnSpawnThread(std::function<void()> work, std::string* error);

}  // namespace zviz::broker

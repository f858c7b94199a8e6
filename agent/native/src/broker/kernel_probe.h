// What the running kernel offers the broker (user notification, killable
// RECV, SYNC_WAKE_UP, atomic ADDFD+SEND), probed once (on the first
// workload's listener, or a throwaway one when asked before any):
// the container start refuses a kernel without user notification, the
// supervisor asks for what exists and falls back where it can, and the agent
// reports the lot (kernelSupport).
#pragma once

#include <string>

namespace zviz::broker {

struct KernelSupport {
  bool user_notif = false;
  bool wait_killable_recv = false;
  bool sync_wake_up = false;
  bool addfd_send = false;
  std::string detail;
};

/**
 * Everything, probed once. SYNC_WAKE_UP and ADDFD_FLAG_SEND need a listener
 * to ask: the first workload's (NoteListener), or, asked before any workload
 * started (the agent's report at start), a throwaway child's, which forks
 * this process.
 */
const KernelSupport& ProbeKernel();

/** What a spawn needs to know first (user notification, WAIT_KILLABLE_RECV): no listener, no child. */
const KernelSupport& KernelFlags();

/**
 * Hands the first workload's listener to the probe, before its supervisor
 * starts: a `zviz run` then forks no throwaway child (a copy of the whole
 * Node process) to learn what its own listener answers.
 */
void NoteListener(int listener);

}  // namespace zviz::broker

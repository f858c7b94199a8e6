// What the running kernel offers the broker (user notification, killable
// RECV, SYNC_WAKE_UP, atomic ADDFD+SEND), probed once on a throwaway listener:
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

/** Probed on the first call (it forks a child that installs a trivial filter); cached after. */
const KernelSupport& ProbeKernel();

}  // namespace zviz::broker

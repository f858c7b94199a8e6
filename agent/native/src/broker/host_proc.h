// The agent's own procfs, held as a directory descriptor opened while the
// agent is still in its own mount namespace. Supervisor threads join a
// workload's mount namespace, where /proc may be the /proc of the
// container's PID namespace (docs/security.md, "Who the workload is"): that
// one neither names the workload by the pid the kernel gives the broker nor
// knows the broker's own threads (thread-self). Everything the broker reads
// about a task, or reopens through a descriptor of its own, goes through
// this one instead.
#pragma once

namespace zviz::broker {

/** O_PATH descriptor of the agent's /proc; opened on the first call, which must come from the JS thread. */
int HostProc();

}  // namespace zviz::broker

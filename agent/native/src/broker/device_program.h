// The container's device list (agent/src/cgroups/devices.ts) enforced on
// cgroup v2, where there is no devices controller: the kernel asks a BPF
// program attached to the container's cgroup (BPF_CGROUP_DEVICE) on every
// open and mknod of a device node by a process in it, and refuses with EPERM
// what the program does not allow. Without it a workload on a pure v2 host
// opened any device node the host view shows: the node's disks, /dev/mem,
// /dev/kmsg, /dev/userfaultfd (docs/security.md, "Devices"). On hybrid hosts
// it stands beside the v1 devices controller, which checks the same list.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

namespace zviz::broker {

/** One rule of the list, as devices.allow writes it ("c 1:3 rwm"); -1 stands for "*". */
struct DeviceRule {
  char type = 'a';  // 'c', 'b' or 'a' (both)
  long major = -1;
  long minor = -1;
  unsigned access = 0;  // BPF_DEVCG_ACC_* bits
};

/** Parses "TYPE MAJOR:MINOR ACCESS"; false (with the reason) for anything else. */
bool ParseDeviceRule(const std::string& text, DeviceRule* out, std::string* why);

/**
 * Loads a BPF_PROG_TYPE_CGROUP_DEVICE program allowing exactly `rules` and
 * attaches it to the cgroup v2 directory `dir` (BPF_F_ALLOW_MULTI: programs of
 * ancestors, such as systemd's, still apply). Empty, or why it failed.
 */
std::string AttachDeviceProgram(const std::string& dir, const std::vector<DeviceRule>& rules);

/** attachDeviceProgram(dir, rules): throws what AttachDeviceProgram reports. */
Napi::Value AttachDeviceProgramJs(const Napi::CallbackInfo& info);

}  // namespace zviz::broker

// The container's device list, as the broker applies it. The kernel's device
// cgroup judges the workload's own opens of device nodes; the opens the
// broker makes on the workload's behalf run on a thread of the agent, in the
// agent's cgroup, where that list does not apply (and on a host with only
// cgroup v2 there is no such list at all). So every character or block device
// the broker is about to open, and every descriptor it is about to install,
// is judged against the same list the agent writes into the cgroup
// (src/cgroups/devices.ts), by the device number of the inode itself, never
// by its path: a node made elsewhere, or a link to one, is the same device.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace zviz::broker {

class DeviceList {
 public:
  /**
   * Rules in the cgroup v1 devices.allow format ("c 1:3 rwm", "c 136:* rw",
   * "b *:* m"); an empty list allows no device. Returns an error for a rule
   * it cannot read.
   */
  static std::string Parse(const std::vector<std::string>& rules, DeviceList* out);

  /**
   * Whether a node of `mode` (S_IFCHR or S_IFBLK; anything else is no device
   * and always passes) and device number `major:minor` may be opened for
   * reading and/or writing.
   */
  bool Allows(mode_t mode, unsigned major, unsigned minor, bool read, bool write) const;

 private:
  struct Rule {
    char type;        // 'c' or 'b'
    int64_t major;    // -1: any
    int64_t minor;    // -1: any
    bool read;
    bool write;
  };
  std::vector<Rule> rules_;
};

/** Whether an open with these flags reads and writes the file, as the device cgroup counts it. */
void DeviceAccess(uint64_t open_flags, bool* read, bool* write);

}  // namespace zviz::broker

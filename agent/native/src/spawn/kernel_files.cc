// What every file-system view holds whatever the profile says (spawn/child.h):
// a /proc of the container's own PID namespace, and the kernel's files that
// no container should write or read kept out of reach. Kept apart from the
// two views so that neither can forget them. Runs in the container's first
// process between clone3 and execve: raw calls only.
#include <sys/mount.h>

#include "spawn/child.h"

namespace zviz::broker::child {
namespace {

/**
 * What every container runtime keeps out of a container's reach, whatever
 * the profile (runc's and crun's masked and read-only paths): the kernel's
 * tunables, the sysrq trigger and sysfs, which includes every cgroup file
 * system (release_agent, other groups' limits, cgroup.procs of the roots),
 * are read-only; files that only tell about the host's kernel are masked.
 * Made last, over whatever the profile mounted, so no writable entry of a
 * profile can open them up again; the workload has no CAP_SYS_ADMIN to undo
 * a mount, and a user namespace it makes inherits them locked.
 */
constexpr const char* kReadOnlyKernelPaths[] = {"/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus",
                                                "/proc/fs", "/sys"};
constexpr const char* kMaskedKernelPaths[] = {"/proc/kcore",       "/proc/keys",       "/proc/timer_list",
                                              "/proc/sched_debug", "/proc/latency_stats", "/proc/acpi",
                                              "/proc/asound",      "/proc/scsi",       "/sys/firmware",
                                              "/sys/devices/virtual/powercap"};

}  // namespace

void ProtectKernelFiles(int sock) {
  for (const char* path : kMaskedKernelPaths) {
    if (Mask(path) != 0) {
      ChildFail(sock, kStepKernelFiles);
    }
  }
  for (const char* path : kReadOnlyKernelPaths) {
    if (ReadOnlyInPlace(path) != 0) {
      ChildFail(sock, kStepKernelFiles);
    }
  }
}

void MountProc(int sock) {
  if (MakeDirs("/proc", true) != 0 ||
      mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) {
    ChildFail(sock, kStepProc);
  }
}

}  // namespace zviz::broker::child

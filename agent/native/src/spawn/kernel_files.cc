// What every file-system view holds whatever the profile says (spawn/child.h):
// a /proc of the container's own PID namespace, and the kernel's files that
// no container should write or read kept out of reach. Kept apart from the
// two views so that neither can forget them. Runs in the container's first
// process between clone3 and execve: raw calls only.
#include <sys/mount.h>
#include <sys/stat.h>

#include <cstring>

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
// Docker's masked paths (moby's oci/defaults.go: /proc/interrupts and the
// per-CPU thermal_throttle directories since its advisory GHSA-6fw5-f8r9-fgfm,
// timer_stats on kernels that still have it), and /proc/key-users, which
// Docker leaves readable: every user's key count and quota use on the node
// (the workload's user namespace maps every uid, so it sees them all).
//
// And the file systems a node mounts under /sys for its administrators, which
// a read-only /sys still lets be read (Docker's containers get a sysfs of
// their own, without them): debugfs (sched/debug lists every task of the
// node: /proc/sched_debug's content since Linux 5.13), tracefs (kernel
// addresses in printk_formats; a read of a trace_pipe consumes the events a
// tracer of the node waits for), securityfs (the LSMs' policies, IMA's list
// of the node's files), pstore (the kernel log of an earlier boot, where
// syslog(2) is refused), bpffs (the node's pinned programs and maps by
// name), configfs and fusectl (every FUSE connection of the node).
// docs/security.md, "Who the workload is"; test/security/kernel-mounts.test.ts.
//
// And what tells the node's physical memory and heap to an exploit, root-only
// files the kernel asks no capability for: every page frame's flags, use
// count and memory cgroup (the layout a Rowhammer-style attack needs, where
// pagemap's frame numbers are hidden without CAP_SYS_ADMIN), the slab caches'
// use (feedback for heap grooming) and the physical address of the kernel's
// vmcoreinfo note (test/security/kernel-secrets.test.ts).
constexpr const char* kMaskedKernelPaths[] = {
    "/proc/kcore",         "/proc/keys",           "/proc/key-users",
    "/proc/timer_list",    "/proc/timer_stats",    "/proc/sched_debug",
    "/proc/latency_stats", "/proc/interrupts",     "/proc/acpi",
    "/proc/asound",        "/proc/scsi",           "/sys/firmware",
    "/sys/devices/virtual/powercap",
    "/sys/kernel/debug",   "/sys/kernel/tracing",  "/sys/kernel/security",
    "/sys/fs/pstore",      "/sys/fs/bpf",          "/sys/kernel/config",
    "/sys/fs/fuse/connections",
    "/proc/kpageflags",    "/proc/kpagecount",     "/proc/kpagecgroup",
    "/proc/slabinfo",      "/sys/kernel/vmcoreinfo"};

/** Masks /sys/devices/system/cpu/cpuN/thermal_throttle of every CPU that has one; -1 when a mask fails. */
int MaskThermalThrottle() {
  constexpr char kPrefix[] = "/sys/devices/system/cpu/cpu";
  char path[96];
  for (long cpu = 0;; ++cpu) {
    char digits[24];
    size_t len = 0;
    for (long rest = cpu; len == 0 || rest != 0; rest /= 10) {
      digits[len++] = static_cast<char>('0' + rest % 10);
    }
    std::memcpy(path, kPrefix, sizeof(kPrefix) - 1);
    for (size_t i = 0; i < len; ++i) {
      path[sizeof(kPrefix) - 1 + i] = digits[len - 1 - i];
    }
    path[sizeof(kPrefix) - 1 + len] = '\0';
    struct stat st;
    if (lstat(path, &st) != 0) {
      return 0;  // past the last CPU (or no /sys in this view)
    }
    std::memcpy(path + sizeof(kPrefix) - 1 + len, "/thermal_throttle", sizeof("/thermal_throttle"));
    if (Mask(path) != 0) {
      return -1;
    }
  }
}

}  // namespace

void ProtectKernelFiles(int sock) {
  for (const char* path : kMaskedKernelPaths) {
    if (Mask(path) != 0) {
      ChildFail(sock, kStepKernelFiles);
    }
  }
  if (MaskThermalThrottle() != 0) {
    ChildFail(sock, kStepKernelFiles);
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

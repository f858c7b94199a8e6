// zviz-spawn: a container's first process, from its execve to the
// container's init or workload (docs/security.md, "How a container starts").
// The agent clones it sharing its memory and it executes this program at
// once (broker/spawn_launch.h), so the process that sets the container up is
// a few pages of its own and never a copy of the agent. It reads the start
// plan the agent sends on the bootstrap socket (broker/spawn_plan.h) and then
// does what child.h describes: the first process's steps, and with a PID
// namespace the fork of the workload and the execve of zviz-init.
//
// Usage (the agent only): zviz-spawn FD, FD being its end of the bootstrap
// socket. Every failure is reported on that socket with the step that failed
// (ChildFail), so the agent's error names it.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "broker/fdpass.h"
#include "broker/spawn_plan.h"
#include "spawn/child.h"

namespace zviz::broker::child {
namespace {

static_assert(sizeof(ChildMount) <= plan::kChildMountSize, "the plan's scratch room holds a ChildMount");
static_assert(sizeof(ChildCgroupMount) <= plan::kChildCgroupMountSize, "the plan's scratch room holds a ChildCgroupMount");
static_assert(sizeof(char*) == sizeof(uint64_t), "argv offsets become pointers in place");

/** The agent's file descriptor number in argv[1]; -1 when it is not one. */
int ParseFd(const char* text) {
  long value = 0;
  if (text == nullptr || *text == '\0') return -1;
  for (const char* c = text; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9' || value > 1'000'000) return -1;
    value = value * 10 + (*c - '0');
  }
  return static_cast<int>(value);
}

/** Fails the start at the plan step with `error` as its errno. */
[[noreturn]] void PlanFail(int sock, int error) {
  errno = error;
  ChildFail(sock, kStepPlan);
}

/** An offset of the plan that names `size` bytes inside it. */
bool Inside(const plan::WirePlan& wire, uint64_t offset, uint64_t size) {
  return offset <= wire.size && size <= wire.size - offset;
}

/** Bytes [at, at + size) of the plan. */
struct Span {
  uint64_t at;
  uint64_t size;
};

bool Overlap(Span a, Span b) { return a.size != 0 && b.size != 0 && a.at < b.at + b.size && b.at < a.at + a.size; }

/**
 * What zviz-spawn writes into its private mapping of the plan: the three
 * scratch rooms, and the argv and envp arrays whose offsets become pointers.
 * A plan whose other parts lie under them would change after it was checked
 * (a string losing its NUL, a mount's path turned into -1), so none may.
 */
struct Written {
  Span spans[6];
  size_t count = 0;
  bool Touches(Span s) const {
    for (size_t i = 0; i < count; ++i) {
      if (Overlap(spans[i], s)) return true;
    }
    return false;
  }
};

/** A NUL-terminated string at `offset` that nothing written covers, or nullptr. */
const char* StringAt(char* base, const plan::WirePlan& wire, const Written& written, uint64_t offset) {
  if (offset == 0 || offset >= wire.size) return nullptr;
  const void* end = memchr(base + offset, '\0', wire.size - offset);
  if (end == nullptr) return nullptr;
  const auto length = static_cast<uint64_t>(static_cast<const char*>(end) - (base + offset)) + 1;
  return written.Touches({offset, length}) ? nullptr : base + offset;
}

/** The bytes of a 0-ended array of string offsets at `offset`; false when it leaves the plan. */
bool SlotArray(const char* base, const plan::WirePlan& wire, uint64_t offset, Span* out) {
  if (offset % 8 != 0) return false;
  for (uint64_t i = 0;; ++i) {
    if (!Inside(wire, offset, (i + 1) * sizeof(uint64_t))) return false;
    uint64_t slot;
    memcpy(&slot, base + offset + i * sizeof(uint64_t), sizeof(slot));
    if (slot == 0) {
      *out = {offset, (i + 1) * sizeof(uint64_t)};
      return true;
    }
  }
}

/** Checks every string of a slot array first, then turns the offsets into argv's pointers in place. */
bool Pointers(char* base, const plan::WirePlan& wire, const Written& written, Span array, char*** out) {
  auto* slots = reinterpret_cast<uint64_t*>(base + array.at);
  const size_t count = array.size / sizeof(uint64_t) - 1;
  for (size_t i = 0; i < count; ++i) {
    if (StringAt(base, wire, written, slots[i]) == nullptr) return false;
  }
  for (size_t i = 0; i < count; ++i) {
    slots[i] = reinterpret_cast<uint64_t>(base + slots[i]);
  }
  *out = reinterpret_cast<char**>(slots);
  return true;
}

/** Receives the plan message: the plan and its descriptors (spawn_plan.h, kFixedFds). */
size_t ReceivePlan(int sock, int* fds) {
  plan::PlanMessage message = {};
  const ReceivedInto received = ReceiveWithFdsInto(sock, &message, sizeof(message), 0, fds, plan::kMaxFds);
  if (received.bytes == 0) {
    errno = ECONNRESET;  // the agent hung up before it sent the plan
    ChildFail(sock, kStepAgentGone);
  }
  if (received.bytes < 0) {
    errno = received.error;
    ChildFail(sock, kStepPlan);
  }
  const size_t count = received.fd_count;
  if (received.bytes != sizeof(message) || message.magic != plan::kMagic || message.version != plan::kVersion ||
      received.truncated || count != message.fd_count || count < plan::kFixedFds) {
    PlanFail(sock, EPROTO);
  }
  return count;
}

}  // namespace
}  // namespace zviz::broker::child

int main(int argc, char** argv) {
  using namespace zviz::broker;
  using namespace zviz::broker::child;
  const int sock = argc == 2 ? ParseFd(argv[1]) : -1;
  struct stat st;
  if (sock < 0 || fstat(sock, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    static const char kUsage[] = "zviz-spawn: a ZViz container's first process; only the agent starts it\n";
    (void)write(2, kUsage, sizeof(kUsage) - 1);
    return 2;
  }
  // Inherited open across the execve; none of the container's programs may hold it.
  if (fcntl(sock, F_SETFD, FD_CLOEXEC) != 0) {
    ChildFail(sock, kStepPlan);
  }
  int fds[plan::kMaxFds];
  const size_t count = ReceivePlan(sock, fds);
  const int plan_fd = fds[0];
  if (fstat(plan_fd, &st) != 0 || st.st_size < static_cast<off_t>(sizeof(plan::WirePlan))) {
    PlanFail(sock, EPROTO);
  }
  // Private and writable: argv's offsets become pointers in place, and the scratch rooms are filled.
  void* mapped = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE, plan_fd, 0);
  if (mapped == MAP_FAILED) {
    ChildFail(sock, kStepPlan);
  }
  close(plan_fd);
  char* base = static_cast<char*>(mapped);
  const plan::WirePlan wire = *reinterpret_cast<const plan::WirePlan*>(base);
  const bool pid_ns = (wire.flags & plan::kPidNamespace) != 0;
  if (wire.magic != plan::kMagic || wire.version != plan::kVersion || wire.size != static_cast<uint64_t>(st.st_size) ||
      count != plan::kFixedFds + (pid_ns ? plan::kInitFds : 0) + wire.cgroup_count) {
    PlanFail(sock, EPROTO);
  }
  ChildPlan p = {};
  Span argv_slots = {};
  Span envp_slots = {};
  Span read_dir_slots = {};
  if (!SlotArray(base, wire, wire.argv, &argv_slots) || !SlotArray(base, wire, wire.envp, &envp_slots) ||
      !SlotArray(base, wire, wire.view_read_dirs, &read_dir_slots) ||
      wire.mount_count > (1U << 16) ||
      !Inside(wire, wire.mounts, wire.mount_count * sizeof(plan::WireMount)) || wire.mounts % 8 != 0 ||
      !Inside(wire, wire.scratch_mounts, wire.mount_count * plan::kChildMountSize) || wire.scratch_mounts % 8 != 0 ||
      !Inside(wire, wire.scratch_trees, wire.mount_count * sizeof(int)) || wire.scratch_trees % 8 != 0 ||
      wire.cgroup_mount_count > 64 ||
      !Inside(wire, wire.cgroup_mounts, wire.cgroup_mount_count * sizeof(plan::WireCgroupMount)) ||
      wire.cgroup_mounts % 8 != 0 ||
      !Inside(wire, wire.scratch_cgroup_mounts, wire.cgroup_mount_count * plan::kChildCgroupMountSize) ||
      wire.scratch_cgroup_mounts % 8 != 0 || wire.prog_len == 0 || wire.prog_len > BPF_MAXINSNS ||
      !Inside(wire, wire.prog, wire.prog_len * sizeof(struct sock_filter)) || wire.prog % 8 != 0) {
    PlanFail(sock, EPROTO);
  }
  // Nothing written may cover anything read: the header, the arrays, the filter, the strings.
  Written written;
  written.spans[written.count++] = {wire.scratch_mounts, wire.mount_count * plan::kChildMountSize};
  written.spans[written.count++] = {wire.scratch_trees, wire.mount_count * sizeof(int)};
  written.spans[written.count++] = {wire.scratch_cgroup_mounts, wire.cgroup_mount_count * plan::kChildCgroupMountSize};
  written.spans[written.count++] = argv_slots;
  written.spans[written.count++] = envp_slots;
  written.spans[written.count++] = read_dir_slots;
  for (size_t i = 0; i < written.count; ++i) {
    for (size_t j = i + 1; j < written.count; ++j) {
      if (Overlap(written.spans[i], written.spans[j])) PlanFail(sock, EPROTO);
    }
  }
  if (written.Touches({0, sizeof(plan::WirePlan)}) ||
      written.Touches({wire.mounts, wire.mount_count * sizeof(plan::WireMount)}) ||
      written.Touches({wire.cgroup_mounts, wire.cgroup_mount_count * sizeof(plan::WireCgroupMount)}) ||
      written.Touches({wire.prog, wire.prog_len * sizeof(struct sock_filter)})) {
    PlanFail(sock, EPROTO);
  }
  p.file = StringAt(base, wire, written, wire.file);
  p.cwd = StringAt(base, wire, written, wire.cwd);
  char** args = nullptr;
  char** env = nullptr;
  char** read_dirs = nullptr;
  if (p.file == nullptr || p.cwd == nullptr || !Pointers(base, wire, written, argv_slots, &args) ||
      !Pointers(base, wire, written, envp_slots, &env) ||
      !Pointers(base, wire, written, read_dir_slots, &read_dirs)) {
    PlanFail(sock, EPROTO);
  }
  p.view_read_dirs = read_dirs;
  p.argv = args;
  p.envp = env;
  const auto* wire_mounts = reinterpret_cast<const plan::WireMount*>(base + wire.mounts);
  auto* mounts = reinterpret_cast<ChildMount*>(base + wire.scratch_mounts);
  for (size_t i = 0; i < wire.mount_count; ++i) {
    const plan::WireMount& m = wire_mounts[i];
    mounts[i].path = StringAt(base, wire, written, m.path);
    mounts[i].link_target = m.link_target == 0 ? nullptr : StringAt(base, wire, written, m.link_target);
    if (mounts[i].path == nullptr || (m.link_target != 0 && mounts[i].link_target == nullptr) ||
        m.kind > static_cast<uint32_t>(MountStep::Kind::kPin)) {
      PlanFail(sock, EPROTO);
    }
    mounts[i].kind = static_cast<MountStep::Kind>(m.kind);
    mounts[i].under_tmpfs = m.under_tmpfs != 0;
  }
  p.mounts = mounts;
  p.mount_count = wire.mount_count;
  const auto* wire_cgroups = reinterpret_cast<const plan::WireCgroupMount*>(base + wire.cgroup_mounts);
  auto* cgroup_mounts = reinterpret_cast<ChildCgroupMount*>(base + wire.scratch_cgroup_mounts);
  for (size_t i = 0; i < wire.cgroup_mount_count; ++i) {
    const plan::WireCgroupMount& m = wire_cgroups[i];
    cgroup_mounts[i].path = StringAt(base, wire, written, m.path);
    cgroup_mounts[i].fstype = StringAt(base, wire, written, m.fstype);
    cgroup_mounts[i].options = StringAt(base, wire, written, m.options);
    if (cgroup_mounts[i].path == nullptr || cgroup_mounts[i].fstype == nullptr || cgroup_mounts[i].options == nullptr) {
      PlanFail(sock, EPROTO);
    }
    cgroup_mounts[i].joined = m.joined != 0;
  }
  p.cgroup_mounts = cgroup_mounts;
  p.cgroup_mount_count = wire.cgroup_mount_count;
  p.trees = reinterpret_cast<int*>(base + wire.scratch_trees);
  for (size_t i = 0; i < wire.mount_count; ++i) p.trees[i] = -1;
  p.stdio[0] = fds[1];
  p.stdio[1] = fds[2];
  p.stdio[2] = fds[3];
  p.sock = sock;
  size_t next = plan::kFixedFds;
  p.init_fd = p.report_sock = p.agent_pidfd = -1;
  if (pid_ns) {
    p.init_fd = fds[next++];
    p.report_sock = fds[next++];
    p.agent_pidfd = fds[next++];
  }
  p.cgroup_fds = fds + next;
  p.cgroup_count = wire.cgroup_count;
  p.allow_list = (wire.flags & plan::kAllowList) != 0;
  p.pid_ns = pid_ns;
  p.net_none = (wire.flags & plan::kNetworkNone) != 0;
  p.view_reads = (wire.flags & plan::kViewReads) != 0;
  p.landlock_scopes = ((wire.flags & plan::kScopeAbstractUnixSockets) != 0 ? kScopeAbstractUnixSocket : 0) |
                      ((wire.flags & plan::kScopeSignals) != 0 ? kScopeSignal : 0);
  p.caps = wire.capabilities;
  p.seccomp_flags = wire.seccomp_flags;
  static struct sock_fprog prog;
  prog.len = static_cast<unsigned short>(wire.prog_len);
  prog.filter = reinterpret_cast<struct sock_filter*>(base + wire.prog);
  p.prog = &prog;
  p.parent = wire.agent_pid;
  FirstMain(p);
}

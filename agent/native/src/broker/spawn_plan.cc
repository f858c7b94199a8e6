// The agent's side of the start plan (spawn_plan.h): the request laid out
// as zviz-spawn reads it, in a sealed memfd, and the one message that hands
// it over with the container's descriptors. Runs on the spawn thread.
#include "broker/spawn_plan.h"

#include "broker/fdpass.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zviz::broker::plan {
namespace {

/** A growing byte buffer with 8-byte aligned pieces, addressed by offset. */
class Layout {
 public:
  uint64_t Reserve(size_t size) {
    const uint64_t at = (bytes_.size() + 7) & ~uint64_t{7};
    bytes_.resize(at + size, '\0');
    return at;
  }
  uint64_t String(const std::string& s) {
    const uint64_t at = Reserve(s.size() + 1);
    std::memcpy(bytes_.data() + at, s.c_str(), s.size() + 1);
    return at;
  }
  uint64_t Strings(const std::vector<std::string>& list) {
    std::vector<uint64_t> offsets;
    for (const std::string& s : list) offsets.push_back(String(s));
    offsets.push_back(0);
    const uint64_t at = Reserve(offsets.size() * sizeof(uint64_t));
    std::memcpy(bytes_.data() + at, offsets.data(), offsets.size() * sizeof(uint64_t));
    return at;
  }
  template <typename T>
  T* At(uint64_t offset) {
    return reinterpret_cast<T*>(bytes_.data() + offset);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace

std::string Write(const PlanInput& input, UniqueFd* out) {
  const SpawnRequest& r = *input.request;
  Layout layout;
  const uint64_t header = layout.Reserve(sizeof(WirePlan));
  WirePlan plan = {};
  plan.magic = kMagic;
  plan.version = kVersion;
  plan.file = layout.String(r.file);
  plan.cwd = layout.String(r.cwd);
  plan.argv = layout.Strings(r.argv);
  plan.envp = layout.Strings(r.env);
  plan.view_read_dirs = layout.Strings(r.view_read_dirs);
  plan.mount_count = r.mounts.size();
  std::vector<WireMount> mounts;
  for (size_t i = 0; i < r.mounts.size(); ++i) {
    WireMount m = {};
    m.path = layout.String(r.mounts[i].path);
    const std::string& link = (*input.link_targets)[i];
    m.link_target = link.empty() ? 0 : layout.String(link);
    m.kind = static_cast<uint32_t>(r.mounts[i].kind);
    m.under_tmpfs = (*input.under_tmpfs)[i] ? 1 : 0;
    mounts.push_back(m);
  }
  plan.mounts = layout.Reserve(mounts.size() * sizeof(WireMount));
  if (!mounts.empty()) {
    std::memcpy(layout.At<char>(plan.mounts), mounts.data(), mounts.size() * sizeof(WireMount));
  }
  std::vector<WireCgroupMount> cgroup_mounts;
  for (const CgroupMountSpec& spec : *input.cgroup_mounts) {
    WireCgroupMount m = {};
    m.path = layout.String(spec.path);
    m.fstype = layout.String(spec.fstype);
    m.options = layout.String(spec.options);
    m.joined = spec.joined ? 1 : 0;
    cgroup_mounts.push_back(m);
  }
  plan.cgroup_mount_count = cgroup_mounts.size();
  plan.cgroup_mounts = layout.Reserve(cgroup_mounts.size() * sizeof(WireCgroupMount));
  if (!cgroup_mounts.empty()) {
    std::memcpy(layout.At<char>(plan.cgroup_mounts), cgroup_mounts.data(),
                cgroup_mounts.size() * sizeof(WireCgroupMount));
  }
  plan.scratch_cgroup_mounts = layout.Reserve(cgroup_mounts.size() * kChildCgroupMountSize);
  plan.scratch_mounts = layout.Reserve(r.mounts.size() * kChildMountSize);
  plan.scratch_trees = layout.Reserve(r.mounts.size() * sizeof(int));
  plan.prog_len = r.program->size();
  plan.prog = layout.Reserve(r.program->size() * sizeof(struct sock_filter));
  if (!r.program->empty()) {
    std::memcpy(layout.At<char>(plan.prog), r.program->data(), r.program->size() * sizeof(struct sock_filter));
  }
  plan.capabilities = r.capabilities;
  plan.seccomp_flags = input.seccomp_flags;
  plan.agent_pid = input.agent_pid;
  plan.flags = (r.allow_list ? kAllowList : 0U) | (r.pid_namespace ? kPidNamespace : 0U) |
               (r.network_none ? kNetworkNone : 0U) | (r.view_reads ? kViewReads : 0U) |
               (r.scope_abstract_unix_sockets ? kScopeAbstractUnixSockets : 0U) | (r.scope_signals ? kScopeSignals : 0U);
  plan.cgroup_count = input.cgroup_count;
  plan.size = layout.bytes().size();
  std::memcpy(layout.At<char>(header), &plan, sizeof(plan));

  UniqueFd fd(memfd_create("zviz-spawn-plan", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd) {
    return std::string("memfd_create for the start plan: ") + strerror(errno);
  }
  const std::string& bytes = layout.bytes();
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = write(fd.get(), bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return std::string("writing the start plan: ") + strerror(errno);
    }
    done += static_cast<size_t>(n);
  }
  // zviz-spawn maps it privately; sealed, the plan it reads is the one written here.
  if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
    return std::string("sealing the start plan: ") + strerror(errno);
  }
  *out = std::move(fd);
  return {};
}

int Send(int sock, const int* fds, size_t count) {
  if (count > kMaxFds) {
    errno = EINVAL;
    return -1;
  }
  const PlanMessage message = {kMagic, kVersion, static_cast<uint32_t>(count), 0};
  return SendWithFds(sock, &message, sizeof(message), fds, count) == static_cast<ssize_t>(sizeof(message)) ? 0 : -1;
}

}  // namespace zviz::broker::plan

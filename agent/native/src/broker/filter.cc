#include "broker/filter.h"

#include <seccomp.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>

#include "broker/kernel.h"
#include "broker/syscall_table.h"
#include "common/build_id.h"
#include "common/unique_fd.h"

namespace zviz::broker {
namespace {

struct CtxDeleter {
  void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Ctx = std::unique_ptr<void, CtxDeleter>;

std::string Errno(int rc) { return std::strerror(rc < 0 ? -rc : rc); }

/** seccomp_export_bpf writes to an fd; a memfd keeps it in memory. */
std::string Export(scmp_filter_ctx ctx, BpfProgram* out) {
  UniqueFd mem(memfd_create("zviz-seccomp", MFD_CLOEXEC));
  if (!mem) {
    return std::string("memfd_create: ") + std::strerror(errno);
  }
  int rc = seccomp_export_bpf(ctx, mem.get());
  if (rc < 0) {
    return "libseccomp could not generate the program: " + Errno(rc);
  }
  struct stat st;
  if (fstat(mem.get(), &st) != 0) {
    return std::string("fstat: ") + std::strerror(errno);
  }
  if (st.st_size <= 0 || st.st_size % sizeof(struct sock_filter) != 0) {
    return "libseccomp produced a program of " + std::to_string(st.st_size) + " bytes";
  }
  out->resize(static_cast<size_t>(st.st_size) / sizeof(struct sock_filter));
  size_t done = 0;
  const size_t total = static_cast<size_t>(st.st_size);
  while (done < total) {
    ssize_t n = pread(mem.get(), reinterpret_cast<char*>(out->data()) + done, total - done, done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return std::string("reading the program back: ") + (n < 0 ? std::strerror(errno) : "short read");
    }
    done += static_cast<size_t>(n);
  }
  return {};
}

uint32_t AuditedAction(uint32_t ret) {
  switch (ret & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ERRNO:
    case SECCOMP_RET_KILL_PROCESS:
    case SECCOMP_RET_KILL_THREAD:
    case SECCOMP_RET_LOG:
      return SECCOMP_RET_USER_NOTIF;
    default:
      return ret;
  }
}

/**
 * Everything a compilation depends on, in one string: two plans with the
 * same key compile to the same programs and warnings.
 */
std::string PlanKey(const FilterPlan& plan) {
  std::string key;
  auto text = [&key](const std::string& s) {
    key += std::to_string(s.size());
    key += ':';
    key += s;
  };
  auto number = [&key](uint64_t n) {
    key += std::to_string(n);
    key += ',';
  };
  number(plan.default_action);
  number(plan.audit ? 1 : 0);
  number(plan.architectures.size());
  for (const std::string& arch : plan.architectures) {
    text(arch);
  }
  number(plan.rules.size());
  for (const SeccompRule& rule : plan.rules) {
    text(rule.syscall);
    number(rule.action);
    text(rule.pointer);
    number(rule.args.size());
    for (const ArgComparison& a : rule.args) {
      number(a.index);
      number(static_cast<uint64_t>(a.op));
      number(a.value);
      number(a.value_two);
    }
  }
  return key;
}

std::string CompileUncached(const FilterPlan& plan, CompiledFilter* out);

// libseccomp takes tens of milliseconds to build and optimise a profile's
// program, and every container of a profile asks for the same one: a node
// starting a thousand containers would spend most of that time here, on the
// JavaScript thread. Successful compilations are kept, keyed by their whole
// plan; a few distinct plans at most are in use at once.
constexpr size_t kCachedPlans = 32;
std::mutex cache_mu;
std::map<std::string, CompiledFilter>& Cache() {
  static auto* cache = new std::map<std::string, CompiledFilter>();
  return *cache;
}

void Keep(const std::string& key, const CompiledFilter& compiled) {
  std::lock_guard<std::mutex> lock(cache_mu);
  if (Cache().size() >= kCachedPlans) {
    Cache().clear();
  }
  Cache().insert_or_assign(key, compiled);
}

}  // namespace

std::string CompileFilter(const FilterPlan& plan, CompiledFilter* out) {
  const std::string key = PlanKey(plan);
  {
    std::lock_guard<std::mutex> lock(cache_mu);
    auto found = Cache().find(key);
    if (found != Cache().end()) {
      *out = found->second;
      return {};
    }
  }
  CompiledFilter compiled;
  std::string error = CompileUncached(plan, &compiled);
  if (!error.empty()) {
    return error;
  }
  Keep(key, compiled);
  *out = std::move(compiled);
  return {};
}

std::string LibseccompVersion() {
  const struct scmp_version* v = seccomp_version();
  return std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
}

std::string FilterPlanKey(const FilterPlan& plan) { return PlanKey(plan); }

std::string AdoptCompiledFilter(const std::string& key, const std::string& build_id, const std::string& libseccomp,
                                CompiledFilter compiled) {
  if (OwnBuildId().empty()) {
    return "this broker addon has no build ID to tell its own programs by";
  }
  if (build_id != OwnBuildId()) {
    return "made by broker addon build " + build_id + ", this is " + OwnBuildId();
  }
  if (libseccomp != LibseccompVersion()) {
    return "made with libseccomp " + libseccomp + ", this is " + LibseccompVersion();
  }
  for (const BpfProgram* program : {&compiled.reference, &compiled.enforcement}) {
    std::string error = CheckSeccompProgram(*program);
    if (!error.empty()) {
      return "program rejected: " + error;
    }
  }
  Keep(key, compiled);
  return {};
}

namespace {

std::string CompileUncached(const FilterPlan& plan, CompiledFilter* out) {
  Ctx ctx(seccomp_init(plan.default_action));
  if (!ctx) {
    return "/defaultAction: libseccomp refused the default action";
  }
  // The agent sets no_new_privs itself in the workload; a 32-bit or foreign
  // ABI the profile does not list kills the process, never slips through.
  if (seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_NNP, 0) < 0 ||
      seccomp_attr_set(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS) < 0 ||
      seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0) {
    return "libseccomp refused a filter attribute (needs libseccomp 2.5 or newer)";
  }
  const uint32_t native = seccomp_arch_native();
  bool has_native = false;
  for (const std::string& name : plan.architectures) {
    uint32_t token = seccomp_arch_resolve_name(name.c_str());
    if (token == 0) {
      return "/architectures: libseccomp does not know architecture " + name;
    }
    if (token == native) {
      has_native = true;
      continue;
    }
    int rc = seccomp_arch_add(ctx.get(), token);
    if (rc < 0 && rc != -EEXIST) {
      return "/architectures: cannot add " + name + ": " + Errno(rc);
    }
  }
  if (!has_native && !plan.architectures.empty()) {
    return "/architectures: the list must include this host's architecture";
  }
  for (const SeccompRule& rule : plan.rules) {
    int nr = seccomp_syscall_resolve_name(rule.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) {
      // The kernel has it, libseccomp 2.5 cannot name it. Only the native ABI
      // can take it by number, and only where the default covers the rest.
      int newer = SyscallTable::NewerSyscallNumber(rule.syscall);
      if (newer < 0) {
        return rule.pointer + ": unknown syscall " + rule.syscall;
      }
      if (plan.architectures.size() > 1 || rule.action != SCMP_ACT_ALLOW) {
        out->warnings.push_back(rule.pointer + ": " + rule.syscall +
                                " is newer than libseccomp 2.5 and cannot be filtered on every ABI; the default action "
                                "applies to it");
        continue;
      }
      nr = newer;
    }
    std::vector<struct scmp_arg_cmp> cmps;
    cmps.reserve(rule.args.size());
    for (const ArgComparison& a : rule.args) {
      cmps.push_back(scmp_arg_cmp{a.index, static_cast<enum scmp_compare>(a.op), a.value, a.value_two});
    }
    int rc = seccomp_rule_add_array(ctx.get(), rule.action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
    if (rc == -EACCES) {
      // Same action as the default: nothing to add (runc skips these too).
      continue;
    }
    if (rc < 0) {
      return rule.pointer + ": libseccomp refused the rule for " + rule.syscall + ": " + Errno(rc);
    }
  }
  std::string error = Export(ctx.get(), &out->reference);
  if (!error.empty()) {
    return error;
  }
  error = CheckSeccompProgram(out->reference);
  if (!error.empty()) {
    return "generated program rejected: " + error;
  }
  out->enforcement = out->reference;
  if (plan.audit) {
    for (struct sock_filter& insn : out->enforcement) {
      if (insn.code == (BPF_RET | BPF_K)) {
        insn.k = AuditedAction(insn.k);
      } else if (insn.code == (BPF_RET | BPF_A)) {
        return "generated program returns a computed action; cannot audit it";
      }
    }
  }
  return {};
}

}  // namespace

}  // namespace zviz::broker

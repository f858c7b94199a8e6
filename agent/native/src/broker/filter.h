// Turns a profile's seccomp part into BPF with libseccomp (its binary-tree
// optimiser keeps unbrokered syscalls cheap and constant allows inside the
// kernel's action cache). Two programs come out of one rule set:
//   reference   - the profile as written; the broker runs it on every
//                 notification to learn what the kernel would have done.
//   enforcement - what the workload gets: the reference with, when denial
//                 auditing is on, every ERRNO/KILL/LOG return turned into a
//                 user notification, so the broker answers those itself
//                 (same errno, same kill) and counts them from what happened.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "broker/cbpf.h"

namespace zviz::broker {

struct ArgComparison {
  unsigned index = 0;
  int op = 0;  // enum scmp_compare
  uint64_t value = 0;
  uint64_t value_two = 0;
};

struct SeccompRule {
  std::string syscall;
  uint32_t action = 0;  // SCMP_ACT_* (kernel SECCOMP_RET_* encoding)
  std::vector<ArgComparison> args;
  std::string pointer;  // where in the profile, for messages
};

struct FilterPlan {
  uint32_t default_action = 0;
  std::vector<std::string> architectures;  // libseccomp names: "x86_64", "x86", "x32"
  std::vector<SeccompRule> rules;
  bool audit = true;
};

struct CompiledFilter {
  BpfProgram reference;
  BpfProgram enforcement;
  std::vector<std::string> warnings;
};

/** Empty string on success; else `<pointer>: <reason>`. */
std::string CompileFilter(const FilterPlan& plan, CompiledFilter* out);

/** libseccomp's version here, "major.minor.micro": programs it made elsewhere fit only the same one. */
std::string LibseccompVersion();

/** What CompileFilter keys its kept programs by: the whole plan, as one string. */
std::string FilterPlanKey(const FilterPlan& plan);

/**
 * Keeps `compiled`, made by CompileFilter in another process (the build, for
 * the built-in profiles) for the plan whose FilterPlanKey is `key`, as if
 * compiled here: the next CompileFilter of that plan returns it. Only what
 * this very binary (`build_id`, its GNU build ID) made with this libseccomp
 * (`libseccomp`) is kept, and both programs are checked as a compiled one
 * is. Empty on success, else why not.
 */
std::string AdoptCompiledFilter(const std::string& key, const std::string& build_id, const std::string& libseccomp,
                                CompiledFilter compiled);

}  // namespace zviz::broker

// The reference program's outcome for each notification (cbpf.h), with the
// outcomes that depend on the system call alone remembered. A notification
// that comes alone finds the supervisor's caches cold, and interpreting the
// profile's program (several kilobytes; its binary tree of system calls)
// then cost about 9 µs of the 60 an emulated open took before its answer
// (docs/benchmarks.md, "Opens one at a time"); a remembered outcome is one
// load. Remembering is exact: the program is a pure function of
// seccomp_data, and a run that loaded nothing beyond the call number and the
// architecture took a path that every call with the same two takes, whatever
// its arguments and instruction pointer. Runs that loaded more are never
// remembered. One per supervisor thread, used by it alone.
#pragma once

#include <linux/audit.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "broker/cbpf.h"

namespace zviz::broker {

class ReferenceOutcomes {
 public:
  explicit ReferenceOutcomes(std::shared_ptr<const BpfProgram> program) : program_(std::move(program)) {}

  /** What the program returns for `data` (RunSeccompProgram's answer, always). */
  uint32_t Run(const struct seccomp_data& data) {
    const bool native = kNativeArch != 0 && data.arch == kNativeArch && data.nr >= 0 && data.nr < kSlots;
    if (native && !known_.empty() && (known_[static_cast<size_t>(data.nr)] & kKnown) != 0) {
      return static_cast<uint32_t>(known_[static_cast<size_t>(data.nr)]);
    }
    bool beyond_call = false;
    const uint32_t ret = RunSeccompProgram(*program_, data, &beyond_call);
    if (native && !beyond_call) {
      if (known_.empty()) {
        known_.assign(kSlots, 0);
      }
      known_[static_cast<size_t>(data.nr)] = kKnown | ret;
    }
    return ret;
  }

 private:
  static constexpr int kSlots = 1024;  // native call numbers below this (x86_64 has about 470; x32's are above)
#if defined(__x86_64__)
  static constexpr uint32_t kNativeArch = AUDIT_ARCH_X86_64;
#elif defined(__aarch64__)
  static constexpr uint32_t kNativeArch = AUDIT_ARCH_AARCH64;
#else
  static constexpr uint32_t kNativeArch = 0;  // unknown: nothing is remembered
#endif
  static constexpr uint64_t kKnown = 1ULL << 32;

  std::shared_ptr<const BpfProgram> program_;
  std::vector<uint64_t> known_;  // by call number: kKnown | the outcome, or 0
};

}  // namespace zviz::broker

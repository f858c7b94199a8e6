// Syscall names by (architecture, number), from libseccomp's tables plus the
// few syscalls newer than Debian's libseccomp. Built once; afterwards
// read-only and safe to share between threads. Counters are indexed by
// position in this table, so the label set of the metrics is bounded.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace zviz::broker {

class SyscallTable {
 public:
  static constexpr uint16_t kUnknown = 0;  // names_[0] == "unknown"

  static const SyscallTable& Get();

  /** Table index of the syscall a notification carries (seccomp_data.arch and .nr). */
  uint16_t Index(uint32_t audit_arch, int nr) const;
  /** Table index of a name, or kUnknown. */
  uint16_t IndexOf(std::string_view name) const;
  const std::string& Name(uint16_t index) const { return names_[index]; }
  size_t size() const { return names_.size(); }

  /**
   * Number of a syscall the kernel has but libseccomp 2.5 does not know, on
   * x86_64; -1 otherwise. Syscalls since Linux 5.1 share numbers across the
   * x86 ABIs, so this also serves x86 and (with the x32 bit) x32.
   */
  static int NewerSyscallNumber(std::string_view name);

 private:
  SyscallTable();
  uint16_t Add(const std::string& name);

  struct Arch {
    uint32_t audit_arch;
    bool x32;
    std::vector<uint16_t> by_nr;
  };

  std::vector<std::string> names_;
  std::unordered_map<std::string, uint16_t> by_name_;
  std::vector<Arch> arches_;
};

}  // namespace zviz::broker

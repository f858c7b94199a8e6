#include "broker/syscall_table.h"

#include <linux/audit.h>
#include <seccomp.h>

#include <cstdlib>

#include "broker/kernel.h"

namespace zviz::broker {
namespace {

// Highest syscall number we look up per ABI; x86_64 ends below 470 today.
constexpr int kMaxNr = 1024;

struct Newer {
  const char* name;
  int nr;
};

// Linux 6.7 to 6.17, after Debian 12's libseccomp (2.5.4) tables.
constexpr Newer kNewer[] = {
    {"futex_wake", 454},     {"futex_wait", 455},        {"futex_requeue", 456},    {"statmount", 457},
    {"listmount", 458},      {"lsm_get_self_attr", 459}, {"lsm_set_self_attr", 460}, {"lsm_list_modules", 461},
    {"mseal", 462},          {"setxattrat", 463},        {"getxattrat", 464},       {"listxattrat", 465},
    {"removexattrat", 466},  {"open_tree_attr", 467},    {"file_getattr", 468},     {"file_setattr", 469},
};

}  // namespace

const SyscallTable& SyscallTable::Get() {
  static const SyscallTable table;  // C++11 guarantees thread-safe initialisation
  return table;
}

int SyscallTable::NewerSyscallNumber(std::string_view name) {
  for (const Newer& n : kNewer) {
    if (name == n.name) {
      return n.nr;
    }
  }
  return -1;
}

uint16_t SyscallTable::Add(const std::string& name) {
  auto it = by_name_.find(name);
  if (it != by_name_.end()) {
    return it->second;
  }
  auto index = static_cast<uint16_t>(names_.size());
  names_.push_back(name);
  by_name_.emplace(name, index);
  return index;
}

SyscallTable::SyscallTable() {
  Add("unknown");
  struct Abi {
    uint32_t token;
    uint32_t audit_arch;
    bool x32;
  };
  const Abi abis[] = {
      {SCMP_ARCH_X86_64, AUDIT_ARCH_X86_64, false},
      {SCMP_ARCH_X86, AUDIT_ARCH_I386, false},
      {SCMP_ARCH_X32, AUDIT_ARCH_X86_64, true},
  };
  for (const Abi& abi : abis) {
    Arch arch{abi.audit_arch, abi.x32, std::vector<uint16_t>(kMaxNr, kUnknown)};
    for (int nr = 0; nr < kMaxNr; ++nr) {
      int lookup = abi.x32 ? (nr | __X32_SYSCALL_BIT) : nr;
      char* name = seccomp_syscall_resolve_num_arch(abi.token, lookup);
      if (name != nullptr) {
        arch.by_nr[nr] = Add(name);
        std::free(name);
      }
    }
    for (const Newer& n : kNewer) {
      if (n.nr < kMaxNr && arch.by_nr[n.nr] == kUnknown) {
        arch.by_nr[n.nr] = Add(n.name);
      }
    }
    arches_.push_back(std::move(arch));
  }
}

uint16_t SyscallTable::Index(uint32_t audit_arch, int nr) const {
  bool x32 = audit_arch == AUDIT_ARCH_X86_64 && (nr & __X32_SYSCALL_BIT) != 0;
  int plain = x32 ? (nr & ~__X32_SYSCALL_BIT) : nr;
  if (plain < 0 || plain >= kMaxNr) {
    return kUnknown;
  }
  for (const Arch& arch : arches_) {
    if (arch.audit_arch == audit_arch && arch.x32 == x32) {
      return arch.by_nr[plain];
    }
  }
  return kUnknown;
}

uint16_t SyscallTable::IndexOf(std::string_view name) const {
  auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? kUnknown : it->second;
}

}  // namespace zviz::broker

// What the BPF programs need to know about this architecture's syscalls,
// computed here from the host's headers so the BPF code stays neutral:
// which numbers read, write or sync files, and which send or receive on
// sockets (for DNS); and the names the `syscall` label carries.
#ifndef ZVIZ_TRACER_SYSCALL_TABLE_H_
#define ZVIZ_TRACER_SYSCALL_TABLE_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "tracer_abi.h"

namespace zviz::tracer {

std::array<uint8_t, ZVIZ_SYSCALL_SLOTS> SyscallClasses();

// Index = syscall number; the last index is the bucket for compat and
// out-of-range numbers ("unknown"). Numbers libseccomp cannot name are
// "syscall_<nr>".
std::vector<std::string> SyscallNames();

}  // namespace zviz::tracer

#endif  // ZVIZ_TRACER_SYSCALL_TABLE_H_

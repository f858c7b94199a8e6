#include "tracer/syscall_table.h"

#include <seccomp.h>
#include <sys/syscall.h>

#include <cstdlib>

namespace zviz::tracer {

std::array<uint8_t, ZVIZ_SYSCALL_SLOTS> SyscallClasses() {
  std::array<uint8_t, ZVIZ_SYSCALL_SLOTS> classes{};
  auto set = [&classes](long nr, uint8_t bits) {
    if (nr >= 0 && nr < ZVIZ_SYSCALL_OTHER) classes[nr] |= bits;
  };
  for (long nr : {SYS_read, SYS_pread64, SYS_readv, SYS_preadv, SYS_preadv2}) set(nr, ZVIZ_CLASS_FS_READ);
  for (long nr : {SYS_write, SYS_pwrite64, SYS_writev, SYS_pwritev, SYS_pwritev2}) set(nr, ZVIZ_CLASS_FS_WRITE);
  for (long nr : {SYS_fsync, SYS_fdatasync}) set(nr, ZVIZ_CLASS_FS_FSYNC);
  // Resolvers send with send/sendto/sendmmsg (glibc, musl) or write (Go)
  // and read answers with recvfrom/recvmsg or read.
  set(SYS_sendto, ZVIZ_CLASS_DNS_SEND | ZVIZ_CLASS_ADDR_ARG5);
  set(SYS_sendmsg, ZVIZ_CLASS_DNS_SEND | ZVIZ_CLASS_ADDR_MSG);
  set(SYS_sendmmsg, ZVIZ_CLASS_DNS_SEND | ZVIZ_CLASS_ADDR_MMSG);
  for (long nr : {SYS_write, SYS_writev}) set(nr, ZVIZ_CLASS_DNS_SEND);
  for (long nr : {SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg, SYS_read, SYS_readv}) set(nr, ZVIZ_CLASS_DNS_RECV);
  return classes;
}

std::vector<std::string> SyscallNames() {
  std::vector<std::string> names(ZVIZ_SYSCALL_SLOTS);
  for (int nr = 0; nr < ZVIZ_SYSCALL_OTHER; nr++) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    names[nr] = name != nullptr ? name : "syscall_" + std::to_string(nr);
    free(name);
  }
  names[ZVIZ_SYSCALL_OTHER] = "unknown";
  return names;
}

}  // namespace zviz::tracer

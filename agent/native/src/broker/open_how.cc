#include "broker/open_how.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace zviz::broker {
namespace {

constexpr uint64_t kOpenHowSizeVer0 = 24;  // OPEN_HOW_SIZE_VER0
static_assert(sizeof(struct open_how) == kOpenHowSizeVer0, "the broker knows open_how version 0");

uint64_t PageSize() {
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return page;
}

// Flags that only shape an open (its access mode, how it follows, blocks or
// appends): no kernel since openat2 (Linux 5.6) refuses them, alone or
// together, so opens with nothing else (most opens) need no probe.
constexpr uint64_t kPlainFlags =
    O_ACCMODE | O_CLOEXEC | O_LARGEFILE | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | O_DIRECTORY | O_APPEND | O_TRUNC;
constexpr uint64_t kPlainResolve =
    RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT;

/** The probe's verdict: EBADF (the lookup after the checks) means the flags passed. */
int Verdict(long rc) {
  if (rc >= 0) {
    close(static_cast<int>(rc));  // cannot happen with dirfd -1; never keep it
    return 0;
  }
  return errno == EBADF ? 0 : errno;
}

}  // namespace

int ReadOpenHow(const Target& target, uint64_t address, uint64_t size, struct open_how* how) {
  if (size < kOpenHowSizeVer0) {
    return -EINVAL;
  }
  if (size > PageSize()) {
    return -E2BIG;
  }
  // The bytes beyond the struct first, one page at a time: the kernel scans
  // them for a non-zero byte before it copies the struct.
  uint64_t at = address + sizeof(*how);
  const uint64_t end = address + size;
  unsigned char chunk[512];
  while (at < end) {
    const uint64_t page_left = PageSize() - (at % PageSize());
    const size_t want = static_cast<size_t>(std::min({end - at, page_left, static_cast<uint64_t>(sizeof(chunk))}));
    const int rc = target.Read(at, chunk, want);
    if (rc != 0) {
      return rc == -EPERM ? -EPERM : -EFAULT;
    }
    for (size_t i = 0; i < want; ++i) {
      if (chunk[i] != 0) {
        return -E2BIG;
      }
    }
    at += want;
  }
  const int rc = target.Read(address, how, sizeof(*how));
  if (rc != 0) {
    return rc == -EPERM ? -EPERM : -EFAULT;
  }
  return 0;
}

int KernelRefusesOpenHow(const struct open_how& how) {
  const bool scoped_twice = (how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT);
  if ((how.flags & ~kPlainFlags) == 0 && how.mode == 0 && (how.resolve & ~kPlainResolve) == 0 && !scoped_twice) {
    return 0;
  }
  struct open_how copy = how;
  return Verdict(::syscall(SYS_openat2, -1, ".", &copy, sizeof(copy)));
}

int KernelRefusesOpenFlags(uint64_t flags, uint64_t mode) {
  if ((flags & ~kPlainFlags) == 0) {
    return 0;  // open and openat ignore the mode without O_CREAT or O_TMPFILE
  }
  return Verdict(::syscall(SYS_openat, -1, ".", static_cast<unsigned>(flags), static_cast<unsigned>(mode)));
}

}  // namespace zviz::broker

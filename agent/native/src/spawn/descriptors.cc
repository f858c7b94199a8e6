// Descriptor moves shared by the workload and the init (spawn/child.h): a
// child holds copies of every descriptor the agent had open at clone3, and
// must give its program only the few it is meant to have, at the numbers it
// expects. Runs between clone3 and execve: no allocation, so the handful of
// descriptors to keep is sorted on the stack.
#include <fcntl.h>

#include <algorithm>

#include "broker/kernel.h"
#include "spawn/child.h"

namespace zviz::broker::child {

int Lift(int fd, int sock) {
  const int high = fcntl(fd, F_DUPFD_CLOEXEC, 10);
  if (high < 0) {
    ChildFail(sock, kStepStdio);
  }
  return high;
}

int CloseAllFrom(unsigned first, const int* keep, size_t count) {
  int sorted[5];
  count = std::min<size_t>(count, 5);
  std::copy(keep, keep + count, sorted);
  std::sort(sorted, sorted + count);  // no allocation for a handful of ints
  unsigned next = first;
  for (size_t i = 0; i < count; ++i) {
    const auto fd = static_cast<unsigned>(sorted[i]);
    if (fd > next && sys::CloseRange(next, fd - 1, 0) != 0) {
      return -1;
    }
    if (fd >= next) {
      next = fd + 1;
    }
  }
  return sys::CloseRange(next, ~0U, 0);
}

}  // namespace zviz::broker::child

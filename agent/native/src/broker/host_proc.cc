#include "broker/host_proc.h"

#include <fcntl.h>

namespace zviz::broker {

int HostProc() {
  static const int fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
  return fd;
}

}  // namespace zviz::broker

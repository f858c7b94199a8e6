#include "broker/proc_status.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/unique_fd.h"

namespace zviz::broker {
namespace {

/** The value after "Name:" on its line; for lists ("NStgid:\t7\t1"), the last one. */
bool Field(const char* text, const char* name, int base, long* out) {
  const size_t len = std::strlen(name);
  for (const char* line = text; line != nullptr && *line != '\0';) {
    const char* next = std::strchr(line, '\n');
    if (std::strncmp(line, name, len) == 0 && line[len] == ':') {
      const char* at = line + len + 1;
      const char* end = next != nullptr ? next : line + std::strlen(line);
      bool found = false;
      while (at < end) {
        char* stop = nullptr;
        const long value = std::strtol(at, &stop, base);
        if (stop == at) {
          break;
        }
        *out = value;
        found = true;
        at = stop;
      }
      return found;
    }
    line = next != nullptr ? next + 1 : nullptr;
  }
  return false;
}

}  // namespace

bool ReadTaskStatus(int dir, const char* name, TaskStatus* out) {
  UniqueFd fd(openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    return false;
  }
  // Umask and Tgid come first; the namespace lines follow within 2 KiB on every kernel so far.
  char buf[4096];
  size_t used = 0;
  for (;;) {
    ssize_t n = read(fd.get(), buf + used, sizeof(buf) - 1 - used);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    used += static_cast<size_t>(n);
    if (used == sizeof(buf) - 1) {
      break;
    }
  }
  buf[used] = '\0';
  long value;
  if (!Field(buf, "Tgid", 10, &value) || value <= 0) {
    return false;
  }
  *out = TaskStatus{};
  out->tgid = static_cast<pid_t>(value);
  out->ns_tgid = Field(buf, "NStgid", 10, &value) ? static_cast<pid_t>(value) : out->tgid;
  if (Field(buf, "NSpid", 10, &value)) {
    out->ns_pid = static_cast<pid_t>(value);
  } else if (Field(buf, "Pid", 10, &value)) {
    out->ns_pid = static_cast<pid_t>(value);
  }
  if (Field(buf, "Umask", 8, &value)) {
    out->umask = value;
  }
  return true;
}

}  // namespace zviz::broker

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

/** Every value on the line "Name:" (base 10); false when the line is missing or cut off. */
bool List(const char* text, const char* name, std::vector<gid_t>* out) {
  const size_t len = std::strlen(name);
  for (const char* line = text; line != nullptr && *line != '\0';) {
    const char* next = std::strchr(line, '\n');
    if (std::strncmp(line, name, len) == 0 && line[len] == ':') {
      if (next == nullptr) {
        return false;  // cut off by the buffer: not all groups are known
      }
      out->clear();
      for (const char* at = line + len + 1; at < next;) {
        char* stop = nullptr;
        const unsigned long value = std::strtoul(at, &stop, 10);
        if (stop == at) {
          break;
        }
        out->push_back(static_cast<gid_t>(value));
        at = stop;
      }
      return true;
    }
    line = next != nullptr ? next + 1 : nullptr;
  }
  return false;
}

bool Read(int dir, const char* name, TaskStatus* out, bool credentials) {
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
  if (Field(buf, "Threads", 10, &value)) {
    out->threads = value;
  }
  if (credentials) {
    // "Uid:\treal\teffective\tsaved\tfs": Field keeps the last, the fs one.
    long uid = -1, gid = -1, caps = -1;
    FileCredentials& c = out->credentials;
    out->has_credentials = Field(buf, "Uid", 10, &uid) && Field(buf, "Gid", 10, &gid) &&
                           List(buf, "Groups", &c.groups) && Field(buf, "CapEff", 16, &caps) && uid >= 0 &&
                           gid >= 0 && caps >= 0;
    c.fsuid = static_cast<uid_t>(uid);
    c.fsgid = static_cast<gid_t>(gid);
    c.effective = static_cast<uint64_t>(caps);
  }
  return true;
}

}  // namespace

bool ReadTaskStatus(int dir, const char* name, TaskStatus* out) { return Read(dir, name, out, false); }

bool ReadTaskCredentials(int dir, const char* name, TaskStatus* out) { return Read(dir, name, out, true); }

}  // namespace zviz::broker

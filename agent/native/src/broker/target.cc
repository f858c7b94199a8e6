#include "broker/target.h"

#include <fcntl.h>
#include <linux/seccomp.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "broker/host_proc.h"
#include "common/unique_fd.h"

namespace zviz::broker {
namespace {

constexpr uint64_t kPage = 4096;

}  // namespace

bool Target::Valid() const {
  uint64_t id = id_;
  return ioctl(listener_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

int Target::Read(uint64_t address, void* buffer, size_t len) const {
  size_t done = 0;
  while (done < len) {
    struct iovec local = {static_cast<char*>(buffer) + done, len - done};
    struct iovec remote = {reinterpret_cast<void*>(address + done), len - done};
    ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
    if (n < 0) {
      return errno == EINTR ? -EINTR : -errno;
    }
    if (n == 0) {
      return -EFAULT;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

int Target::ReadString(uint64_t address, size_t max, std::string* out) const {
  out->clear();
  char chunk[kPage];
  uint64_t at = address;
  // Read up to each page end, so a string that ends just before an unmapped
  // page is still read whole.
  while (out->size() <= max) {
    size_t want = static_cast<size_t>(kPage - (at % kPage));
    struct iovec local = {chunk, want};
    struct iovec remote = {reinterpret_cast<void*>(at), want};
    ssize_t n = process_vm_readv(tid_, &local, 1, &remote, 1, 0);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      return n < 0 ? -errno : -EFAULT;
    }
    const void* nul = std::memchr(chunk, '\0', static_cast<size_t>(n));
    if (nul != nullptr) {
      out->append(chunk, static_cast<const char*>(nul) - chunk);
      return out->size() <= max ? 0 : -ENAMETOOLONG;
    }
    out->append(chunk, static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
  return -ENAMETOOLONG;
}

bool Target::StatusLine(const char* name, char* out, size_t size) const {
  char path[64];
  snprintf(path, sizeof(path), "%d/status", tid_);
  UniqueFd fd(openat(HostProc(), path, O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return false;
  }
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
  const size_t len = std::strlen(name);
  for (char* line = buf; line != nullptr && *line != '\0';) {
    char* next = std::strchr(line, '\n');
    if (std::strncmp(line, name, len) == 0 && line[len] == ':') {
      const size_t n = next != nullptr ? static_cast<size_t>(next - line) - len - 1 : std::strlen(line + len + 1);
      snprintf(out, size, "%.*s", static_cast<int>(n), line + len + 1);
      return true;
    }
    line = next ? next + 1 : nullptr;
  }
  return false;
}

long Target::StatusField(const char* name, int base) const {
  char value[256];
  return StatusLine(name, value, sizeof(value)) ? std::strtol(value, nullptr, base) : -1;
}

pid_t Target::NamespaceId(const char* field) const {
  char value[256];
  if (!StatusLine(field, value, sizeof(value))) {
    return -ESRCH;
  }
  // "NSpid:\t4242\t2": the outermost namespace first, the task's own last.
  const char* last = nullptr;
  for (const char* p = value; *p != '\0'; ++p) {
    if ((*p >= '0' && *p <= '9') && (p == value || p[-1] == ' ' || p[-1] == '\t')) {
      last = p;
    }
  }
  const long id = last != nullptr ? std::strtol(last, nullptr, 10) : -1;
  return id > 0 ? static_cast<pid_t>(id) : -ESRCH;
}

pid_t Target::Tgid() const {
  long tgid = StatusField("Tgid", 10);
  return tgid > 0 ? static_cast<pid_t>(tgid) : -ESRCH;
}

}  // namespace zviz::broker

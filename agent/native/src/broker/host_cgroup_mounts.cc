#include "broker/host_cgroup_mounts.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace zviz::broker {
namespace {

/** The next space-separated field of `line` from `*at`; empty at the end. */
std::string_view Field(std::string_view line, size_t* at) {
  while (*at < line.size() && line[*at] == ' ') {
    ++*at;
  }
  const size_t start = *at;
  while (*at < line.size() && line[*at] != ' ') {
    ++*at;
  }
  return line.substr(start, *at - start);
}

}  // namespace

std::vector<HostCgroupMount> ParseHostCgroupMounts(const std::string& mountinfo) {
  std::vector<HostCgroupMount> out;
  const std::string_view text(mountinfo);
  for (size_t begin = 0; begin < text.size();) {
    size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    const std::string_view line = text.substr(begin, end - begin);
    begin = end + 1;
    size_t at = 0;
    std::string_view fields[6];
    for (std::string_view& f : fields) {
      f = Field(line, &at);  // id, parent, device, root, mount point, mount options
    }
    for (std::string_view word = Field(line, &at); !word.empty() && word != "-"; word = Field(line, &at)) {
      // optional fields, up to the separator
    }
    const std::string_view type = Field(line, &at);
    Field(line, &at);  // source
    const std::string_view super = Field(line, &at);
    const std::string_view root = fields[3];
    const std::string_view point = fields[4];
    if ((type != "cgroup" && type != "cgroup2") || root != "/" || point.empty() ||
        point.find('\\') != std::string_view::npos) {
      continue;  // not a cgroup file system, a bind of part of one, or a path with escaped characters
    }
    std::string kept;
    if (type == "cgroup") {
      for (size_t from = 0; from <= super.size();) {
        size_t comma = super.find(',', from);
        if (comma == std::string_view::npos) {
          comma = super.size();
        }
        const std::string_view option = super.substr(from, comma - from);
        if (option != "rw" && option != "ro" && !option.empty()) {
          if (!kept.empty()) {
            kept += ',';
          }
          kept.append(option);
        }
        from = comma + 1;
      }
    }
    out.push_back({std::string(point), std::string(type), std::move(kept)});
  }
  return out;
}

HostCgroupMounts& HostCgroupMounts::Get() {
  static HostCgroupMounts* instance = new HostCgroupMounts();  // never destroyed: used by threads until exit
  return *instance;
}

std::string HostCgroupMounts::Current(std::vector<HostCgroupMount>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  if (valid_) {
    // POLLPRI (with POLLERR) once the mount table changed since the last poll
    // or the open; it then resets, so the read below is the one that sees
    // the change. A change during the read is reported to the next poll.
    struct pollfd p = {fd_.get(), POLLPRI, 0};
    int n;
    do {
      n = poll(&p, 1, 0);
    } while (n < 0 && errno == EINTR);
    if (n != 0) {
      valid_ = false;  // changed, or the poll failed: read again
    }
  }
  if (!valid_) {
    if (auto e = Read(); !e.empty()) {
      return e;
    }
  }
  *out = mounts_;
  return {};
}

std::string HostCgroupMounts::Read() {
  if (!fd_) {
    fd_.reset(open(path_.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd_) {
      return "reading " + path_ + ": " + strerror(errno);
    }
  }
  std::string text;
  char buf[16384];
  for (off_t offset = 0;;) {
    // pread from 0 each time: the kernel regenerates the text from the mount table.
    const ssize_t n = pread(fd_.get(), buf, sizeof(buf), offset);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      const std::string e = "reading " + path_ + ": " + strerror(errno);
      fd_.reset();
      return e;
    }
    if (n == 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
    offset += n;
  }
  mounts_ = ParseHostCgroupMounts(text);
  valid_ = true;
  ++reads_;
  return {};
}

uint64_t HostCgroupMounts::reads() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reads_;
}

void HostCgroupMounts::ResetForTesting(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  path_ = path;
  fd_.reset();
  valid_ = false;
  mounts_.clear();
}

}  // namespace zviz::broker

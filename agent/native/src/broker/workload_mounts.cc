#include "broker/workload_mounts.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>

#include "broker/kernel.h"
#include "common/unique_fd.h"

namespace zviz::broker {
namespace {

/** Mount ids (first field) of a mountinfo file. */
bool ParseMountinfo(int proc, std::vector<uint64_t>* out) {
  UniqueFd fd(openat(proc, "thread-self/mountinfo", O_RDONLY | O_CLOEXEC));
  if (!fd) {
    return false;
  }
  std::string text;
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd.get(), buf, sizeof(buf));
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      break;
    }
    text.append(buf, static_cast<size_t>(n));
  }
  out->clear();
  for (size_t at = 0; at < text.size();) {
    out->push_back(std::strtoull(text.c_str() + at, nullptr, 10));
    const size_t next = text.find('\n', at);
    at = next == std::string::npos ? text.size() : next + 1;
  }
  return !out->empty();
}

}  // namespace

bool WorkloadMounts::Load(int proc) {
  proc_ = proc;
  mask_ = STATX_MNT_ID_UNIQUE;
  if (List()) {
    return true;
  }
  mask_ = STATX_MNT_ID;
  return List();
}

bool WorkloadMounts::List() {
  if (mask_ == STATX_MNT_ID_UNIQUE) {
    sys::MntIdReq req = {};
    req.size = sizeof(req);
    req.mnt_id = LSMT_ROOT;
    std::vector<uint64_t> ids(ids_.empty() ? 256 : ids_.size() * 2);
    for (;;) {
      long n = sys::Listmount(&req, ids.data(), ids.size());
      if (n < 0) {
        return false;
      }
      if (static_cast<size_t>(n) < ids.size()) {
        ids.resize(static_cast<size_t>(n));
        break;
      }
      ids.resize(ids.size() * 2);  // may have been cut short: list again with more room
    }
    std::sort(ids.begin(), ids.end());
    ids_ = std::move(ids);
    return !ids_.empty();
  }
  std::vector<uint64_t> ids;
  if (!ParseMountinfo(proc_, &ids)) {
    return false;
  }
  std::sort(ids.begin(), ids.end());
  ids_ = std::move(ids);
  return true;
}

bool WorkloadMounts::Contains(uint64_t id) {
  if (std::binary_search(ids_.begin(), ids_.end(), id)) {
    return true;
  }
  ++reloads_;
  return List() && std::binary_search(ids_.begin(), ids_.end(), id);
}

}  // namespace zviz::broker

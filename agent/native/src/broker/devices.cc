#include "broker/devices.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cstdlib>

namespace zviz::broker {
namespace {

/** "*" or a decimal number; false when neither. */
bool ReadNumber(const std::string& text, int64_t* out) {
  if (text == "*") {
    *out = -1;
    return true;
  }
  if (text.empty() || text.size() > 10) {
    return false;
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return false;
    }
  }
  *out = std::strtoll(text.c_str(), nullptr, 10);
  return true;
}

}  // namespace

std::string DeviceList::Parse(const std::vector<std::string>& rules, DeviceList* out) {
  out->rules_.clear();
  for (const std::string& text : rules) {
    // TYPE MAJOR:MINOR ACCESS
    const size_t space = text.find(' ');
    const size_t colon = text.find(':');
    const size_t second = text.find(' ', space == std::string::npos ? 0 : space + 1);
    if (space != 1 || colon == std::string::npos || second == std::string::npos || colon > second ||
        (text[0] != 'c' && text[0] != 'b')) {
      return "device rule \"" + text + "\": expected TYPE MAJOR:MINOR ACCESS (c 1:3 rw)";
    }
    Rule rule = {text[0], 0, 0, false, false};
    if (!ReadNumber(text.substr(2, colon - 2), &rule.major) ||
        !ReadNumber(text.substr(colon + 1, second - colon - 1), &rule.minor)) {
      return "device rule \"" + text + "\": a device number is a decimal number or *";
    }
    for (char c : text.substr(second + 1)) {
      if (c == 'r') rule.read = true;
      else if (c == 'w') rule.write = true;
      else if (c != 'm') return "device rule \"" + text + "\": access is made of r, w and m";
    }
    out->rules_.push_back(rule);
  }
  return {};
}

bool DeviceList::Allows(mode_t mode, unsigned major, unsigned minor, bool read, bool write) const {
  const char type = S_ISCHR(mode) ? 'c' : S_ISBLK(mode) ? 'b' : 0;
  if (type == 0) {
    return true;
  }
  // As the kernel's device cgroup: one rule must grant all of the access asked for.
  for (const Rule& rule : rules_) {
    if (rule.type == type && (rule.major < 0 || rule.major == major) && (rule.minor < 0 || rule.minor == minor) &&
        (!read || rule.read) && (!write || rule.write)) {
      return true;
    }
  }
  return false;
}

void DeviceAccess(uint64_t open_flags, bool* read, bool* write) {
  const uint64_t mode = open_flags & O_ACCMODE;
  *read = mode == O_RDONLY || mode == O_RDWR;
  *write = mode == O_WRONLY || mode == O_RDWR || (open_flags & O_TRUNC) != 0;
}

}  // namespace zviz::broker

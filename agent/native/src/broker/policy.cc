#include "broker/policy.h"

#include <netinet/in.h>
#include <sys/un.h>

#include <algorithm>
#include <cstddef>
#include <cstring>

#include "broker/destinations.h"
#include "broker/syscall_table.h"

namespace zviz::broker {

const char* DecisionName(Decision decision) {
  static const char* const kNames[] = {"allow", "emulate", "log", "deny", "trap", "kill"};
  return kNames[static_cast<size_t>(decision)];
}

const char* LayerName(Layer layer) {
  static const char* const kNames[] = {"seccomp", "broker", "cgroup"};
  return kNames[static_cast<size_t>(layer)];
}

Kind KindOfName(std::string_view name) {
  if (name == "open") return Kind::kOpen;
  if (name == "openat") return Kind::kOpenat;
  if (name == "openat2") return Kind::kOpenat2;
  if (name == "creat") return Kind::kCreat;
  if (name == "execve") return Kind::kExecve;
  if (name == "execveat") return Kind::kExecveat;
  if (name == "umask") return Kind::kUmask;
  return DestinationKind(name);
}

bool IsDestinationKind(Kind kind) {
  return kind == Kind::kConnect || kind == Kind::kSendto || kind == Kind::kSendmsg || kind == Kind::kSendmmsg ||
         kind == Kind::kSocketcall;
}

bool IsOpenKind(Kind kind) {
  return kind == Kind::kOpen || kind == Kind::kOpenat || kind == Kind::kOpenat2 || kind == Kind::kCreat;
}

bool PathHasPrefix(std::string_view path, std::string_view prefix) {
  if (prefix.empty() || path.size() < prefix.size() || path.compare(0, prefix.size(), prefix) != 0) {
    return false;
  }
  if (path.size() == prefix.size()) {
    return true;
  }
  const char last = prefix.back();
  return last == '/' || last == ':' || path[prefix.size()] == '/';
}

namespace {

bool NetworkMatches(const Network& net, const struct sockaddr* address, socklen_t len) {
  const uint8_t* bytes = nullptr;
  int port = 0;
  size_t width = 0;
  if (address->sa_family == AF_INET && net.family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    bytes = reinterpret_cast<const uint8_t*>(&in->sin_addr);
    port = ntohs(in->sin_port);
    width = 4;
  } else if (address->sa_family == AF_INET6 && net.family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    bytes = reinterpret_cast<const uint8_t*>(&in6->sin6_addr);
    port = ntohs(in6->sin6_port);
    width = 16;
  } else {
    return false;
  }
  if (net.port != 0 && net.port != port) {
    return false;
  }
  int bits = net.prefix;
  for (size_t i = 0; i < width && bits > 0; ++i, bits -= 8) {
    const uint8_t mask = bits >= 8 ? 0xff : static_cast<uint8_t>(0xff << (8 - bits));
    if ((bytes[i] & mask) != (net.addr[i] & mask)) {
      return false;
    }
  }
  return true;
}

/** The AF_UNIX path of an address, with '@' for the abstract namespace; empty when not AF_UNIX. */
std::string UnixPath(const struct sockaddr* address, socklen_t len) {
  if (address->sa_family != AF_UNIX || len <= offsetof(sockaddr_un, sun_path)) {
    return {};
  }
  const auto* un = reinterpret_cast<const sockaddr_un*>(address);
  size_t n = len - offsetof(sockaddr_un, sun_path);
  if (n > sizeof(un->sun_path)) {
    n = sizeof(un->sun_path);
  }
  if (n > 0 && un->sun_path[0] == '\0') {
    return "@" + std::string(un->sun_path + 1, n - 1);
  }
  return std::string(un->sun_path, strnlen(un->sun_path, n));
}

}  // namespace

Policy::Policy(std::vector<Rule> rules, Outcome fallback, bool umask_notified)
    : rules_(std::move(rules)), fallback_(fallback), umask_notified_(umask_notified) {
  const size_t n = SyscallTable::Get().size();
  connect_ = SyscallTable::Get().IndexOf("connect");
  fixed_.assign(n * 3, Fixedness{true, fallback_});
  brokered_.assign(n, false);
  for (const Rule& rule : rules_) {
    for (uint16_t s : rule.syscalls) {
      brokered_[s] = true;
    }
  }
  for (size_t s = 0; s < n; ++s) {
    if (!brokered_[s]) {
      continue;
    }
    for (Access access : {Access::kRead, Access::kWrite}) {
      Fixedness& entry = fixed_[s * 3 + static_cast<size_t>(access)];
      for (const Rule& rule : rules_) {
        const bool applies = std::find(rule.syscalls.begin(), rule.syscalls.end(), s) != rule.syscalls.end() &&
                             (rule.access == Access::kAny || rule.access == access);
        if (!applies) {
          continue;
        }
        if (rule.HasPointerCriteria()) {
          entry.fixed = false;
        } else {
          entry.outcome = Outcome{rule.decision, rule.errno_value, rule.index};
        }
        break;
      }
    }
  }
}

bool Policy::Brokers(uint16_t syscall) const { return syscall < brokered_.size() && brokered_[syscall]; }

const Outcome* Policy::Fixed(uint16_t syscall, Access access) const {
  if (access == Access::kAny) {
    access = Access::kRead;  // non-file syscalls: rules with access "any" only, identical for both
  }
  const size_t slot = static_cast<size_t>(syscall) * 3 + static_cast<size_t>(access);
  if (slot >= fixed_.size()) {
    return &fallback_;
  }
  const Fixedness& entry = fixed_[slot];
  return entry.fixed ? &entry.outcome : nullptr;
}

bool Policy::Matches(const Rule& rule, uint16_t syscall, Access access, std::string_view path,
                     const struct sockaddr* address, socklen_t address_len) const {
  if (std::find(rule.syscalls.begin(), rule.syscalls.end(), syscall) == rule.syscalls.end()) {
    return false;
  }
  if (rule.access != Access::kAny && access != Access::kAny && rule.access != access) {
    return false;
  }
  if (!rule.paths.empty()) {
    bool any = false;
    for (const std::string& prefix : rule.paths) {
      if (PathHasPrefix(path, prefix)) {
        any = true;
        break;
      }
    }
    if (!any) {
      return false;
    }
  }
  if (!rule.networks.empty() || !rule.unix_paths.empty()) {
    if (address == nullptr) {
      return false;
    }
    bool any = false;
    for (const Network& net : rule.networks) {
      if (NetworkMatches(net, address, address_len)) {
        any = true;
        break;
      }
    }
    if (!any && !rule.unix_paths.empty()) {
      const std::string unix_path = UnixPath(address, address_len);
      for (const std::string& prefix : rule.unix_paths) {
        if (!unix_path.empty() && unix_path.compare(0, prefix.size(), prefix) == 0) {
          any = true;
          break;
        }
      }
    }
    if (!any) {
      return false;
    }
  }
  return true;
}

Outcome Policy::Decide(uint16_t syscall, Access access, std::string_view path, const struct sockaddr* address,
                       socklen_t address_len) const {
  for (const Rule& rule : rules_) {
    if (Matches(rule, syscall, access, path, address, address_len)) {
      return Outcome{rule.decision, rule.errno_value, rule.index};
    }
  }
  return fallback_;
}

}  // namespace zviz::broker

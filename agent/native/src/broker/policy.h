// The broker's rules (the `zviz.broker` part of a profile) and how a
// notification is decided by them. A Policy is built once per container
// start and never changes afterwards, so supervisor threads read it without
// locks.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace zviz::broker {

/** Same order as DECISIONS in packages/shared/src/agent-api.ts. */
enum class Decision : uint8_t { kAllow = 0, kEmulate, kLog, kDeny, kTrap, kKill };
constexpr size_t kDecisionCount = 6;
const char* DecisionName(Decision decision);

/** Whether a decision refused the syscall (zviz_security_denials_total). */
inline bool IsRefusal(Decision d) { return d == Decision::kDeny || d == Decision::kKill || d == Decision::kTrap; }

/** Same order as DENIAL_LAYERS in packages/shared/src/agent-api.ts. */
enum class Layer : uint8_t { kSeccomp = 0, kBroker, kCgroup };
constexpr size_t kLayerCount = 3;
const char* LayerName(Layer layer);

enum class Access : uint8_t { kAny = 0, kRead, kWrite };

/** How the broker reads a brokered syscall's arguments. */
enum class Kind : uint8_t {
  kGeneric,
  kOpen,
  kOpenat,
  kOpenat2,
  kCreat,
  kExecve,
  kExecveat,
  kConnect,
  // Judged by the rules on `connect` when they carry an address (broker/destinations.h).
  kSendto,
  kSendmsg,
  kSendmmsg,
  kSocketcall,
  // Noted by the supervisor before it is let through (umask_tracker.h).
  kUmask,
};
Kind KindOfName(std::string_view name);
bool IsOpenKind(Kind kind);
/** connect, and the forms that carry a peer's address, judged by the rules on connect. */
bool IsDestinationKind(Kind kind);

struct Network {
  int family = AF_UNSPEC;  // AF_INET or AF_INET6
  uint8_t addr[16] = {};
  int prefix = 0;
  int port = 0;  // 0: any port
};

struct Rule {
  std::vector<uint16_t> syscalls;  // SyscallTable indices
  Access access = Access::kAny;
  std::vector<std::string> paths;  // absolute prefixes; a prefix ending in ':' or '/' matches as plain text
  std::vector<Network> networks;
  std::vector<std::string> unix_paths;  // prefixes of AF_UNIX socket paths ('@' starts an abstract name)
  Decision decision = Decision::kAllow;  // kAllow, kLog, kDeny or kKill
  int errno_value = 0;
  int index = -1;  // position in the profile's zviz.broker array

  bool HasPointerCriteria() const { return !paths.empty() || !networks.empty() || !unix_paths.empty(); }
};

struct Outcome {
  Decision decision = Decision::kAllow;
  int errno_value = 0;
  int rule = -1;  // -1: no rule matched, the default decision
};

class Policy {
 public:
  Policy(std::vector<Rule> rules, Outcome fallback, bool umask_notified = false);

  /**
   * The outcome for a syscall and access class when no rule that could apply
   * looks at pointer arguments (paths, addresses): such decisions cannot be
   * raced by the workload. nullptr when the pointer contents decide.
   */
  const Outcome* Fixed(uint16_t syscall, Access access) const;

  /** First matching rule, in profile order; `path` or `address` may be empty. */
  Outcome Decide(uint16_t syscall, Access access, std::string_view path, const struct sockaddr* address,
                 socklen_t address_len) const;

  bool Brokers(uint16_t syscall) const;

  /**
   * The filter notifies every umask(2) call that could succeed, on every
   * ABI (compile.ts): the supervisor then knows the workload's umask
   * (umask_tracker.h). False: every emulated create reads it from /proc.
   */
  bool umask_notified() const { return umask_notified_; }

  /** SyscallTable index of `connect`, whose rules judge every way of reaching a peer. */
  uint16_t connect() const { return connect_; }

 private:
  bool Matches(const Rule& rule, uint16_t syscall, Access access, std::string_view path,
               const struct sockaddr* address, socklen_t address_len) const;

  std::vector<Rule> rules_;
  Outcome fallback_;
  bool umask_notified_ = false;
  // Per syscall index: three entries (kAny unused, kRead, kWrite), each
  // either a fixed outcome or "depends on pointer contents".
  struct Fixedness {
    bool fixed = true;
    Outcome outcome;
  };
  std::vector<Fixedness> fixed_;  // size: table size * 3
  std::vector<bool> brokered_;
  uint16_t connect_ = 0;
};

/** `path` equals `prefix` or lies below it; a prefix ending in '/' or ':' matches as plain text. */
bool PathHasPrefix(std::string_view path, std::string_view prefix);

}  // namespace zviz::broker

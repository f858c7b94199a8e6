// Every call that names a peer, judged by the broker rules on connect
// (supervisor.h; destinations.h reads the addresses of each form): connect,
// sendto, sendmsg and sendmmsg with an address, and the i386 socketcall
// forms. The addresses are read once; the kernel reads them again after
// CONTINUE, so the decision is an observation and the network namespace is
// the boundary (docs/security.md).
#include <algorithm>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include "broker/destinations.h"
#include "broker/notif_answer.h"
#include "broker/supervisor.h"

namespace zviz::broker {
namespace {

/** An address as events show it ("10.0.0.1:53", "[::1]:80", "unix:/run/x", "unix:@abstract"). */
std::string FormatAddress(const struct sockaddr_storage& ss, socklen_t len) {
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    return std::string(text) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return "[" + std::string(text) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  if (ss.ss_family == AF_UNIX && len > offsetof(sockaddr_un, sun_path)) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(&ss);
    size_t n = std::min<size_t>(len - offsetof(sockaddr_un, sun_path), sizeof(un->sun_path));
    if (n > 0 && un->sun_path[0] == '\0') {
      // An abstract name is as long as the address says and may hold NUL
      // bytes (a workload passing sizeof(sockaddr_un) pads it with them):
      // shown as '@', as ss(8) shows them. A NUL must never reach an event
      // string, where it separates strings (events.cc).
      std::string name(un->sun_path + 1, n - 1);
      std::replace(name.begin(), name.end(), '\0', '@');
      return "unix:@" + name;
    }
    return "unix:" + std::string(un->sun_path, strnlen(un->sun_path, n));
  }
  return "family " + std::to_string(ss.ss_family);
}

}  // namespace

void Supervisor::HandleConnect(const struct seccomp_notif& req, uint16_t syscall, Kind kind, uint64_t t0) {
  Target target(listener_.get(), req.id, static_cast<pid_t>(req.pid));
  Answer answer;
  const Destinations destinations = ReadDestinations(req, kind, target);
  answer.note = destinations.form;
  if (destinations.none) {
    // No address: the call goes to the socket's peer, judged when it connected.
    answer.how = Answer::How::kContinue;
    answer.decision = Decision::kAllow;
    Deliver(req, syscall, answer, t0);
    return;
  }
  const uint16_t connect = options_.policy->connect();
  const Outcome* fixed = options_.policy->Fixed(connect, Access::kAny);
  Outcome outcome = fixed != nullptr ? *fixed : Outcome{};
  bool first = true;
  bool unread = false;
  for (const Destination& d : destinations.items) {
    const auto* address = reinterpret_cast<const struct sockaddr*>(&d.address);
    // The kernel fails an unmapped address (EFAULT/EINVAL) when CONTINUEd,
    // but reads memory closed to the broker (memfd_secret's) as any other:
    // rules that judge addresses cannot judge it, so the call is refused
    // with the kernel's errno for an address it cannot read.
    Outcome here = fixed != nullptr ? *fixed
                   : d.readable     ? options_.policy->Decide(connect, Access::kAny, "", address, d.length)
                                    : options_.policy->Decide(connect, Access::kAny, "", nullptr, 0);
    if (d.unread && fixed == nullptr && !IsRefusal(here.decision)) {
      here = Outcome{Decision::kDeny, EFAULT, -1};
    }
    if (first || (IsRefusal(here.decision) && !IsRefusal(outcome.decision)) ||
        (here.decision == Decision::kLog && outcome.decision == Decision::kAllow)) {
      // The record names the address that decided: the first, or the first refused.
      outcome = here;
      answer.address = d.readable ? FormatAddress(d.address, d.length) : std::string();
      unread = d.unread;
    }
    first = false;
    if (IsRefusal(outcome.decision)) {
      break;
    }
  }
  if (unread) {
    // The record says why it names no address (docs/security.md, "Emulated opens").
    answer.note = (answer.note.empty() ? "" : answer.note + ": ") + kUnreadableAddressNote;
  }
  answer.FromOutcome(outcome);
  Deliver(req, syscall, answer, t0);
}

}  // namespace zviz::broker

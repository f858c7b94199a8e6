#include "broker/destinations.h"

#include <linux/audit.h>
#include <linux/net.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstring>

#include "broker/kernel.h"

namespace zviz::broker {
namespace {

// The i386 and x32 layouts (compat_msghdr, compat_mmsghdr): 32-bit pointers.
struct CompatMsghdr {
  uint32_t name;
  int32_t namelen;
  uint32_t iov;
  uint32_t iovlen;
  uint32_t control;
  uint32_t controllen;
  uint32_t flags;
};
struct CompatMmsghdr {
  CompatMsghdr hdr;
  uint32_t len;
};

// The kernel takes at most UIO_MAXIOV messages per sendmmsg.
constexpr uint64_t kMaxMessages = 1024;

bool Compat(const struct seccomp_notif& req) {
  return req.data.arch == AUDIT_ARCH_I386 ||
         (req.data.arch == AUDIT_ARCH_X86_64 && (req.data.nr & __X32_SYSCALL_BIT) != 0);
}

/** A netlink address of the kernel (nl_pid 0): not a peer anyone could be reached through. */
bool Kernel(const Destination& d) {
  if (!d.readable || d.address.ss_family != AF_NETLINK || d.length < sizeof(struct sockaddr_nl)) {
    return false;
  }
  struct sockaddr_nl nl;
  std::memcpy(&nl, &d.address, sizeof(nl));
  return nl.nl_pid == 0;
}

void Add(Destinations* out, const Target& target, uint64_t address, uint64_t length) {
  if (address == 0 || length == 0) {
    return;  // no address: the connected peer
  }
  Destination d;
  d.length = static_cast<socklen_t>(std::min<uint64_t>(static_cast<uint32_t>(length), sizeof(d.address)));
  d.readable = d.length >= sizeof(sa_family_t) && target.Read(address, &d.address, d.length) == 0;
  d.unread = !d.readable && d.length >= sizeof(sa_family_t);
  if (Kernel(d)) {
    return;  // routing and interface queries (getifaddrs) talk to the kernel, in the container's namespace
  }
  out->none = false;
  out->items.push_back(d);
}

/** The messages of sendmsg (count 1) or sendmmsg, native or compat layout. */
void AddMessages(Destinations* out, const Target& target, uint64_t messages, uint64_t count, bool compat,
                 bool multiple) {
  count = std::min(count, kMaxMessages);
  if (messages == 0 || count == 0) {
    return;
  }
  const size_t stride = compat ? (multiple ? sizeof(CompatMmsghdr) : sizeof(CompatMsghdr))
                               : (multiple ? sizeof(struct mmsghdr) : sizeof(struct msghdr));
  std::vector<char> buffer(stride * count);
  if (target.Read(messages, buffer.data(), buffer.size()) != 0) {
    // Unreadable: unmapped (the kernel fails the call too) or closed to the broker.
    Destination d;
    d.unread = true;
    out->none = false;
    out->items.push_back(d);
    return;
  }
  for (uint64_t i = 0; i < count; ++i) {
    const char* at = buffer.data() + i * stride;
    if (compat) {
      CompatMsghdr h;
      std::memcpy(&h, at, sizeof(h));
      Add(out, target, h.name, h.namelen < 0 ? 0 : static_cast<uint64_t>(h.namelen));
    } else {
      struct msghdr h;
      std::memcpy(&h, at, sizeof(h));
      Add(out, target, reinterpret_cast<uint64_t>(h.msg_name), h.msg_namelen);
    }
  }
}

}  // namespace

Kind DestinationKind(std::string_view name) {
  if (name == "connect") return Kind::kConnect;
  if (name == "sendto") return Kind::kSendto;
  if (name == "sendmsg") return Kind::kSendmsg;
  if (name == "sendmmsg") return Kind::kSendmmsg;
  if (name == "socketcall") return Kind::kSocketcall;
  return Kind::kGeneric;
}

Destinations ReadDestinations(const struct seccomp_notif& req, Kind kind, const Target& target) {
  const __u64* a = req.data.args;
  const bool compat = Compat(req);
  Destinations out;
  switch (kind) {
    case Kind::kConnect:
      Add(&out, target, a[1], a[2]);
      if (out.items.empty() && (a[1] == 0 || a[2] == 0)) {
        // A NULL address fails in the kernel; the rules still judge the call.
        out.none = false;
        out.items.push_back(Destination{});
      }
      break;
    case Kind::kSendto:
      Add(&out, target, a[4], a[5]);
      break;
    case Kind::kSendmsg:
      AddMessages(&out, target, a[1], 1, compat, false);
      break;
    case Kind::kSendmmsg:
      AddMessages(&out, target, a[1], a[2], compat, true);
      break;
    case Kind::kSocketcall: {
      uint32_t args[6] = {};
      const int call = static_cast<int>(a[0]);
      const size_t wanted = call == SYS_SENDTO ? 6 : 3;
      if (call != SYS_CONNECT && call != SYS_SENDTO && call != SYS_SENDMSG && call != SYS_SENDMMSG) {
        break;  // names no peer
      }
      out.form = call == SYS_CONNECT ? "socketcall(SYS_CONNECT)"
                 : call == SYS_SENDTO ? "socketcall(SYS_SENDTO)"
                 : call == SYS_SENDMSG ? "socketcall(SYS_SENDMSG)"
                                       : "socketcall(SYS_SENDMMSG)";
      if (target.Read(a[1], args, wanted * sizeof(uint32_t)) != 0) {
        Destination d;
        d.unread = true;
        out.none = false;
        out.items.push_back(d);
        break;
      }
      if (call == SYS_CONNECT) {
        Add(&out, target, args[1], args[2]);
        if (out.items.empty() && (args[1] == 0 || args[2] == 0)) {
          out.none = false;
          out.items.push_back(Destination{});
        }
      } else if (call == SYS_SENDTO) {
        Add(&out, target, args[4], args[5]);
      } else if (call == SYS_SENDMSG) {
        AddMessages(&out, target, args[1], 1, true, false);
      } else {
        AddMessages(&out, target, args[1], args[2], true, true);
      }
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace zviz::broker

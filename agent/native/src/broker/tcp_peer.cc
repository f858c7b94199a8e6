#include "broker/tcp_peer.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "common/unique_fd.h"

namespace zviz::broker {
namespace {

/** Parses `text` as IPv4 (also "::ffff:a.b.c.d") or IPv6 into `out` (16 bytes); the family, or 0. */
int ParseAddress(const std::string& text, uint32_t out[4]) {
  std::memset(out, 0, 16);
  std::string v4 = text.rfind("::ffff:", 0) == 0 && text.find('.') != std::string::npos ? text.substr(7) : text;
  if (inet_pton(AF_INET, v4.c_str(), out) == 1) {
    return AF_INET;
  }
  if (inet_pton(AF_INET6, text.c_str(), out) == 1) {
    return AF_INET6;
  }
  return 0;
}

/** One exact lookup; true with `cgroup` set when the socket was found and carried its cgroup id. */
bool Lookup(int family, const uint32_t peer[4], uint16_t peer_port, const uint32_t local[4], uint16_t local_port,
            uint64_t* cgroup) {
  UniqueFd nl(socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
  if (!nl) {
    return false;
  }
  struct {
    struct nlmsghdr nlh;
    struct inet_diag_req_v2 req;
  } msg = {};
  msg.nlh.nlmsg_len = sizeof(msg);
  msg.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
  msg.nlh.nlmsg_flags = NLM_F_REQUEST;  // one socket, by its four-tuple
  msg.req.sdiag_family = static_cast<uint8_t>(family);
  msg.req.sdiag_protocol = IPPROTO_TCP;
  msg.req.idiag_states = ~0U;
  // The peer's socket: its own end is the peer address, its remote end ours.
  msg.req.id.idiag_sport = htons(peer_port);
  msg.req.id.idiag_dport = htons(local_port);
  std::memcpy(msg.req.id.idiag_src, peer, 16);
  std::memcpy(msg.req.id.idiag_dst, local, 16);
  msg.req.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
  msg.req.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
  struct sockaddr_nl kernel = {};
  kernel.nl_family = AF_NETLINK;
  if (sendto(nl.get(), &msg, sizeof(msg), 0, reinterpret_cast<struct sockaddr*>(&kernel), sizeof(kernel)) < 0) {
    return false;
  }
  struct pollfd p = {nl.get(), POLLIN, 0};
  if (poll(&p, 1, 1000) != 1) {
    return false;
  }
  alignas(struct nlmsghdr) char buf[8192];
  const ssize_t got = recv(nl.get(), buf, sizeof(buf), 0);
  if (got <= 0) {
    return false;
  }
  auto left = static_cast<unsigned>(got);
  for (auto* h = reinterpret_cast<struct nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
    if (h->nlmsg_type != SOCK_DIAG_BY_FAMILY) {
      return false;  // NLMSG_ERROR: no such socket here
    }
    auto* diag = static_cast<struct inet_diag_msg*>(NLMSG_DATA(h));
    auto len = static_cast<int>(h->nlmsg_len - NLMSG_LENGTH(sizeof(*diag)));
    for (auto* a = reinterpret_cast<struct rtattr*>(diag + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
      if (a->rta_type == INET_DIAG_CGROUP_ID && RTA_PAYLOAD(a) >= sizeof(uint64_t)) {
        std::memcpy(cgroup, RTA_DATA(a), sizeof(uint64_t));
        return true;
      }
    }
    return false;
  }
  return false;
}

}  // namespace

Napi::Value TcpPeerCgroup(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsString() || !info[3].IsNumber()) {
    Napi::TypeError::New(env, "tcpPeerCgroup(peerAddress, peerPort, localAddress, localPort)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  uint32_t peer[4];
  uint32_t local[4];
  const int family = ParseAddress(info[0].As<Napi::String>().Utf8Value(), peer);
  if (family == 0 || ParseAddress(info[2].As<Napi::String>().Utf8Value(), local) != family) {
    return env.Undefined();
  }
  uint64_t cgroup = 0;
  if (!Lookup(family, peer, static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value()), local,
              static_cast<uint16_t>(info[3].As<Napi::Number>().Uint32Value()), &cgroup)) {
    return env.Undefined();
  }
  return Napi::String::New(env, std::to_string(cgroup));
}

}  // namespace zviz::broker

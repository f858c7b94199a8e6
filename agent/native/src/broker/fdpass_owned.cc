// ReceiveWithFds (fdpass.h): one recvmsg whose descriptors the answer owns,
// for the agent's side. Apart from fdpass.cc, which zviz-spawn links and
// which may allocate nothing.
#include "broker/fdpass.h"

namespace zviz::broker {

Received ReceiveWithFds(int sock, void* data, size_t size, int flags, size_t max_fds) {
  int fds[kMaxFdsPerMessage];
  const ReceivedInto raw = ReceiveWithFdsInto(sock, data, size, flags, fds, max_fds);
  Received out;
  out.bytes = raw.bytes;
  out.error = raw.error;
  out.truncated = raw.truncated;
  out.sender = raw.sender;
  out.fds.reserve(raw.fd_count);
  for (size_t i = 0; i < raw.fd_count; ++i) {
    out.fds.emplace_back(fds[i]);
  }
  return out;
}

}  // namespace zviz::broker

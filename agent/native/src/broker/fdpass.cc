// SCM_RIGHTS on unix sockets (fdpass.h): the one recvmsg and sendmsg with
// descriptors in the broker. Free of Node's headers and of allocation, so
// zviz-spawn links it too (test/architecture/native-children.test.ts checks
// its object); the owning ReceiveWithFds is fdpass_owned.cc, the JavaScript
// surface fdpass_js.cc.
#include "broker/fdpass.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace zviz::broker {

ReceivedInto ReceiveWithFdsInto(int sock, void* data, size_t size, int flags, int* fds, size_t max_fds) {
  ReceivedInto out;
  if (max_fds > kMaxFdsPerMessage) {
    out.error = EINVAL;
    return out;
  }
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage) + CMSG_SPACE(sizeof(struct ucred))] = {};
  struct iovec iov = {data, size};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  // The room offered is what bounds the descriptors the kernel hands over.
  msg.msg_controllen = CMSG_SPACE(sizeof(int) * max_fds) + CMSG_SPACE(sizeof(struct ucred));
  ssize_t n;
  do {
    n = recvmsg(sock, &msg, flags | MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    out.error = errno;
    return out;
  }
  out.bytes = n;
  out.truncated = (msg.msg_flags & MSG_CTRUNC) != 0;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET) {
      continue;
    }
    if (c->cmsg_type == SCM_RIGHTS) {
      const size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (size_t i = 0; i < count; ++i) {
        int fd;
        std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (out.fd_count < max_fds) {
          fds[out.fd_count++] = fd;
        } else {
          close(fd);  // more than the room offered: not ours to keep
          out.truncated = true;
        }
      }
    } else if (c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred cred;
      std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
      out.sender = cred.pid;
    }
  }
  return out;
}

ssize_t SendWithFds(int sock, const void* data, size_t size, const int* fds, size_t count) {
  if (count > kMaxFdsPerMessage) {
    errno = EINVAL;
    return -1;
  }
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerMessage)] = {};
  struct iovec iov = {const_cast<void*>(data), size};
  struct msghdr msg = {};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  if (count > 0) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * count);
    struct cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * count);
    std::memcpy(CMSG_DATA(c), fds, sizeof(int) * count);
  }
  ssize_t n;
  do {
    n = sendmsg(sock, &msg, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n;
}

}  // namespace zviz::broker

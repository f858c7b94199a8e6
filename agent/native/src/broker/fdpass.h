// Passing descriptors over the agent's unix control socket: `zviz run`
// hands the terminal's stdin, stdout and stderr to the agent (SCM_RIGHTS),
// and the agent checks who is asking (SO_PEERCRED). Node's net module can do
// neither.
#pragma once

#include <napi.h>

namespace zviz::broker {

/** sendWithFds(fd, data: Buffer, fds: number[]): bytes sent; throws on error. */
Napi::Value SendWithFds(const Napi::CallbackInfo& info);
/** recvWithFds(fd, maxBytes, timeoutMs): Promise<{ data: Buffer, fds: number[] }>; the fds are close-on-exec. */
Napi::Value RecvWithFds(const Napi::CallbackInfo& info);
/** peerCredentials(fd): { pid, uid, gid } of the process at the other end. */
Napi::Value PeerCredentials(const Napi::CallbackInfo& info);

}  // namespace zviz::broker

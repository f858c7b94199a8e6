// Passing descriptors over the agent's unix control socket: `zviz run`
// hands the terminal's stdin, stdout and stderr to the agent (SCM_RIGHTS),
// which Node's net module cannot do. Who is asking is peer.h's concern.
#pragma once

#include <napi.h>

namespace zviz::broker {

/** sendWithFds(fd, data: Buffer, fds: number[]): bytes sent; throws on error. */
Napi::Value SendWithFds(const Napi::CallbackInfo& info);
/** recvWithFds(fd, maxBytes, timeoutMs): Promise<{ data: Buffer, fds: number[] }>; the fds are close-on-exec. */
Napi::Value RecvWithFds(const Napi::CallbackInfo& info);

}  // namespace zviz::broker

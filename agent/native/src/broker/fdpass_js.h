// The JavaScript face of fdpass.h, for the control socket (exports.cc): kept
// apart so that fdpass.h, which the spawn's children include, needs none of
// Node's headers.
#pragma once

#include <napi.h>

namespace zviz::broker {

/** sendWithFds(fd, data: Buffer, fds: number[]): bytes sent; throws on error. */
Napi::Value SendWithFdsJs(const Napi::CallbackInfo& info);
/** recvWithFds(fd, maxBytes, timeoutMs): Promise<{ data: Buffer, fds: number[] }>; the fds are close-on-exec. */
Napi::Value RecvWithFdsJs(const Napi::CallbackInfo& info);

}  // namespace zviz::broker

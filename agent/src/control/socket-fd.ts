// The descriptor under a net.Socket, which both ends of the control socket
// pass descriptors over (SCM_RIGHTS, through the broker addon). Its own
// module so that `zviz run` (client.ts) does not load the agent's server.
import type { Socket } from 'node:net';

/** Node does not expose a socket's descriptor; its handle does (stable for years, but private). */
export function socketFd(socket: Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error('cannot get the descriptor of the control connection');
  }
  return fd;
}

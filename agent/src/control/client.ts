// `zviz run`'s end of the control socket: hands the request and the
// terminal's stdio to the agent, forwards signals, and waits for the end.
// node:net and node:readline load only when there is an agent to talk to: a
// standalone run does without them. (With require: the bundle's code runs
// from a vm.Script, where import() of a Node module has no loader.)
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';

import type { BrokerAddon } from '../native/broker-addon';
import { socketFd } from './socket-fd';
import { socketPathProblem, type RunRequest, type ServerMessage } from './protocol';

export const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = [
  'SIGINT',
  'SIGTERM',
  'SIGHUP',
  'SIGQUIT',
  'SIGUSR1',
  'SIGUSR2',
  'SIGWINCH',
];

/**
 * Connects when an agent listens on `path`. `absent` when there is no socket
 * (then `zviz run` works standalone); `unreachable` when a socket is there but
 * nobody answers (an agent that died, or one that refuses this user), which
 * the caller must not pass over in silence.
 */
export async function connectAgent(
  path: string
): Promise<{ socket: Socket } | { absent: true } | { unreachable: string }> {
  if (!existsSync(path)) {
    return { absent: true };
  }
  const tooLong = socketPathProblem(path);
  if (tooLong) {
    return { unreachable: tooLong };
  }
  const { createConnection } = require('node:net') as typeof import('node:net');
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.once('connect', () => resolve({ socket }));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve({ unreachable: error.code ?? error.message }));
  });
}

export interface AgentRunHandlers {
  onMessage(message: ServerMessage): void;
}

/** Runs through the agent; resolves with the `done` or `error` message (or an error when the agent goes away). */
export async function runThroughAgent(
  socket: Socket,
  addon: BrokerAddon,
  request: RunRequest,
  handlers: AgentRunHandlers
): Promise<ServerMessage> {
  const { createInterface } = require('node:readline') as typeof import('node:readline');
  // The terminal goes only to an agent: a program of another user listening
  // at the path (its directory let them put it there) gets nothing.
  const server = addon.peerIdentity(socketFd(socket));
  const ownUid = process.getuid?.() ?? 0;
  if (server.uid !== 0 && server.uid !== ownUid) {
    socket.destroy();
    throw new Error(
      `the control socket is served by a process of uid ${server.uid} (pid ${server.pid}), not by root: not handing it this terminal`
    );
  }
  // An agent that refuses this client (its peer check) answers with an error
  // line and closes at once, often before the request goes out: the send then
  // fails (EPIPE), and the refusal, already in the socket, is what to report.
  let sendError: Error | undefined;
  try {
    addon.sendWithFds(socketFd(socket), Buffer.from(JSON.stringify(request)), [0, 1, 2]);
  } catch (error) {
    sendError = error as Error;
  }
  const forward = (signal: NodeJS.Signals) => {
    if (!socket.destroyed) {
      socket.write(`${JSON.stringify({ type: 'signal', signal })}\n`);
    }
  };
  for (const signal of FORWARDED_SIGNALS) {
    process.on(signal, forward);
  }
  try {
    return await new Promise<ServerMessage>((resolve, reject) => {
      let final: ServerMessage | undefined;
      createInterface({ input: socket }).on('line', (line) => {
        let message: ServerMessage;
        try {
          message = JSON.parse(line) as ServerMessage;
        } catch {
          return;
        }
        handlers.onMessage(message);
        if (message.type === 'done' || message.type === 'error') {
          final = message;
        }
      });
      socket.once('close', () =>
        final
          ? resolve(final)
          : reject(sendError ?? new Error('the agent closed the connection before the workload ended'))
      );
      socket.once('error', (error) => reject(sendError ?? error));
    });
  } finally {
    for (const signal of FORWARDED_SIGNALS) {
      process.off(signal, forward);
    }
    socket.destroy();
  }
}

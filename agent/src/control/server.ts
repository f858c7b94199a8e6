// The agent's end of the control socket. Only root (or the agent's own user)
// may connect: the socket lives in a 0700 directory, is 0600, and every peer
// is checked on its connection (control/peer-guard.ts): its uid, and that it
// is no sandboxed workload (a workload is root too, and through this socket
// could start a container under a looser profile than its own).
import { chmodSync, closeSync, lstatSync, mkdirSync, unlinkSync, type Stats } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';

import { lstatOrUndefined, untrustedDirectory } from '../files/trusted-dir';
import { DEFAULT_RESPONSE_BUDGET_BYTES } from '../server/response-budget';
import { builtinNames } from '../profiles/load';
import { quote } from '../text/quote';
import { ProfileError } from '../profiles/problems';
import { isScopeWarning } from '../profiles/scopes';
import type { Container, ContainerManager } from '../containers/manager';
import { runSession, specFromRequest } from './session';
import type { ProfileCache } from '../profiles/cache';
import type { BrokerAddon, PeerIdentity } from '../native/broker-addon';
import { judgePeer, type PeerRefusal, type PeerRules } from './peer-guard';
import { socketFd } from './socket-fd';
import { checkRunRequest, MAX_REQUEST_BYTES, socketPathProblem, type RunRequest, type ServerMessage } from './protocol';
import { SessionAnswers } from './answers';
import { readLines } from './lines';

export interface ControlServerOptions {
  path: string;
  addon: BrokerAddon;
  manager: ContainerManager;
  /** broker.events: all (allow and emulate decisions published too) for every container. */
  eventsAll?: boolean;
  /** Loaded profiles kept across runs; without it each run loads its profile afresh. */
  profiles?: ProfileCache;
  log: { info(detail: object, message: string): void; warn(detail: object, message: string): void };
  /** Who may connect besides by uid: not the agent's own workloads (default: only the uid is checked). */
  peers?: Omit<PeerRules, 'ownUid'>;
  /** Called for every refused peer (audit record, metric). */
  onRefused?: (refusal: PeerRefusal, peer: PeerIdentity) => void;
  /** Answer bytes held for all clients at once (metrics.response_budget_mb); default 64 MiB. */
  responseBudgetBytes?: number;
}

/** Longest line a client may send once its run has started (a signal line is 40 bytes); longer ones are skipped. */
const MAX_CLIENT_LINE_BYTES = 4096;

async function stale(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(false);
    });
    probe.once('error', () => resolve(true));
  });
}

function kindOf(info: Stats): string {
  if (info.isSymbolicLink()) {
    return 'a symbolic link';
  }
  if (info.isCharacterDevice()) {
    return 'a character device';
  }
  if (info.isBlockDevice()) {
    return 'a block device';
  }
  if (info.isFIFO()) {
    return 'a FIFO';
  }
  if (info.isDirectory()) {
    return 'a directory';
  }
  return 'a regular file';
}

export class ControlServer {
  private server?: Server;
  /** The socket file this server made, so that stop() removes that one and nothing else. */
  private made?: { dev: number; ino: number };
  private readonly sessions = new Set<Socket>();
  /** Answers written and not yet read, against the response budget; a metric source. */
  readonly answers: SessionAnswers;

  constructor(private readonly options: ControlServerOptions) {
    this.answers = new SessionAnswers(options.responseBudgetBytes ?? DEFAULT_RESPONSE_BUDGET_BYTES, (_socket, why) =>
      options.log.warn({}, `control session closed: ${why}`)
    );
  }

  async start(): Promise<void> {
    const { path } = this.options;
    // The schema counts characters; a path of multi-byte characters can pass it and still not fit.
    const tooLong = socketPathProblem(path);
    if (tooLong) {
      throw new Error(`broker.control_socket: ${tooLong}`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // A directory another user can change would let them swap the socket for
    // a link (the chmod below would follow it) or for their own socket, to
    // which `zviz run` would hand its terminal (files/trusted-dir.ts).
    const untrusted = untrustedDirectory(dirname(path));
    if (untrusted) {
      throw new Error(
        `broker.control_socket: ${path} is in a directory another user can change (${untrusted}); give the socket a directory only root can write, as /run/zviz is`
      );
    }
    const existing = lstatOrUndefined(path);
    if (existing) {
      // Only a socket nobody answers on is a leftover of an agent that died.
      // Anything else was put there by someone (a device node, a file, a link
      // to elsewhere): a typo in broker.control_socket must never delete it.
      if (!existing.isSocket()) {
        throw new Error(
          `broker.control_socket: ${path} is ${kindOf(existing)}, not a socket; refusing to remove it (choose another path, or move it away)`
        );
      }
      if (!(await stale(path))) {
        throw new Error(`${path} is in use: another agent is running`);
      }
      unlinkSync(path);
    }
    const server = createServer({ pauseOnConnect: true }, (socket) => void this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(path, 0o600);
    const made = lstatSync(path);
    this.made = { dev: made.dev, ino: made.ino };
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const socket of this.sessions) {
      socket.destroy();
    }
    const server = this.server;
    this.server = undefined;
    if (server) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const made = this.made;
    this.made = undefined;
    try {
      const now = lstatSync(this.options.path);
      if (made && now.isSocket() && now.dev === made.dev && now.ino === made.ino) {
        unlinkSync(this.options.path);
      }
    } catch {
      // Already gone.
    }
  }

  private async accept(socket: Socket): Promise<void> {
    const { addon, manager, log } = this.options;
    // A client may hang up at any moment, even while the agent writes to it
    // (EPIPE, ECONNRESET): that ends its session (the 'close' handler below
    // removes its container), never the agent.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') {
        log.warn({ err: error.message }, 'control connection failed');
      }
    });
    const send = (message: ServerMessage) => {
      this.answers.write(socket, `${JSON.stringify(message)}\n`);
    };
    let fds: number[] = [];
    let request: RunRequest;
    try {
      const fd = socketFd(socket);
      const peer = addon.peerIdentity(fd);
      const refusal = judgePeer(peer, {
        ownUid: process.getuid?.() ?? 0,
        workloads: this.options.peers?.workloads ?? (() => []),
        cgroupGroups: this.options.peers?.cgroupGroups ?? [],
      });
      if (refusal) {
        log.warn(
          { peer_pid: peer.pid, peer_uid: peer.uid, reason: refusal.reason, container: refusal.containerId },
          `control connection refused: ${refusal.message}`
        );
        this.options.onRefused?.(refusal, peer);
        throw new Error(refusal.message);
      }
      const received = await addon.recvWithFds(fd, MAX_REQUEST_BYTES, 5_000);
      fds = received.fds;
      let parsed: unknown;
      try {
        parsed = JSON.parse(received.data.toString('utf8'));
      } catch {
        throw new Error('the request is not JSON');
      }
      const problem = checkRunRequest(parsed) ?? profileProblem((parsed as RunRequest).profile);
      if (problem) {
        throw new Error(problem);
      }
      if (fds.length !== 3) {
        throw new Error(`expected stdin, stdout and stderr with the request, got ${fds.length} descriptors`);
      }
      request = parsed as RunRequest;
    } catch (error) {
      fds.forEach((fd) => closeQuietly(fd));
      send({ type: 'error', message: (error as Error).message });
      // Destroyed, not only ended: the connection is paused, so its end
      // would never be read, and a request not received yet still holds the
      // client's descriptors in the socket's queue (its stdout: its zviz run
      // would never end). Kept, each refused client would cost descriptors;
      // one that does not read the answer gets a few seconds.
      socket.end(() => socket.destroy());
      setTimeout(() => socket.destroy(), 5_000).unref();
      return;
    }

    this.sessions.add(socket);
    socket.resume();
    let container: Container | undefined;
    let ended = false;
    // Lines from the client: signals to forward.
    readLines(socket, MAX_CLIENT_LINE_BYTES, (line) => {
      try {
        const message = JSON.parse(line) as { type?: string; signal?: string };
        if (message.type === 'signal' && typeof message.signal === 'string' && container) {
          manager.signal(container, message.signal as NodeJS.Signals);
        }
      } catch {
        // Not ours to interpret; ignore.
      }
    });
    // The client went away: nobody is attached to the workload's terminal any more.
    socket.once('close', () => {
      this.sessions.delete(socket);
      if (!ended && container) {
        void manager.remove(container).catch(() => undefined);
      }
    });

    try {
      const profile = this.options.profiles?.load(request.profile);
      const spec = specFromRequest(request, [fds[0], fds[1], fds[2]], addon, fds, profile);
      spec.eventsAll = spec.eventsAll === true || this.options.eventsAll === true;
      const { container: c } = await runSession(manager, spec, send, (created) => {
        container = created;
        if (socket.destroyed) {
          // The client hung up while the container was being made: its
          // 'close' found none to remove, and one that restarts for ever
          // would run with nobody attached, for ever.
          void manager.remove(created).catch(() => undefined);
        }
        log.info(
          { id: created.id, name: created.name, profile: created.profileName, command: request.command[0] },
          'container started for zviz run'
        );
        for (const warning of spec.profile.warnings.filter(isScopeWarning)) {
          log.warn({ id: created.id, profile: created.profileName, pointer: warning.pointer }, warning.reason);
        }
      });
      ended = true;
      await manager.remove(c);
    } catch (error) {
      ended = true;
      if (container) {
        await manager.remove(container).catch(() => undefined);
      } else {
        fds.forEach((fd) => closeQuietly(fd));
      }
      const details = error instanceof ProfileError ? error.lines() : undefined;
      send({
        type: 'error',
        message: error instanceof ProfileError ? 'the profile has problems' : (error as Error).message,
        ...(details ? { details } : {}),
      });
      log.warn({ err: (error as Error).message }, 'zviz run refused');
    }
    socket.end();
  }
}

/**
 * The agent shares no working directory with its client: a profile is a
 * built-in name or an absolute path. A bare name that is no built-in was
 * looked for in the agent's own working directory (`..` read its parent).
 */
function profileProblem(profile: string): string | undefined {
  if (profile.startsWith('/') || builtinNames().includes(profile)) {
    return undefined;
  }
  return `unknown profile ${quote(profile)}: not a built-in profile (${builtinNames().join(', ')}); give a profile file by its absolute path (the agent does not share your working directory)`;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
